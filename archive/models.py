"""The listening archive: every play, where it came from, and what keeps the archive complete.

PlayEvent is the fact table (one row per play, unique per user, track and time). The rollups
below it (HourlyListening, MonthlyTrackPlays, FirstListen) are derived from it in the user's
time zone, maintained as plays are stored, and rebuilt when the time zone changes; the stats
pages read them so they stay fast at a million plays.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models

from ops.jobs import Job, one_active_per


class PlaySource(models.TextChoices):
    POLL = "poll", "Recently played"
    EXTENDED = "extended", "Extended streaming history"
    ACCOUNT = "account", "Account data export"


class PlayEvent(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plays", db_index=False
    )
    # PROTECT: a play is never lost because a catalog row went away. No index of its own:
    # every query starts from the user, and each index costs the bulk import.
    track = models.ForeignKey(
        "playlists.Track", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # UTC, as Spotify gives it: when the play ended (recently played and the exports agree).
    played_at = models.DateTimeField()
    ms_played = models.PositiveIntegerField(null=True, blank=True)  # exports only
    context_type = models.CharField(max_length=16, blank=True)  # playlist / album / artist …
    context_uri = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=8, choices=PlaySource.choices)
    # From the extended-history export; None when the source does not say.
    platform = models.CharField(max_length=100, blank=True)
    reason_start = models.CharField(max_length=32, blank=True)
    reason_end = models.CharField(max_length=32, blank=True)
    shuffle = models.BooleanField(null=True, blank=True)
    skipped = models.BooleanField(null=True, blank=True)
    offline = models.BooleanField(null=True, blank=True)
    incognito = models.BooleanField(null=True, blank=True)

    class Meta:
        # One index does both jobs: uniqueness of (user, track, played_at) — column order does
        # not matter to it or to ON CONFLICT — and every "this user's plays between" scan,
        # which reads its (user, played_at) prefix. A second index would slow every insert.
        constraints = [
            models.UniqueConstraint(fields=["user", "played_at", "track"], name="play_once")
        ]
        ordering = ["user", "-played_at"]

    def __str__(self) -> str:
        return f"{self.user_id} played {self.track_id} at {self.played_at:%Y-%m-%d %H:%M:%S}"

    @property
    def minute_precision(self) -> bool:
        return self.source == PlaySource.ACCOUNT


def default_time_zone() -> str:
    return settings.TIME_ZONE


class BreakerKind(models.TextChoices):
    AUTH = "auth", "Spotify login"
    NETWORK = "network", "Network"
    OTHER = "other", "Spotify error"


class HistoryProfile(models.Model):
    """Per user: the time zone history is shown in, the poll schedule and the poll breaker."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="history_profile"
    )
    time_zone = models.CharField(max_length=64, default=default_time_zone)
    # The zone the rollups were built in; differs from time_zone while a rebuild is pending.
    rollup_time_zone = models.CharField(max_length=64, default=default_time_zone)
    hide_blocked_artists = models.BooleanField(default=False)
    # The first day of a week in the weekly stats charts (date.weekday(): Monday is 0).
    week_start = models.PositiveSmallIntegerField(
        choices=[(0, "Monday"), (6, "Sunday"), (5, "Saturday")], default=0
    )
    # Bumped whenever plays or rollups change: the key of the cached stats pages.
    stats_version = models.PositiveIntegerField(default=0)

    polling_enabled = models.BooleanField(default=True)
    poll_interval_minutes = models.PositiveSmallIntegerField(default=60)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_new = models.PositiveIntegerField(default=0)

    breaker_kind = models.CharField(max_length=8, choices=BreakerKind.choices, blank=True)
    breaker_failures = models.PositiveSmallIntegerField(default=0)  # consecutive, of that kind
    breaker_open_until = models.DateTimeField(null=True, blank=True)
    breaker_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"history profile of {self.user_id}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @classmethod
    def for_user(cls, user_id: int) -> HistoryProfile:
        profile, _ = cls.objects.get_or_create(user_id=user_id)
        return profile


class PollOutcome(models.TextChoices):
    RUNNING = "running"
    OK = "ok"
    COOLING_DOWN = "cooling-down", "Skipped: cooling down after failures"
    PAUSED = "paused", "Skipped: Spotify paused"
    FAILED = "failed"


class PollRun(models.Model):
    """One poll of one user for one planned slot. The unique (user, slot) row is the
    idempotency key: a slot delivered twice (a redelivered task, a second beat) polls once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    slot = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=PollOutcome.choices, default=PollOutcome.RUNNING
    )
    calls = models.PositiveSmallIntegerField(default=0)
    received = models.PositiveSmallIntegerField(default=0)
    stored = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "slot"], name="poll_once_per_slot")]
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"poll of {self.user_id} for {self.slot:%Y-%m-%d %H:%M}: {self.outcome}"


class ListeningGap(models.Model):
    """A stretch in which plays may be missing: a poll came back with a full page, all newer
    than the newest stored play, so older ones may have fallen off Spotify's list of 50."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listening_gaps"
    )
    start = models.DateTimeField(null=True, blank=True)  # the newest play stored before
    end = models.DateTimeField()  # the oldest play of the full page
    detected_at = models.DateTimeField()
    filled_by = models.ForeignKey(
        "ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "end"], name="gap_once")]
        ordering = ["-end"]

    def __str__(self) -> str:
        return f"gap for {self.user_id}: {self.start} – {self.end}"


# --- data export import -------------------------------------------------------------------------


class ImportJob(Job):
    kind = "History import"
    resume_task = "archive.tasks.run_import"
    # Its heartbeat moves with every batch of records, seconds apart.
    heartbeat_interval = timedelta(seconds=15)

    min_ms_played = models.PositiveIntegerField()
    upload_dir = models.CharField(max_length=500)
    uploaded_names = models.JSONField(default=list)
    ignored_files = models.JSONField(default=list)  # members that are not listening history
    bytes_total = models.BigIntegerField(default=0)
    first_played_at = models.DateTimeField(null=True, blank=True)
    last_played_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One active import per user: two would race over the same plays and checkpoints.
            one_active_per("user", "one_active_history_import_per_user")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"history import {self.pk} for {self.user_id}"

    @property
    def ledger_job_id(self) -> str:
        return f"history-import-{self.pk}"

    def totals(self) -> dict[str, int]:
        fields = ImportFile.COUNTERS
        sums = {name: 0 for name in fields}
        for row in self.files.values(*fields):
            for name in fields:
                sums[name] += row[name]
        return sums


class FileStatus(models.TextChoices):
    PENDING = "pending"
    READING = "reading"
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"
    SKIPPED = "skipped"


class ImportFile(models.Model):
    """One history file of an import, with its checkpoint and its own report."""

    COUNTERS = (
        "records_done",
        "imported",
        "duplicates",
        "too_short",
        "podcasts",
        "audiobooks",
        "no_track",
        "unmatched",
        "invalid",
        "future",
    )

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=500)
    path = models.CharField(max_length=500)
    member = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=16)
    size = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=FileStatus.choices, default="pending")
    error = models.TextField(blank=True)
    # The checkpoint: records read so far (a resumed import skips them) and their bytes.
    records_done = models.PositiveIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    too_short = models.PositiveIntegerField(default=0)
    podcasts = models.PositiveIntegerField(default=0)
    audiobooks = models.PositiveIntegerField(default=0)
    no_track = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    # Plays dated after the import started: refused, and counted apart from other bad records.
    future = models.PositiveIntegerField(default=0)
    # Why records were skipped, in plain words → how many ("its time is before 2000…": 3).
    problems = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="import_file_position")
        ]
        ordering = ["job", "position"]

    def __str__(self) -> str:
        return self.name


class UnmatchedPlay(models.Model):
    """An account-data play whose artist and title matched no catalog track confidently.
    Kept, so a later match (a search, a fuller catalog) can still place it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    artist_name = models.CharField(max_length=500)
    track_name = models.CharField(max_length=500)
    played_at = models.DateTimeField()
    ms_played = models.PositiveIntegerField()
    job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When Spotify search was asked about this song and had no confident answer.
    searched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "artist_name", "track_name", "played_at"], name="unmatched_once"
            )
        ]
        ordering = ["user", "played_at"]

    def __str__(self) -> str:
        return f"{self.artist_name} – {self.track_name} at {self.played_at}"


# --- rollups (derived; see archive.rollups) -----------------------------------------------------


class HourlyListening(models.Model):
    """Plays and time listened per local hour: the listening clock reads this (≤ 24 rows a
    day) instead of the plays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()  # local date in the user's time zone
    hour = models.PositiveSmallIntegerField()  # local hour, 0-23
    weekday = models.PositiveSmallIntegerField()  # Monday 0 … Sunday 6
    plays = models.PositiveIntegerField(default=0)
    ms_played = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "hour"], name="hourly_listening_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.hour:02d}h: {self.plays}"


class DailyListening(models.Model):
    """Plays and time listened per local day: the day/week/month charts, totals and streaks."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()  # local date in the user's time zone
    plays = models.PositiveIntegerField(default=0)
    ms_played = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="daily_listening_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.plays}"


class MonthlyTrackPlays(models.Model):
    """Plays per track per local month: top lists over long ranges read this."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()  # the first day of the local month
    track = models.ForeignKey(
        "playlists.Track", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    plays = models.PositiveIntegerField(default=0)
    ms_played = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "month", "track"], name="monthly_track_plays_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m} {self.track_id}: {self.plays}"


class TrackTotal(models.Model):
    """All-time plays per track: "all time" top lists read this (a row per track), and long
    ranges read it minus the months outside them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    track = models.ForeignKey(
        "playlists.Track", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    plays = models.PositiveIntegerField(default=0)
    ms_played = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="track_total_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.track_id}: {self.plays}"


class FirstListen(models.Model):
    """When a user first played each track: "first listens over time"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    track = models.ForeignKey(
        "playlists.Track", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    first_played_at = models.DateTimeField()
    first_month = models.DateField()  # local month of first_played_at

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="first_listen_once")]
        indexes = [models.Index(fields=["user", "first_month"], name="first_listen_month")]

    def __str__(self) -> str:
        return f"{self.user_id} first played {self.track_id} on {self.first_played_at}"


class LastListen(models.Model):
    """When a user last played each track: history rules ("last played", "least recently
    played") read this instead of the plays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    track = models.ForeignKey(
        "playlists.Track", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    last_played_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="last_listen_once")]

    def __str__(self) -> str:
        return f"{self.user_id} last played {self.track_id} on {self.last_played_at}"


class TrackHint(models.Model):
    """What a data export said about a track the catalog knows only by id: the primary artist
    and album names (the export has no artist or album ids, so the catalog's Artist and Album
    rows cannot be made). Stats and exports fall back to these until the track is fetched."""

    track = models.OneToOneField(
        "playlists.Track", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    artist_name = models.TextField(blank=True)
    album_name = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.track_id}: {self.artist_name} – {self.album_name}"


class HistorySearch(Job):
    """Placing unmatched account-data plays with Spotify search: one search per song (artist
    and title), most played first; a confident match turns the song's plays into PlayEvents."""

    kind = "Match unmatched plays"
    resume_task = "archive.tasks.run_history_search"
    heartbeat_interval = timedelta(seconds=30)  # one paced search call per song

    songs_matched = models.PositiveIntegerField(default=0)
    plays_placed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [one_active_per("user", "one_active_history_search_per_user")]
        ordering = ["-created_at"]
        verbose_name_plural = "history searches"

    def __str__(self) -> str:
        return f"history search {self.pk} for {self.user_id}"

    @property
    def ledger_job_id(self) -> str:
        return f"history-search-{self.pk}"


class RewindShare(models.Model):
    """A read-only link to one recap (a year, or a month of it): it shows that recap and nothing
    else of the account, until its owner revokes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rewind_shares"
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        period = f"{self.year}-{self.month:02d}" if self.month else str(self.year)
        return f"Rewind {period} of {self.user_id}"
