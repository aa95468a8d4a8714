"""Base playlists, the rule-built child playlists they feed, and sync runs.

A `BasePlaylist` points at a playlist the user owns or collaborates on (development mode serves
items only for those). Each `ChildPlaylist` holds its rules (a JSON tree, see sync.rules), how
its result is ordered and trimmed, and what Tunekeeper last wrote to it on Spotify
(`synced_uris` as of `synced_snapshot_id`), which is what lets a sync send only the delta.

A `SyncEvent` is one run (an ops Job). The database allows one active run per base: a partial
unique constraint over the active statuses, so two triggers racing cannot both start one.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from core import clock
from ops.jobs import ACTIVE_STATUSES, Job, one_active_per
from ops.trash import SoftDeletable
from spotify import links


def default_rules() -> dict:
    return {"kind": "group", "match": "all", "rules": []}


def new_shuffle_seed() -> str:
    return secrets.token_hex(4)


class Schedule(models.TextChoices):
    MANUAL = "manual", "Manual only"
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"
    CUSTOM = "custom", "Custom (crontab)"


class BaseSource(models.TextChoices):
    PLAYLIST = "playlist", "A playlist of yours"
    LIKED = "liked", "Liked Songs (newest first)"


# The spotify_id a Liked Songs base carries (one per person; it has no playlist id).
LIKED_SONGS_ID = "liked-songs"


class BasePlaylist(SoftDeletable):
    source = models.CharField(max_length=8, choices=BaseSource.choices, default=BaseSource.PLAYLIST)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_bases"
    )
    # The mirror row; SET_NULL because the library refresh prunes playlists that left the
    # user's list, and the base's settings and history are worth keeping until they say so.
    playlist = models.ForeignKey(
        "playlists.Playlist", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    spotify_id = models.CharField(max_length=32)
    name = models.TextField()
    schedule = models.CharField(max_length=8, choices=Schedule.choices, default=Schedule.MANUAL)
    crontab = models.CharField(max_length=100, blank=True)  # "m h dom mon dow" when custom
    # When a Daily sync runs, in the person's time zone; empty: 04:mm server time, mm spread
    # by the base's id.
    daily_at = models.TimeField(null=True, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The base's snapshot the last successful sync worked from.
    synced_snapshot_id = models.CharField(max_length=200, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One live base per playlist; a deleted one waits in the trash beside a new one.
            models.UniqueConstraint(
                fields=["user", "spotify_id"],
                condition=Q(deleted_at__isnull=True),
                name="sync_base_per_user",
            )
        ]
        ordering = ["user", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_liked_songs(self) -> bool:
        return self.source == BaseSource.LIKED

    def soft_delete(self) -> None:
        """Into the trash with its live children (same stamp, so restore finds exactly them)."""
        now = clock.now()
        ChildPlaylist.all_objects.filter(base=self, deleted_at__isnull=True).update(deleted_at=now)
        BasePlaylist.all_objects.filter(pk=self.pk).update(deleted_at=now)
        self.deleted_at = now

    def restore(self) -> None:
        """Back, with the children deleted along with it. Raises RestoreRefused when a live
        base of the same playlist exists now."""
        if BasePlaylist.objects.filter(user_id=self.user_id, spotify_id=self.spotify_id).exists():
            raise RestoreRefused(
                f"“{self.name}” is a base again already; remove that one first to restore this."
            )
        ChildPlaylist.all_objects.filter(base=self, deleted_at=self.deleted_at).update(
            deleted_at=None
        )
        BasePlaylist.all_objects.filter(pk=self.pk).update(deleted_at=None)
        self.deleted_at = None

    def active_event(self) -> SyncEvent | None:
        return self.events.filter(status__in=ACTIVE_STATUSES).first()

    @property
    def sync_running(self) -> bool:
        return self.events.filter(status__in=ACTIVE_STATUSES).exists()


class RestoreRefused(Exception):
    """Restoring would clash with what exists now (the message says what to do)."""


class Order(models.TextChoices):
    BASE = "base", "Base playlist order"
    ADDED_NEWEST = "added_newest", "Added to the base, newest first"
    ADDED_OLDEST = "added_oldest", "Added to the base, oldest first"
    YEAR_OLDEST = "year_oldest", "Original year, oldest first"
    YEAR_NEWEST = "year_newest", "Original year, newest first"
    SHUFFLE = "shuffle", "Stable shuffle"
    MOST_PLAYED = "most_played", "Most played, all time"
    MOST_PLAYED_30D = "most_played_30d", "Most played in the last 30 days"
    LAST_PLAYED = "last_played", "Last played, most recent first"
    LEAST_RECENT = "least_recent", "Least recently played first (never played first)"


# Orders that read the listening archive, and the play window (days) each needs.
HISTORY_ORDERS = {
    Order.MOST_PLAYED: None,
    Order.MOST_PLAYED_30D: 30,
    Order.LAST_PLAYED: None,
    Order.LEAST_RECENT: None,
}


class WriteMode(models.TextChoices):
    # The labels are promises (DESIGN 12): sync/plan.py keeps each of them.
    DELTA = "delta", "Minimal changes (keeps added dates)"
    REBUILD = "rebuild", "Rebuild the whole playlist (resets added dates)"
    CHEAPEST = "cheapest", "Fewest calls (added dates may reset)"


class ExternalEdit(models.TextChoices):
    OVERWRITE = "overwrite", "Overwrite them"
    STOP = "stop", "Stop and tell me"


class Outcome(models.TextChoices):
    NEW = "", "Not synced yet"
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Unchanged"
    STOPPED = "stopped", "Stopped: edited outside Tunekeeper"


class ChildPlaylist(SoftDeletable):
    base = models.ForeignKey(BasePlaylist, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(max_length=100)
    spotify_id = models.CharField(max_length=32, blank=True)  # created on the first sync
    rules = models.JSONField(default=default_rules)
    order = models.CharField(max_length=16, choices=Order.choices, default=Order.BASE)
    shuffle_seed = models.CharField(max_length=16, default=new_shuffle_seed)
    limit = models.PositiveIntegerField(null=True, blank=True)
    dedupe = models.BooleanField(default=True)
    one_per_artist = models.BooleanField(default=False)
    skip_blocked = models.BooleanField(default=True)
    write_mode = models.CharField(max_length=8, choices=WriteMode.choices, default=WriteMode.DELTA)
    on_external_edit = models.CharField(
        max_length=10, choices=ExternalEdit.choices, default=ExternalEdit.OVERWRITE
    )
    public = models.BooleanField(default=False)
    # What Tunekeeper believes the Spotify playlist holds, as of `synced_snapshot_id`. Updated
    # after every write call, so a run that dies mid-way leaves an exact checkpoint.
    synced_uris = models.JSONField(default=list, blank=True)
    synced_snapshot_id = models.CharField(max_length=200, blank=True)
    # The write being sent right now: if the worker dies before its answer is recorded, the
    # next run can tell "our own write landed" from "someone else edited the playlist".
    pending_op = models.JSONField(null=True, blank=True)
    # Written into the description at creation, so a create whose answer was lost is found.
    create_marker = models.CharField(max_length=32, blank=True)
    last_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    attention = models.TextField(blank=True)  # why the last sync stopped for this child
    overwrite_once = models.BooleanField(default=False)  # the person chose "Overwrite" once
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["base", "created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return links.open_url("playlist", self.spotify_id)

    def soft_delete(self) -> None:
        self.deleted_at = clock.now()
        ChildPlaylist.all_objects.filter(pk=self.pk).update(deleted_at=self.deleted_at)

    def restore(self) -> None:
        # `self.base` goes through the plain manager, so a deleted base is seen here.
        if self.base.deleted_at is not None:
            raise RestoreRefused(f"Restore the base “{self.base.name}” to get “{self.name}” back.")
        ChildPlaylist.all_objects.filter(pk=self.pk).update(deleted_at=None)
        self.deleted_at = None


class Trigger(models.TextChoices):
    MANUAL = "manual", "Sync button"
    SCHEDULE = "schedule", "Schedule"
    ALL = "all", "Sync all"
    COMMAND = "command", "Command line"
    RETRY = "retry", "Retry"


class SyncEvent(Job):
    """One sync run of one base. In-progress means queued, running or paused (a Spotify pause
    resumes by itself); then completed, failed or cancelled."""

    kind = "Playlist sync"
    resume_task = "sync.tasks.sync_task"
    heartbeat_interval = timedelta(seconds=30)  # a page read or a write chunk

    base = models.ForeignKey(BasePlaylist, on_delete=models.CASCADE, related_name="events")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    force = models.BooleanField(default=False)  # re-read the base and check every child
    calls = models.PositiveIntegerField(default=0)
    # tracks, calls_by_endpoint, children: {child pk: {name, added, removed, unchanged, ...}},
    # seconds. Written once at the end (and on failure, as far as it got).
    stats = models.JSONField(default=dict, blank=True)
    warnings = models.TextField(blank=True)

    class Meta:
        constraints = [
            # The lock is the database's: a second active sync of the same base cannot exist.
            one_active_per("base", "one_active_sync_per_base")
        ]
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="sync_event_liveness")]

    def __str__(self) -> str:
        return f"sync {self.pk} of {self.base_id}"

    @property
    def ledger_job_id(self) -> str:
        return f"sync-{self.pk}"

    def retry(self) -> bool:
        """Back to the queue (the generic job retry), unless another sync of the same base is
        in progress now: the one-active-sync constraint refuses, and so does this."""
        try:
            with transaction.atomic():
                return super().retry()
        except IntegrityError:
            return False

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None
