"""Blocklists, allowlist overrides, and the batches that enforce them.

A user has one or more blocklists (their own, plus lists imported from others, each with a name
and a version). Entries name artists, albums or tracks by Spotify id. Allow entries override
them ("keep this track even though its artist is blocked").

Enforcement is an `ActionBatch` (a Job): first a dry run (`dry_run=True`), a plan the person
reviews and trims; executing it flips the same row into a run. Its `ActionItem`s are the single
actions with their reason and before-state; `ActionChunk`s are the Spotify writes that carry
them, each checkpointed on its own so a killed worker resumes without re-sending one. A rollback
is another batch whose `parent` is the batch it undoes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import clock
from ops.jobs import ACTIVE_STATUSES, Job, JobStatus
from ops.trash import SoftDeletable

SPOTIFY_ID_LENGTH = 32


class EntryKind(models.TextChoices):
    ARTIST = "artist"
    ALBUM = "album"
    TRACK = "track"


class EntrySource(models.TextChoices):
    SEARCH = "search"
    LINK = "link"
    LIBRARY = "library"  # the Block button on a library page
    IMPORT = "import"


class Blocklist(SoftDeletable):
    """A list of entries. Deleting one puts it in the trash for RESTORE_DAYS (see ops.trash):
    its entries stay with it and come back on restore."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocklists"
    )
    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)
    imported = models.BooleanField(default=False)  # came from a file someone shared
    imported_from = models.CharField(max_length=255, blank=True)  # the file's name
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            # Names are unique among live lists; a deleted one does not hold its name.
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(deleted_at__isnull=True),
                name="blocklist_name",
            )
        ]
        ordering = ["user", "imported", "name"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def soft_delete(self) -> None:
        self.deleted_at = clock.now()
        Blocklist.all_objects.filter(pk=self.pk).update(deleted_at=self.deleted_at)

    def restore(self) -> str:
        """Back among the live lists, entries and all; returns its name, which gets
        "(restored)" appended when a live list took the name meanwhile."""
        name = self.name
        taken = set(Blocklist.objects.filter(user_id=self.user_id).values_list("name", flat=True))
        if name in taken:
            base = f"{self.name} (restored)"[:100]
            name, n = base, 2
            while name in taken:
                name = f"{base[:95]} {n}"
                n += 1
        Blocklist.all_objects.filter(pk=self.pk).update(deleted_at=None, name=name)
        self.deleted_at, self.name = None, name
        return name


class BlockEntry(models.Model):
    blocklist = models.ForeignKey(Blocklist, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=8, choices=EntryKind.choices)
    spotify_id = models.CharField(max_length=SPOTIFY_ID_LENGTH)
    name = models.TextField(blank=True)  # as shown when it was added; matching uses the id
    # Artists only: also block tracks where the artist is merely featured.
    include_featured = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    source = models.CharField(max_length=8, choices=EntrySource.choices)
    created_at = models.DateTimeField(default=clock.now)
    # When the person approved applying this entry without asking (by executing a plan made
    # with it). Automatic runs leave unapproved entries alone unless the person chose
    # "apply new entries without asking".
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["blocklist", "kind", "spotify_id"], name="block_entry_once"
            )
        ]
        indexes = [models.Index(fields=["kind", "spotify_id"], name="block_entry_target")]
        ordering = ["blocklist", "kind", "name"]
        verbose_name_plural = "block entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.name or self.spotify_id}"

    @property
    def uri(self) -> str:
        return f"spotify:{self.kind}:{self.spotify_id}"

    @property
    def label(self) -> str:
        return self.name or self.spotify_id


class AllowEntry(models.Model):
    """Keep this track (or saved album) even when a block entry matches it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="allow_entries"
    )
    kind = models.CharField(
        max_length=8, choices=[(EntryKind.TRACK, "track"), (EntryKind.ALBUM, "album")]
    )
    spotify_id = models.CharField(max_length=SPOTIFY_ID_LENGTH)
    name = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "spotify_id"], name="allow_entry_once")
        ]
        ordering = ["user", "kind", "name"]
        verbose_name_plural = "allow entries"

    def __str__(self) -> str:
        return f"allow {self.kind} {self.name or self.spotify_id}"


class EnforcementSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enforcement_settings"
    )
    # Opt-in: a daily run re-plans and executes without asking. Turned on only by approving
    # a first automatic plan (see enforcement.automatic.approve_first_plan).
    automatic = models.BooleanField(default=False)
    last_automatic_at = models.DateTimeField(null=True, blank=True)
    # Off: entries added after the person last approved a plan wait for their approval.
    apply_new_entries = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "enforcement settings"

    def __str__(self) -> str:
        return f"enforcement settings of {self.user_id}"


class ImportStatus(models.TextChoices):
    PENDING = "pending"  # parsed, waiting for the person to confirm
    APPLIED = "applied"
    DISCARDED = "discarded"


class BlocklistImport(models.Model):
    """A parsed upload, kept until the person confirms it (re-imports show what changed)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocklist_imports"
    )
    file_name = models.CharField(max_length=255)
    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)
    entries = models.JSONField(default=list)  # [{kind, spotify_id, name, include_featured, note}]
    target = models.ForeignKey(
        Blocklist, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import of {self.name} v{self.version}"


# --- batches ------------------------------------------------------------------------------------


class BatchMode(models.TextChoices):
    ENFORCE = "enforce"
    ROLLBACK = "rollback"


class BatchOrigin(models.TextChoices):
    MANUAL = "manual"
    AUTOMATIC = "automatic"


class ArtistMethod(models.TextChoices):
    LIBRARY = "library", "/me/library with artist URIs"
    FOLLOWING = "following", "/me/following (extended mode)"
    UNSUPPORTED = "unsupported", "not possible in development mode"


class ActionBatch(Job):
    kind = "Blocklist enforcement"
    resume_task = "enforcement.tasks.run_batch_task"
    heartbeat_interval = timedelta(seconds=30)  # a chunk: its write, maybe a reconcile

    mode = models.CharField(max_length=8, choices=BatchMode.choices, default=BatchMode.ENFORCE)
    origin = models.CharField(
        max_length=10, choices=BatchOrigin.choices, default=BatchOrigin.MANUAL
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="rollbacks"
    )
    dry_run = models.BooleanField(default=True)
    # Executing the same plan (or asking for the same rollback) twice finds this key taken.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    runner = models.CharField(max_length=200, blank=True)  # host:pid:nonce of the worker
    executed_at = models.DateTimeField(null=True, blank=True)
    mirror_refreshed_at = models.DateTimeField(null=True, blank=True)  # the plan's data
    failed = models.PositiveIntegerField(default=0)
    calls_estimated = models.PositiveIntegerField(default=0)
    calls_made = models.PositiveIntegerField(default=0)
    artist_method = models.CharField(max_length=12, choices=ArtistMethod.choices, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            # The lock: one executing batch per user, so two never edit one library at once.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=list(ACTIVE_STATUSES), dry_run=False),
                name="one_running_batch_per_user",
            )
        ]
        ordering = ["-created_at"]
        verbose_name_plural = "action batches"

    def __str__(self) -> str:
        return f"{self.get_mode_display()} batch {self.pk} for {self.user_id}"

    @classmethod
    def runnable(cls):
        # A plan is queued for a person to execute it, not for a worker.
        return cls.objects.filter(dry_run=False)

    def claim_fields(self) -> dict:
        from enforcement.executor import runner_id

        return {"runner": runner_id()}

    @property
    def ledger_job_id(self) -> str:
        return f"enforcement-{self.pk}"

    @property
    def is_rollback(self) -> bool:
        return self.mode == BatchMode.ROLLBACK

    @property
    def is_active(self) -> bool:
        # A plan waits for the person, not for a worker: nothing to poll.
        return not self.dry_run and self.status in ACTIVE_STATUSES

    def get_status_display(self) -> str:
        if self.dry_run and self.status == JobStatus.QUEUED:
            return "Dry run"
        return JobStatus(self.status).label

    @property
    def label(self) -> str:
        if self.is_rollback:
            return f"Rollback of batch {self.parent_id}"
        if self.dry_run:
            return "Plan (dry run)"
        return "Automatic enforcement" if self.origin == BatchOrigin.AUTOMATIC else "Enforcement"

    @property
    def rollback_until(self):
        if self.finished_at is None:
            return None
        return self.finished_at + timedelta(days=settings.ROLLBACK_DAYS)

    @property
    def can_roll_back(self) -> bool:
        return (
            self.mode == BatchMode.ENFORCE
            and not self.dry_run
            and self.status in (JobStatus.COMPLETED, JobStatus.FAILED)
            and self.rollback_until is not None
            and clock.now() < self.rollback_until
        )


class ItemKind(models.TextChoices):
    LIKED_TRACK = "liked_track", "Liked song"
    SAVED_ALBUM = "saved_album", "Saved album"
    FOLLOWED_ARTIST = "followed_artist", "Followed artist"
    PLAYLIST_ITEM = "playlist_item", "Playlist item"


LIBRARY_KINDS = (ItemKind.LIKED_TRACK, ItemKind.SAVED_ALBUM, ItemKind.FOLLOWED_ARTIST)


class ItemStatus(models.TextChoices):
    PLANNED = "planned"  # in a plan; or selected and waiting for its chunk
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # left alone: unticked, or not safe to touch (see reason)


class ErrorKind(models.TextChoices):
    PERMANENT = "permanent"
    TRANSIENT = "transient"


class ActionItem(models.Model):
    """One action: remove (or, in a rollback, restore) one thing, with why and what was there.

    A playlist item stands for every occurrence of its URI in that playlist (Spotify removes
    them all at once); `before["positions"]` lists each with its added_at and added_by.
    """

    batch = models.ForeignKey(ActionBatch, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    uri = models.CharField(max_length=100)
    label = models.TextField(blank=True)  # "Artist - Title", the album or artist name
    playlist = models.ForeignKey(
        "playlists.Playlist", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    playlist_spotify_id = models.CharField(max_length=SPOTIFY_ID_LENGTH, blank=True)
    playlist_name = models.TextField(blank=True)
    entry = models.ForeignKey(
        BlockEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    selected = models.BooleanField(default=True)
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    method = models.CharField(max_length=12, blank=True)  # library / following / playlist
    chunk = models.ForeignKey(
        "ActionChunk", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    after = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    error_kind = models.CharField(max_length=10, choices=ErrorKind.choices, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # In a rollback: the item of the parent batch this one restores.
    origin = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="restorations"
    )

    class Meta:
        indexes = [
            models.Index(fields=["batch", "kind"], name="action_item_kind"),
            models.Index(fields=["batch", "status"], name="action_item_status"),
        ]
        ordering = ["batch", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label or self.uri}"

    @property
    def spotify_id(self) -> str:
        return self.uri.rsplit(":", 1)[-1]

    @property
    def positions(self) -> list[int]:
        return [entry["position"] for entry in self.before.get("positions", [])]


class ChunkTarget(models.TextChoices):
    LIBRARY = "library", "/me/library"
    FOLLOWING = "following", "/me/following"
    PLAYLIST = "playlist", "playlist items"


class ChunkStatus(models.TextChoices):
    PENDING = "pending"
    # Committed just before the request goes out. Found on resume (the worker died) or after a
    # lost response: Spotify may or may not have applied it, so it is reconciled before a retry.
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    SPLIT = "split"  # replaced by two halves to isolate a bad item


class ActionChunk(models.Model):
    """One Spotify write: up to 40 library URIs, 50 artist ids, or 100 playlist URIs."""

    batch = models.ForeignKey(ActionBatch, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()  # processing order; halves of a split keep it
    target = models.CharField(max_length=10, choices=ChunkTarget.choices)
    playlist_spotify_id = models.CharField(max_length=SPOTIFY_ID_LENGTH, blank=True)
    uris = models.JSONField(default=list)  # exactly what is sent, in order
    position = models.PositiveIntegerField(null=True, blank=True)  # rollback inserts
    status = models.CharField(
        max_length=8, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    reconciled = models.BooleanField(default=False)  # completed by checking, not by an answer
    snapshot_before = models.CharField(max_length=200, blank=True)
    snapshot_after = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["batch", "status", "seq"], name="action_chunk_next")]
        ordering = ["batch", "seq", "id"]

    def __str__(self) -> str:
        return f"chunk {self.seq} of batch {self.batch_id} ({self.target}, {len(self.uris)})"


class KeptBecause(models.TextChoices):
    UNTICKED = "unticked", "Unticked in a plan"
    ROLLED_BACK = "rolled_back", "Rolled back"


class KeptItem(models.Model):
    """An exception of a blocklist: this item, in this place (liked songs, saved albums,
    followed artists, or one playlist), stays although an entry matches it. Made when the
    person unticks an item in a plan they execute, or rolls it back; every later plan, manual
    or automatic, skips it until the person removes the exception on the blocklist page."""

    blocklist = models.ForeignKey(Blocklist, on_delete=models.CASCADE, related_name="kept")
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    uri = models.CharField(max_length=100)
    playlist_spotify_id = models.CharField(max_length=SPOTIFY_ID_LENGTH, blank=True)
    playlist_name = models.TextField(blank=True)
    label = models.TextField(blank=True)
    because = models.CharField(max_length=12, choices=KeptBecause.choices)
    batch = models.ForeignKey(
        ActionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["blocklist", "kind", "uri", "playlist_spotify_id"], name="kept_item_once"
            )
        ]
        ordering = ["blocklist", "kind", "label"]

    def __str__(self) -> str:
        return f"kept {self.kind} {self.label or self.uri}"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.uri, self.playlist_spotify_id)

    @property
    def place(self) -> str:
        if self.kind == ItemKind.PLAYLIST_ITEM:
            return f"in “{self.playlist_name or self.playlist_spotify_id}”"
        return {
            ItemKind.LIKED_TRACK: "in liked songs",
            ItemKind.SAVED_ALBUM: "in saved albums",
            ItemKind.FOLLOWED_ARTIST: "followed",
        }.get(self.kind, "")
