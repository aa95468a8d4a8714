"""What the dashboard shows: what changed since the person's last visit, what needs them, what
runs next and today's Spotify budget. Plain functions over the apps' rows, one per section, so
the view stays thin and each section's template stays a small partial."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.urls import reverse

from archive.models import HistoryProfile, ImportJob, PlayEvent
from core import clock
from downloads.models import Download, Status
from enforcement.automatic import INTERVAL as AUTOMATIC_INTERVAL
from enforcement.models import ActionBatch, BatchOrigin, EnforcementSettings
from ops.jobs import JobStatus, job_models, job_url, retry_url
from playlists.models import LibraryRefresh, PlaylistImport
from spotify import state, usage
from spotify.models import ApiCall, Connection
from sync import schedules
from sync.models import BasePlaylist, ChildPlaylist, Outcome, SyncEvent

# A first visit (or a cleared session) looks back this far.
FIRST_VISIT_LOOKBACK = timedelta(days=7)
# Failed jobs older than this no longer ask for attention (they stay on Activity).
ATTENTION_WINDOW = timedelta(days=14)
SESSION_KEY = "dashboard_seen_at"


@dataclass
class Item:
    text: str
    url: str
    when: datetime | None = None
    tag: str = ""  # a short marker such as "automatic"


@dataclass
class AttentionItem(Item):
    retry_url: str = ""
    kind: str = ""


@dataclass
class Dashboard:
    since: datetime
    changes: list[Item] = field(default_factory=list)
    attention: list[AttentionItem] = field(default_factory=list)
    upcoming: list[Item] = field(default_factory=list)
    budget: usage.Usage | None = None
    my_calls_today: int = 0


def last_visit(session) -> datetime:
    """When this browser last opened the dashboard (and remember now for next time)."""
    now = clock.now()
    seen = session.get(SESSION_KEY)
    session[SESSION_KEY] = now.isoformat()
    if seen:
        try:
            return datetime.fromisoformat(seen)
        except ValueError:
            pass
    return now - FIRST_VISIT_LOOKBACK


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def changes(user, since: datetime) -> list[Item]:
    items: list[Item] = []
    for event in (
        SyncEvent.objects.filter(user=user, finished_at__gte=since)
        .select_related("base")
        .order_by("-finished_at")[:10]
    ):
        items.append(
            Item(
                f"Sync of “{event.base.name}”: {event.get_status_display().lower()}",
                reverse("sync_event", args=[event.pk]),
                event.finished_at,
                "scheduled" if event.trigger == "schedule" else "",
            )
        )
    for batch in ActionBatch.objects.filter(
        user=user, dry_run=False, finished_at__gte=since
    ).order_by("-finished_at")[:10]:
        items.append(
            Item(
                f"{batch.label}: {batch.get_status_display().lower()}, "
                f"{_plural(batch.done, 'change', 'changes')}",
                reverse("enforcement_batch", args=[batch.pk]),
                batch.finished_at,
                "automatic" if batch.origin == BatchOrigin.AUTOMATIC else "",
            )
        )
    plays = PlayEvent.objects.filter(user=user, played_at__gte=since).count()
    if plays:
        items.append(Item(f"{_plural(plays, 'new play', 'new plays')}", reverse("history")))
    for job in ImportJob.objects.filter(user=user, finished_at__gte=since).order_by("-finished_at")[
        :5
    ]:
        items.append(
            Item(
                f"History import: {job.get_status_display().lower()}",
                reverse("history_import_job", args=[job.pk]),
                job.finished_at,
            )
        )
    for job in PlaylistImport.objects.filter(user=user, finished_at__gte=since).order_by(
        "-finished_at"
    )[:5]:
        items.append(
            Item(
                f"Playlist import: {job.get_status_display().lower()}",
                reverse("library_import_detail", args=[job.pk]),
                job.finished_at,
            )
        )
    refresh = (
        LibraryRefresh.objects.filter(user=user, finished_at__gte=since)
        .order_by("-finished_at")
        .first()
    )
    if refresh:
        items.append(
            Item(
                f"Library refresh: {refresh.get_status_display().lower()}",
                reverse("library"),
                refresh.finished_at,
            )
        )
    downloads = Download.objects.filter(user=user, finished_at__gte=since).aggregate(
        done=Count("pk", filter=Q(status=Status.COMPLETED)),
        missing=Count("pk", filter=Q(status__in=[Status.NOT_FOUND, Status.FAILED])),
    )
    if downloads["done"] or downloads["missing"]:
        text = _plural(downloads["done"], "download finished", "downloads finished")
        if downloads["missing"]:
            text += f", {downloads['missing']} not found or failed"
        items.append(Item(text, reverse("downloads:index")))
    far_past = since - timedelta(days=3650)
    items.sort(key=lambda item: item.when or far_past, reverse=True)
    return items


def attention(user) -> list[AttentionItem]:
    items: list[AttentionItem] = []
    connection = Connection.objects.filter(user=user).first()
    if connection is not None and connection.needs_reconnect:
        items.append(
            AttentionItem(
                "Spotify needs reconnecting: background jobs wait until you do.",
                reverse("settings_home"),
                kind="reconnect",
            )
        )
    pause = state.current_pause()
    if pause is not None:
        items.append(
            AttentionItem(
                f"Spotify is paused ({pause.reason}); work resumes by itself.",
                reverse("spotify_usage"),
                pause.until,
                kind="pause",
            )
        )
    cutoff = clock.now() - ATTENTION_WINDOW
    failed = []
    for model in job_models():
        failed += list(
            model.objects.filter(user=user, status=JobStatus.FAILED, finished_at__gte=cutoff)[:5]
        )
    failed.sort(key=lambda job: job.finished_at, reverse=True)
    for job in failed[:8]:
        items.append(
            AttentionItem(
                f"{job.kind} failed: {job.error[:140] or 'no reason recorded'}",
                job_url(job),
                job.finished_at,
                retry_url=retry_url(job),
                kind="failed",
            )
        )
    for child in (
        ChildPlaylist.objects.filter(base__user=user, last_outcome=Outcome.STOPPED)
        .select_related("base")
        .order_by("name")[:10]
    ):
        items.append(
            AttentionItem(
                f"“{child.name}” was edited outside Tunekeeper; its sync stopped.",
                reverse("sync_child", args=[child.pk]),
                kind="edited",
            )
        )
    return items


def upcoming(user) -> list[Item]:
    """Scheduled work, soonest first: base syncs, automatic enforcement, history polls."""
    now = clock.now()
    items: list[Item] = []
    for base in BasePlaylist.objects.filter(user=user, periodic_task__enabled=True).select_related(
        "periodic_task__crontab", "periodic_task__interval"
    ):
        next_run = schedules.next_run(base, now)
        if next_run is None:
            continue
        items.append(
            Item(
                f"Sync of “{base.name}” ({base.get_schedule_display().lower()})",
                reverse("sync_base", args=[base.pk]),
                next_run,
            )
        )
    preferences = EnforcementSettings.objects.filter(user=user, automatic=True).first()
    if preferences is not None:
        when = (preferences.last_automatic_at or now) + AUTOMATIC_INTERVAL
        if preferences.last_automatic_at is None:
            when = now
        items.append(Item("Automatic blocklist enforcement", reverse("blocklist"), max(when, now)))
    profile = HistoryProfile.objects.filter(user=user).first()
    if profile is not None and profile.polling_enabled and profile.next_poll_at:
        items.append(
            Item(
                "History poll (recently played)", reverse("history"), max(profile.next_poll_at, now)
            )
        )
    items.sort(key=lambda item: item.when)
    return items


def my_calls_today(user) -> int:
    now = clock.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return ApiCall.objects.filter(app=state.app_id(), user=user, at__gte=start).count()


def build(user, since: datetime) -> Dashboard:
    return Dashboard(
        since=since,
        changes=changes(user, since),
        attention=attention(user),
        upcoming=upcoming(user),
        budget=usage.summary(days=1),
        my_calls_today=my_calls_today(user),
    )
