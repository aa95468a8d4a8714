"""Downloads through slskd: per-user connection settings, one Download per wanted track (a
small state machine), the "download missing tracks" run, and the database side of the search
throttle (used when there is no Redis)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import clock, crypto
from downloads import quality
from downloads.http import Endpoint
from downloads.matching import Wanted
from ops.jobs import Job, JobStatus

SANDBOX_PATH = "/sandbox-slskd"


class Preset(models.TextChoices):
    BEST = "best", quality.PRESET_LABELS["best"]
    GOOD = "good", quality.PRESET_LABELS["good"]
    ANY = "any", quality.PRESET_LABELS["any"]
    CUSTOM = "custom", quality.PRESET_LABELS["custom"]


def default_base_url() -> str:
    """SLSKD_URL, or the sandbox slskd where this site serves it (config/sandboxes.py); else
    none: a production site without SLSKD_URL has no slskd until a person sets their own."""
    if settings.SLSKD_URL:
        return settings.SLSKD_URL.rstrip("/")
    if settings.SANDBOXES.slskd:
        return f"{settings.SITE_URL}{SANDBOX_PATH}".rstrip("/")
    return ""


def default_api_key() -> str:
    if settings.SLSKD_URL:
        return settings.SLSKD_API_KEY
    return settings.SANDBOX_SLSKD_API_KEY


class SlskdSettings(models.Model):
    """One person's slskd connection and quality choices. Blank URL and key mean the
    household's (SLSKD_URL / SLSKD_API_KEY, or the sandbox)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slskd_settings"
    )
    base_url = models.URLField(blank=True, max_length=300)
    api_key = models.TextField(blank=True)  # encrypted at rest (core.crypto)
    preset = models.CharField(max_length=8, choices=Preset.choices, default=Preset.BEST)
    custom_ladder = models.TextField(blank=True)  # one rung per line, best first
    destination = models.CharField(max_length=120, default="tunekeeper", blank=True)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_version = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name_plural = "slskd settings"

    def __str__(self) -> str:
        return f"slskd settings of {self.user}"

    def save(self, *args, **kwargs):
        self.api_key = crypto.encrypt(self.api_key)
        super().save(*args, **kwargs)

    @classmethod
    def for_user(cls, user) -> SlskdSettings:
        found, _ = cls.objects.get_or_create(user=user)
        return found

    @property
    def has_own_key(self) -> bool:
        return bool(self.api_key)

    def endpoint(self) -> Endpoint:
        return Endpoint(
            base_url=(self.base_url or default_base_url()).rstrip("/"),
            api_key=crypto.decrypt(self.api_key) if self.api_key else default_api_key(),
        )

    def ladder(self) -> quality.Ladder:
        if self.preset == Preset.CUSTOM and self.custom_ladder.strip():
            return quality.Ladder.parse(self.custom_ladder)
        preset = self.preset if self.preset in quality.PRESETS else "best"
        return quality.Ladder.preset(preset)


class Status(models.TextChoices):
    QUEUED = "queued", "Waiting to search"
    SEARCHING = "searching", "Searching"
    DOWNLOADING = "downloading", "Downloading"
    COMPLETED = "completed", "Downloaded"
    NOT_FOUND = "not_found", "Not found (on the wishlist)"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE = (Status.QUEUED, Status.SEARCHING, Status.DOWNLOADING)
FINISHED = (Status.COMPLETED, Status.NOT_FOUND, Status.FAILED, Status.CANCELLED)

# The state machine: which status may follow which. Every move is one conditional UPDATE
# (`Download.move`), so two workers can never both act on the same step.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.QUEUED: frozenset({Status.SEARCHING, Status.CANCELLED, Status.FAILED}),
    Status.SEARCHING: frozenset(
        {Status.QUEUED, Status.DOWNLOADING, Status.NOT_FOUND, Status.FAILED, Status.CANCELLED}
    ),
    Status.DOWNLOADING: frozenset(
        {Status.DOWNLOADING, Status.COMPLETED, Status.NOT_FOUND, Status.FAILED, Status.CANCELLED}
    ),
    Status.NOT_FOUND: frozenset({Status.QUEUED, Status.CANCELLED}),
    Status.FAILED: frozenset({Status.QUEUED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset({Status.QUEUED}),
}


class Priority(models.IntegerChoices):
    INTERACTIVE = 0, "asked for now"
    PLAYLIST = 1, "part of a playlist run"
    WISHLIST = 2, "wishlist retry"


class BadTransition(Exception):
    pass


class DownloadRun(Job):
    """ "Download missing" on a playlist: one Download per missing track, progress over all."""

    kind = "Download missing tracks"
    resume_task = "downloads.tasks.start_playlist_run"
    heartbeat_interval = timedelta(seconds=60)  # only a queued run waits for a worker

    playlist = models.ForeignKey(
        "playlists.Playlist", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    playlist_name = models.TextField(blank=True)
    skipped = models.PositiveIntegerField(default=0)  # already downloaded or already queued

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"download run {self.pk} of {self.playlist_name!r} for {self.user_id}"

    @classmethod
    def waiting_for_a_worker(cls, silent_since=None):
        # Running means its downloads are under way (each has its own task chain and the
        # downloads sweep); only a queued run waits for a worker.
        return super().waiting_for_a_worker(silent_since).filter(status=JobStatus.QUEUED)

    @property
    def waiting_for_worker_since(self):
        if self.status != JobStatus.QUEUED:
            return None  # its downloads beat on their own rows, not on this one
        return super().waiting_for_worker_since


class Download(models.Model):
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(
        "playlists.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(
        DownloadRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="downloads"
    )
    # Which slskd (a hash of its URL): the search queue and the throttle are per instance.
    instance = models.CharField(max_length=16)
    # What was searched for, kept as searched (the catalog row may change or go).
    wanted_key = models.CharField(max_length=300)  # track id, or "artist|title" without one
    artist = models.TextField()
    other_artists = models.JSONField(default=list, blank=True)
    title = models.TextField()
    album = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.INTERACTIVE
    )
    created_at = models.DateTimeField(default=clock.now)
    queued_at = models.DateTimeField(default=clock.now)  # place in the search queue
    updated_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Work re-scheduled for then; the sweep rescues rows whose follow-up task was lost.
    next_check_at = models.DateTimeField(null=True, blank=True)
    stepping_until = models.DateTimeField(null=True, blank=True)  # a worker's lease on its step

    ladder = models.TextField()  # the ladder used, as text (rungs joined by an arrow)
    # An upgrade: only files on a rung above this one (the rung the copy we have sits on).
    below_rung = models.PositiveSmallIntegerField(null=True, blank=True)

    # Searching
    query_index = models.PositiveSmallIntegerField(default=0)
    query = models.TextField(blank=True)
    search_id = models.UUIDField(null=True, blank=True)
    search_started_at = models.DateTimeField(null=True, blank=True)
    searches_made = models.PositiveIntegerField(default=0)
    search_summary = models.TextField(blank=True)
    candidates = models.JSONField(default=list, blank=True)  # scoring.Candidate dicts, best first
    rejected = models.JSONField(default=dict, blank=True)  # reason → number of files

    # Transferring
    attempts = models.PositiveSmallIntegerField(default=0)
    tried = models.JSONField(default=list, blank=True)  # [[username, filename], ...]
    chosen = models.JSONField(null=True, blank=True)  # the Candidate being (or) downloaded
    transfer_id = models.CharField(max_length=64, blank=True)
    transfer_state = models.CharField(max_length=60, blank=True)
    bytes_transferred = models.BigIntegerField(default=0)
    size = models.BigIntegerField(default=0)
    transfer_started_at = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)

    # The result
    quality_label = models.CharField(max_length=40, blank=True)
    quality_key = models.PositiveIntegerField(null=True, blank=True)

    # The wishlist
    wishlist_rounds = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live attempt per wanted track and person: a second click finds the first.
            models.UniqueConstraint(
                fields=["user", "wanted_key"],
                condition=Q(status__in=["queued", "searching", "downloading"]),
                name="one_active_download_per_track",
            )
        ]
        indexes = [
            models.Index(fields=["instance", "status", "priority", "queued_at"], name="dl_queue"),
            models.Index(fields=["status", "next_retry_at"], name="dl_wishlist"),
            models.Index(fields=["user", "wanted_key", "status"], name="dl_user_track"),
        ]

    def __str__(self) -> str:
        return f"{self.artist} – {self.title} ({self.status})"

    @property
    def wanted(self) -> Wanted:
        return Wanted(
            artist=self.artist,
            title=self.title,
            album=self.album,
            duration_s=round(self.duration_ms / 1000) if self.duration_ms else None,
            other_artists=tuple(self.other_artists or ()),
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def percent(self) -> int:
        if self.status == Status.COMPLETED:
            return 100
        if not self.size:
            return 0
        return min(int(self.bytes_transferred * 100 / self.size), 100)

    @property
    def chosen_reasons(self) -> list[str]:
        return list((self.chosen or {}).get("reasons") or ())

    def move(self, to: str, *, expect: str | None = None, **fields) -> bool:
        """Move to status `to` if the row is still in `expect` (default: our status);
        False when another worker moved it first."""
        origin = expect or self.status
        if to not in TRANSITIONS[origin]:
            raise BadTransition(f"{origin} → {to}")
        now = clock.now()
        fields = {"status": to, "updated_at": now, **fields}
        if to in FINISHED:
            fields.setdefault("finished_at", now)
            fields.setdefault("next_check_at", None)
        moved = Download.objects.filter(pk=self.pk, status=origin).update(**fields)
        if moved:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(moved)

    def save_fields(self, **fields) -> None:
        fields["updated_at"] = clock.now()
        for name, value in fields.items():
            setattr(self, name, value)
        Download.objects.filter(pk=self.pk).update(**fields)


class SearchGate(models.Model):
    """The search throttle's state for one slskd (downloads.throttle)."""

    instance = models.CharField(max_length=16, primary_key=True)
    in_flight_token = models.CharField(max_length=64, blank=True)
    in_flight_until = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"search gate {self.instance}"


class SearchStart(models.Model):
    """One search let through the throttle (kept for the throttle's window, then pruned)."""

    instance = models.CharField(max_length=16)
    at = models.DateTimeField()
    token = models.CharField(max_length=64, blank=True)  # the search's id, to forget its start

    class Meta:
        indexes = [models.Index(fields=["instance", "at"], name="search_start_window")]

    def __str__(self) -> str:
        return f"{self.instance} at {self.at:%H:%M:%S}"
