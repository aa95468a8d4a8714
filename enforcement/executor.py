"""Execute a batch (enforcement or rollback) in checkpointed Spotify chunks.

    batch = execute(plan)      # arm the dry run, then run it here, in this process

- **Chunks.** Library items go to `/me/library` in chunks of 40 mixed URIs (liked songs, then
  albums, then artists, so the chunk count is the minimum); playlist items per playlist in
  chunks of 100 unique URIs; a rollback re-inserts each run of adjacent positions in one call,
  ascending, so positions come out exact.
- **Checkpoints.** A chunk is marked SENDING (committed) before its request goes out; its success
  (chunk done, its items done with their after-state, the batch's counters) is one transaction.
  A worker killed anywhere resumes at the first unfinished chunk and never re-sends a finished
  one. A chunk found SENDING — the worker died, or the answer was lost — is reconciled first
  (`/me/library/contains`, or re-reading the playlist): what Spotify already applied is recorded,
  not sent again.
- **Writes are not retried blindly.** The gateway retries idempotent requests after a 5xx; for
  these writes that would re-send a request that may have landed, so `EnforcementClient` marks
  them non-idempotent and this module decides, after reconciling.
- **Failures stay small.** A 400 splits the chunk in halves until the bad item is alone; a 403 or
  404 on a playlist fails that playlist's items only. Transient errors retry at once up to twice,
  then the batch pauses with a growing back-off (the ops sweep resumes it). A Spotify pause
  (quota, rate limit, outage) pauses the batch; it resumes by itself.
- **Artists.** Unfollowing tries `/me/library` with artist URIs (reference §8.1). If Spotify
  refuses that type, extended-mode apps fall back to `DELETE /me/following`; in development mode
  those items fail with an explanation. The method that worked is recorded per item.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from core import clock
from core.database import DATABASE_ERRORS
from core.logs import job_context
from enforcement.keep import remember
from enforcement.models import (
    LIBRARY_KINDS,
    ActionBatch,
    ActionChunk,
    ActionItem,
    ArtistMethod,
    ChunkStatus,
    ChunkTarget,
    ErrorKind,
    ItemKind,
    ItemStatus,
    KeptBecause,
)
from enforcement.planner import FOLLOWING_WRITE_LIMIT, position_runs
from ops.jobs import ACTIVE_STATUSES, JobStatus
from playlists.own_writes import mirror_changed, mirror_removal
from spotify.client import LIBRARY_WRITE_LIMIT, PLAYLIST_WRITE_LIMIT, SpotifyClient
from spotify.errors import (
    BadRequest,
    Forbidden,
    NeedsReconnect,
    NotFound,
    Paused,
    ServerError,
    SpotifyError,
    TransportError,
)
from spotify.models import ApiCall, Purpose

logger = logging.getLogger(__name__)

IMMEDIATE_RETRIES = 2  # per chunk and run, each after reconciling
MAX_ATTEMPTS = 8  # sends of one chunk in all; then its items fail as transient
BACKOFF_SECONDS = (30, 60, 120, 300, 600, 900)
SHORT_BACKOFF_SECONDS = (0.5, 1.0)
_NONCE = uuid.uuid4().hex[:8]


class AlreadyRunning(Exception):
    """Another batch of this user is queued, running or paused (one at a time)."""


class NotExecutable(Exception):
    """The batch is a discarded plan, or not this kind of batch."""


class _LostClaim(Exception):
    """Another runner took this batch over; stop without touching it."""


class _BackOff(Exception):
    def __init__(self, seconds: int):
        self.seconds = seconds


class EnforcementClient(SpotifyClient):
    """The typed client, with every write sent exactly once per attempt: no gateway retry of a
    DELETE/PUT after a 5xx or timeout, because the write may have landed (reconcile first)."""

    def _call(self, method: str, endpoint: str, path: str, **kwargs):
        if method != "GET":
            kwargs["idempotent"] = False
        return super()._call(method, endpoint, path, **kwargs)


# --- claiming -----------------------------------------------------------------------------------


def runner_id() -> str:
    """Who runs a batch now (host:pid:nonce): a runner that was taken over finds another name on
    the batch at its next checkpoint and stops (`_LostClaim`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_NONCE}"


def claim(batch: ActionBatch) -> bool:
    """Make this process the batch's runner: the one claim of every job (ops.jobs) — QUEUED →
    RUNNING, or a RUNNING batch taken over once its heartbeat is older than
    ActionBatch.lost_after(). False when there is nothing to do here (finished, paused,
    quarantined, or another live runner has it)."""
    previous = batch.runner
    claimed = ActionBatch.claim_for_worker(batch.pk)
    if claimed is None:
        # This very process still holds it: its task is retried after the database dropped
        # and the batch could not be put back in the queue then. Go on, nobody else can.
        return bool(
            ActionBatch.objects.filter(
                pk=batch.pk, status=JobStatus.RUNNING, dry_run=False, runner=runner_id()
            ).update(heartbeat_at=clock.now())
        )
    if previous and previous != claimed.runner and batch.status == JobStatus.RUNNING:
        logger.info("took over batch %s from %s", batch.pk, previous)
    batch.refresh_from_db()
    return True


# --- arming a plan ------------------------------------------------------------------------------


def arm(batch: ActionBatch) -> tuple[ActionBatch, bool]:
    """Turn a dry run into a queued run (once); returns (batch, armed now). Executing the same
    plan twice returns the first run: the second call finds `dry_run` already False and changes
    nothing (its `armed` is False, so nobody enqueues it twice)."""
    if not batch.dry_run:
        return batch, False
    if batch.status != JobStatus.QUEUED:
        raise NotExecutable("this plan was discarded; make a new one")
    now = clock.now()
    try:
        with transaction.atomic():
            moved = ActionBatch.objects.filter(
                pk=batch.pk, dry_run=True, status=JobStatus.QUEUED
            ).update(
                dry_run=False,
                idempotency_key=f"execute-plan-{batch.pk}",
                executed_at=now,
                step="Queued",
            )
            if moved:
                # What the person unticked stays unticked in every later run.
                remember(
                    batch.items.filter(selected=False, status=ItemStatus.PLANNED).select_related(
                        "entry__blocklist"
                    ),
                    KeptBecause.UNTICKED,
                    batch,
                )
                batch.items.filter(selected=False, status=ItemStatus.PLANNED).update(
                    status=ItemStatus.SKIPPED, after={"skipped": "unticked in the plan"}
                )
                total = batch.items.filter(status=ItemStatus.PLANNED).count()
                ActionBatch.objects.filter(pk=batch.pk).update(total=total, done=0)
    except IntegrityError:
        raise AlreadyRunning(
            "another enforcement or rollback is still running; wait for it to finish"
        ) from None
    batch.refresh_from_db()
    if batch.dry_run:  # a discarded plan lost the race
        raise NotExecutable("this plan was discarded; make a new one")
    return batch, bool(moved)


def execute(batch: ActionBatch) -> ActionBatch:
    """Arm a plan and run it here to its end, a pause or a failure (no Celery needed)."""
    batch, _ = arm(batch)
    return run(batch)


# --- building chunks ----------------------------------------------------------------------------


def _library_order(kind: str) -> int:
    return {ItemKind.LIKED_TRACK: 0, ItemKind.SAVED_ALBUM: 1, ItemKind.FOLLOWED_ARTIST: 2}[kind]


def build_chunks(batch: ActionBatch) -> int:
    """Group the batch's planned items into chunks, in one transaction; returns how many."""
    items = list(
        batch.items.filter(status=ItemStatus.PLANNED, chunk__isnull=True)
        .order_by("id")
        .values("id", "kind", "uri", "method", "playlist_spotify_id", "before")
    )
    chunks: list[tuple[ActionChunk, list[int]]] = []
    seq = 0

    def add(target, uris, ids, playlist="", position=None, snapshot=""):
        nonlocal seq
        seq += 1
        chunk = ActionChunk(
            batch=batch,
            seq=seq,
            target=target,
            uris=uris,
            playlist_spotify_id=playlist,
            position=position,
            snapshot_before=snapshot,
        )
        chunks.append((chunk, ids))

    library = sorted(
        (item for item in items if item["kind"] in LIBRARY_KINDS),
        key=lambda item: (_library_order(item["kind"]), item["id"]),
    )
    via_following = [
        item
        for item in library
        if item["kind"] == ItemKind.FOLLOWED_ARTIST and item["method"] == ChunkTarget.FOLLOWING
    ]
    via_library = [item for item in library if item not in via_following]
    for start in range(0, len(via_library), LIBRARY_WRITE_LIMIT):
        part = via_library[start : start + LIBRARY_WRITE_LIMIT]
        add(ChunkTarget.LIBRARY, [i["uri"] for i in part], [i["id"] for i in part])
    for start in range(0, len(via_following), FOLLOWING_WRITE_LIMIT):
        part = via_following[start : start + FOLLOWING_WRITE_LIMIT]
        add(ChunkTarget.FOLLOWING, [i["uri"] for i in part], [i["id"] for i in part])

    per_playlist: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        if item["kind"] == ItemKind.PLAYLIST_ITEM:
            per_playlist[item["playlist_spotify_id"]].append(item)
    for playlist_id, group in per_playlist.items():
        if batch.is_rollback:
            # One item per original position; insert ascending, adjacent ones together.
            group.sort(key=lambda item: item["before"]["insert_at"])
            by_position = {item["before"]["insert_at"]: item for item in group}
            for run_positions in position_runs(sorted(by_position)):
                run_items = [by_position[p] for p in run_positions]
                add(
                    ChunkTarget.PLAYLIST,
                    [i["uri"] for i in run_items],
                    [i["id"] for i in run_items],
                    playlist=playlist_id,
                    position=run_positions[0],
                )
        else:
            snapshot = group[0]["before"].get("snapshot_id", "")
            for start in range(0, len(group), PLAYLIST_WRITE_LIMIT):
                part = group[start : start + PLAYLIST_WRITE_LIMIT]
                add(
                    ChunkTarget.PLAYLIST,
                    [i["uri"] for i in part],
                    [i["id"] for i in part],
                    playlist=playlist_id,
                    snapshot=snapshot if start == 0 else "",
                )

    with transaction.atomic():
        if batch.chunks.exists():  # another runner built them first
            return batch.chunks.count()
        ActionChunk.objects.bulk_create([chunk for chunk, _ in chunks], batch_size=500)
        for chunk, ids in chunks:
            ActionItem.objects.filter(pk__in=ids).update(chunk=chunk)
    return len(chunks)


# --- running ------------------------------------------------------------------------------------


def run(batch: ActionBatch) -> ActionBatch:
    """Run a queued (or orphaned) batch to its end, a pause or a failure; returns it re-read."""
    if batch.dry_run:
        raise NotExecutable("a dry run is executed with execute(), which arms it first")
    if not claim(batch):
        batch.refresh_from_db()
        return batch
    with job_context(job_id=batch.ledger_job_id, user_id=batch.user_id, purpose="enforcement"):
        try:
            _Run(batch).go()
        except _LostClaim:
            logger.warning("batch %s was taken over by another runner", batch.pk)
        except _BackOff as back_off:
            until = clock.now() + timedelta(seconds=back_off.seconds)
            batch.pause(until, "Spotify errors")
        except Paused as pause:
            batch.pause(pause.until, pause.reason)
        except NeedsReconnect:
            batch.fail(
                "Spotify needs reconnecting. Use the Reconnect button, then resume this batch: "
                "it continues where it stopped."
            )
        except DATABASE_ERRORS:
            # Not the batch's failure: back to the queue; the task's retry reconciles the chunk
            # in flight and goes on.
            batch.requeue_for_retry("The database connection dropped")
            raise
        except Exception as error:
            batch.fail(f"Stopped by an unexpected error: {error!r}")
            raise
        finally:
            calls = ApiCall.objects.filter(job_id=batch.ledger_job_id).count()
            ActionBatch.objects.filter(pk=batch.pk).update(calls_made=calls)
    batch.refresh_from_db()
    return batch


def resume(batch: ActionBatch) -> ActionBatch:
    """A failed batch (e.g. after reconnecting Spotify) goes back to the queue; it continues at
    its first unfinished chunk."""
    try:
        with transaction.atomic():
            ActionBatch.objects.filter(pk=batch.pk, status=JobStatus.FAILED, dry_run=False).update(
                status=JobStatus.QUEUED, error="", finished_at=None, step="Queued again"
            )
    except IntegrityError:
        raise AlreadyRunning("another enforcement or rollback is still running") from None
    batch.refresh_from_db()
    return batch


class _Run:
    def __init__(self, batch: ActionBatch):
        self.batch = batch
        self.me = batch.runner
        self.client = EnforcementClient(
            batch.user, purpose=Purpose.ENFORCEMENT, job_id=batch.ledger_job_id
        )
        self.tries: dict[int, int] = defaultdict(int)  # sends per chunk in this run

    @property
    def removing(self) -> bool:
        return not self.batch.is_rollback

    # --- the loop -------------------------------------------------------------------------------

    def go(self) -> None:
        if not self.batch.chunks.exists():
            build_chunks(self.batch)
        self.chunk_count = self.batch.chunks.count()
        while True:
            chunk = (
                self.batch.chunks.filter(status__in=[ChunkStatus.PENDING, ChunkStatus.SENDING])
                .order_by("seq", "id")
                .first()
            )
            if chunk is None:
                break
            self.process(chunk)
            # The progress bar shows the calls as they are made, not only at the end.
            self.count_calls()
        self.finish()

    def count_calls(self) -> None:
        calls = ApiCall.objects.filter(job_id=self.batch.ledger_job_id).count()
        ActionBatch.objects.filter(pk=self.batch.pk).update(calls_made=calls)
        self.batch.calls_made = calls

    def process(self, chunk: ActionChunk) -> None:
        if chunk.status == ChunkStatus.SENDING and self.reconcile(chunk):
            return
        if chunk.attempts >= MAX_ATTEMPTS:
            self.fail_chunk(
                chunk,
                f"gave up after {chunk.attempts} attempts: {chunk.error}",
                ErrorKind.TRANSIENT,
            )
            return
        if self.tries[chunk.pk] > IMMEDIATE_RETRIES:
            index = min(max(chunk.attempts - IMMEDIATE_RETRIES - 1, 0), len(BACKOFF_SECONDS) - 1)
            raise _BackOff(BACKOFF_SECONDS[index])
        if self.tries[chunk.pk]:
            clock.sleep(SHORT_BACKOFF_SECONDS[min(self.tries[chunk.pk], 2) - 1])
        self.mark_sending(chunk)
        self.tries[chunk.pk] += 1
        try:
            snapshot = self.send(chunk)
        except (Paused, NeedsReconnect):
            # A 429, a gate or a 401: Spotify did not apply this write.
            self.set_status(chunk, ChunkStatus.PENDING)
            raise
        except BadRequest as error:
            self.bad_request(chunk, error)
            return
        except (Forbidden, NotFound) as error:
            self.refused(chunk, error)
            return
        except (ServerError, TransportError) as error:
            # The answer is lost: it may have landed. Reconcile before any retry.
            ActionChunk.objects.filter(pk=chunk.pk).update(error=str(error)[:1000])
            chunk.error = str(error)[:1000]
            logger.info("chunk %s: %s; reconciling", chunk.pk, error)
            self.reconcile(chunk)
            return
        except SpotifyError as error:
            self.fail_chunk(chunk, str(error), ErrorKind.PERMANENT)
            return
        self.complete(chunk, snapshot=snapshot)

    def send(self, chunk: ActionChunk) -> str:
        uris = chunk.uris
        if chunk.target == ChunkTarget.LIBRARY:
            if self.removing:
                self.client.library_remove(uris)
            else:
                self.client.library_save(uris)
            return ""
        if chunk.target == ChunkTarget.FOLLOWING:
            ids = [uri.rsplit(":", 1)[-1] for uri in uris]
            if self.removing:
                self.client.unfollow_artists_extended(ids)
            else:
                self.client.follow_artists_extended(ids)
            return ""
        if self.removing:
            # The snapshot is optional (a URI goes wherever it is); a retry goes without it, in
            # case it was what Spotify objected to (reference §5, §8.7).
            snapshot = None
            if self.tries[chunk.pk] <= 1:
                snapshot = chunk.snapshot_before or self.last_snapshot(chunk)
            return self.client.remove_items(chunk.playlist_spotify_id, uris, snapshot)
        return self.client.add_items(chunk.playlist_spotify_id, uris, chunk.position)

    def last_snapshot(self, chunk: ActionChunk) -> str | None:
        """The snapshot the previous chunk of this playlist left, to send with the next one."""
        previous = (
            self.batch.chunks.filter(
                playlist_spotify_id=chunk.playlist_spotify_id,
                status=ChunkStatus.DONE,
                seq__lt=chunk.seq,
            )
            .exclude(snapshot_after="")
            .order_by("-seq")
            .values_list("snapshot_after", flat=True)
            .first()
        )
        return previous or None

    # --- checkpoints ----------------------------------------------------------------------------

    def _still_mine(self) -> None:
        if not ActionBatch.objects.filter(
            pk=self.batch.pk, runner=self.me, status=JobStatus.RUNNING
        ).exists():
            raise _LostClaim

    def mark_sending(self, chunk: ActionChunk) -> None:
        now = clock.now()
        with transaction.atomic():
            self._still_mine()
            moved = ActionChunk.objects.filter(
                pk=chunk.pk, status=chunk.status, attempts=chunk.attempts
            ).update(status=ChunkStatus.SENDING, attempts=chunk.attempts + 1, sent_at=now)
            if not moved:
                raise _LostClaim
            ActionBatch.objects.filter(pk=self.batch.pk).update(
                heartbeat_at=now, step=self.describe(chunk)
            )
        chunk.status, chunk.attempts, chunk.sent_at = ChunkStatus.SENDING, chunk.attempts + 1, now

    def set_status(self, chunk: ActionChunk, status: str, **fields) -> None:
        ActionChunk.objects.filter(pk=chunk.pk).update(status=status, **fields)
        chunk.status = status
        for name, value in fields.items():
            setattr(chunk, name, value)

    def complete(
        self,
        chunk: ActionChunk,
        *,
        snapshot: str = "",
        reconciled: bool = False,
        uris: list[str] | None = None,
    ) -> None:
        """One transaction: the chunk (or, when `uris` is given, those of its URIs that
        Spotify applied) done, its items done with their after-state, the batch's counters."""
        now = clock.now()
        after = {
            "at": now.isoformat(),
            "via": chunk.target,
            "snapshot_id": snapshot,
            "reconciled": reconciled,
        }
        if chunk.position is not None:
            after["position"] = chunk.position
        with transaction.atomic():
            self._still_mine()
            items = ActionItem.objects.filter(chunk=chunk, status=ItemStatus.PLANNED)
            if uris is not None:
                items = items.filter(uri__in=uris)
            finished = items.update(
                status=ItemStatus.DONE, completed_at=now, method=chunk.target, after=after
            )
            if uris is None:
                ActionChunk.objects.filter(pk=chunk.pk).update(
                    status=ChunkStatus.DONE,
                    completed_at=now,
                    snapshot_after=snapshot,
                    reconciled=reconciled,
                    error="",
                )
                chunk.status = ChunkStatus.DONE
            # A chunk done is progress: a worker that died before it was not killed by the batch.
            updates = {"done": self.batch.done + finished, "heartbeat_at": now, "worker_losses": 0}
            if (
                chunk.target == ChunkTarget.LIBRARY
                and self.removing
                and not self.batch.artist_method
                and any(uri.startswith("spotify:artist:") for uri in chunk.uris)
            ):
                updates["artist_method"] = ArtistMethod.LIBRARY
            ActionBatch.objects.filter(pk=self.batch.pk).update(**updates)
            for name, value in updates.items():
                setattr(self.batch, name, value)
            if chunk.target == ChunkTarget.PLAYLIST and snapshot:
                # The library page must not call this playlist "up to date" at its old count.
                applied = chunk.uris if uris is None else uris
                if self.removing:
                    mirror_removal(self.batch.user, chunk.playlist_spotify_id, applied, snapshot)
                else:
                    mirror_changed(
                        self.batch.user, chunk.playlist_spotify_id, snapshot, added=len(applied)
                    )

    def fail_items(self, items, error: str, kind: str) -> int:
        now = clock.now()
        count = items.filter(status=ItemStatus.PLANNED).update(
            status=ItemStatus.FAILED, error=error[:2000], error_kind=kind, completed_at=now
        )
        ActionBatch.objects.filter(pk=self.batch.pk).update(
            failed=self.batch.failed + count, heartbeat_at=now
        )
        self.batch.failed += count
        return count

    def fail_chunk(self, chunk: ActionChunk, error: str, kind: str) -> None:
        with transaction.atomic():
            self._still_mine()
            self.fail_items(ActionItem.objects.filter(chunk=chunk), error, kind)
            self.set_status(chunk, ChunkStatus.FAILED, error=error[:1000], completed_at=clock.now())

    # --- reconciling a write whose answer never came --------------------------------------------

    def reconcile(self, chunk: ActionChunk) -> bool:
        """Find out what Spotify applied of a SENDING chunk. True: the chunk is complete. False:
        it is PENDING again with only what is still to do (safe to send)."""
        try:
            if chunk.target == ChunkTarget.PLAYLIST:
                if self.removing:
                    applied = self._applied_playlist_removals(chunk)
                else:
                    applied = chunk.uris if self._insert_landed(chunk) else []
            else:
                present = self.client.library_contains(chunk.uris)
                applied = [
                    uri
                    for uri, here in zip(chunk.uris, present, strict=True)
                    if here != self.removing
                ]
        except (Forbidden, NotFound) as error:
            self.refused(chunk, error)
            return True
        except (ServerError, TransportError) as error:
            # Cannot tell what landed yet: leave the chunk SENDING and try again later.
            logger.info("chunk %s: reconciling failed (%s); backing off", chunk.pk, error)
            raise _BackOff(BACKOFF_SECONDS[0]) from error
        if len(applied) == len(chunk.uris):
            logger.info("chunk %s had landed; recorded without re-sending", chunk.pk)
            self.complete(chunk, reconciled=True)
            return True
        if applied:
            self.complete(chunk, reconciled=True, uris=applied)
            rest = [uri for uri in chunk.uris if uri not in set(applied)]
            self.set_status(chunk, ChunkStatus.PENDING, uris=rest)
            return False
        self.set_status(chunk, ChunkStatus.PENDING)
        return False

    def _playlist_uris(self, playlist_id: str) -> list[str]:
        uris: list[str] = []
        for page in self.client.playlist_items(playlist_id):
            uris += [item.track.uri if item.track else "" for item in page.items]
        return uris

    def _applied_playlist_removals(self, chunk: ActionChunk) -> list[str]:
        present = set(self._playlist_uris(chunk.playlist_spotify_id))
        return [uri for uri in chunk.uris if uri not in present]

    def _insert_landed(self, chunk: ActionChunk) -> bool:
        current = self._playlist_uris(chunk.playlist_spotify_id)
        if chunk.position is None:
            return current[-len(chunk.uris) :] == chunk.uris
        return current[chunk.position : chunk.position + len(chunk.uris)] == chunk.uris

    # --- failures -------------------------------------------------------------------------------

    def bad_request(self, chunk: ActionChunk, error: BadRequest) -> None:
        """A 400: nothing was applied. Artist URIs refused → fall back; an insert past the end →
        append; else split the chunk until the bad item stands alone."""
        text = str(error).lower()
        artists = [uri for uri in chunk.uris if uri.startswith("spotify:artist:")]
        refused_type = "artist" in text or "unsupported" in text
        if chunk.target == ChunkTarget.LIBRARY and artists and refused_type:
            self.artists_fallback(chunk)
            return
        past_the_end = "index" in text or "position" in text or "bounds" in text
        positional = chunk.target == ChunkTarget.PLAYLIST and chunk.position is not None
        if positional and not self.removing and past_the_end:
            # The playlist is shorter now than when it was emptied: append instead.
            self.set_status(chunk, ChunkStatus.PENDING, position=None)
            return
        if chunk.target == ChunkTarget.PLAYLIST and self.removing and self.tries[chunk.pk] == 1:
            # Perhaps the snapshot was refused: the retry goes without it before any split.
            self.set_status(chunk, ChunkStatus.PENDING)
            return
        if len(chunk.uris) == 1:
            self.fail_chunk(chunk, f"Spotify refused it: {error}", ErrorKind.PERMANENT)
            return
        self.split(chunk)

    def split(self, chunk: ActionChunk) -> None:
        half = math.ceil(len(chunk.uris) / 2)
        with transaction.atomic():
            self._still_mine()
            items = list(
                ActionItem.objects.filter(chunk=chunk, status=ItemStatus.PLANNED)
                .order_by("id")
                .values_list("pk", "uri")
            )
            taken: set[int] = set()
            for offset, part in ((0, chunk.uris[:half]), (half, chunk.uris[half:])):
                piece = ActionChunk.objects.create(
                    batch=self.batch,
                    seq=chunk.seq,
                    target=chunk.target,
                    playlist_spotify_id=chunk.playlist_spotify_id,
                    uris=part,
                    position=None if chunk.position is None else chunk.position + offset,
                    snapshot_before=chunk.snapshot_before,
                )
                # Each URI's items go with it (a rollback run may hold one URI twice).
                mine = []
                for uri in part:
                    match = next((pk for pk, u in items if u == uri and pk not in taken), None)
                    if match is not None:
                        mine.append(match)
                        taken.add(match)
                ActionItem.objects.filter(pk__in=mine).update(chunk=piece)
            self.set_status(chunk, ChunkStatus.SPLIT, completed_at=clock.now())

    def artists_fallback(self, chunk: ActionChunk) -> None:
        """Spotify refused artist URIs on /me/library: move every unfinished artist item to
        /me/following chunks (extended mode), or fail them with the reason (development mode)."""
        extended = settings.SPOTIFY_API_MODE == "extended"
        method = ArtistMethod.FOLLOWING if extended else ArtistMethod.UNSUPPORTED
        with transaction.atomic():
            self._still_mine()
            open_chunks = self.batch.chunks.filter(
                target=ChunkTarget.LIBRARY, status__in=[ChunkStatus.PENDING, ChunkStatus.SENDING]
            )
            artist_items = ActionItem.objects.filter(
                chunk__in=open_chunks, kind=ItemKind.FOLLOWED_ARTIST, status=ItemStatus.PLANNED
            ).order_by("id")
            artist_ids = list(artist_items.values_list("pk", "uri"))
            for open_chunk in open_chunks:
                rest = [u for u in open_chunk.uris if not u.startswith("spotify:artist:")]
                if rest:
                    ActionChunk.objects.filter(pk=open_chunk.pk).update(
                        uris=rest, status=ChunkStatus.PENDING
                    )
                else:
                    ActionChunk.objects.filter(pk=open_chunk.pk).update(
                        status=ChunkStatus.SPLIT, completed_at=clock.now()
                    )
            if extended:
                last = self.batch.chunks.order_by("-seq").values_list("seq", flat=True).first()
                for number, start in enumerate(range(0, len(artist_ids), FOLLOWING_WRITE_LIMIT)):
                    part = artist_ids[start : start + FOLLOWING_WRITE_LIMIT]
                    piece = ActionChunk.objects.create(
                        batch=self.batch,
                        seq=(last or 0) + 1 + number,
                        target=ChunkTarget.FOLLOWING,
                        uris=[uri for _, uri in part],
                    )
                    ActionItem.objects.filter(pk__in=[pk for pk, _ in part]).update(chunk=piece)
            else:
                self.fail_items(
                    ActionItem.objects.filter(pk__in=[pk for pk, _ in artist_ids]),
                    "Spotify does not accept artist URIs on /me/library for this app, and "
                    "/me/following is only open to extended-mode apps: unfollow these artists "
                    "in the Spotify app.",
                    ErrorKind.PERMANENT,
                )
            ActionBatch.objects.filter(pk=self.batch.pk).update(artist_method=method)
            self.batch.artist_method = method
        self.chunk_count = self.batch.chunks.count()

    def refused(self, chunk: ActionChunk, error: SpotifyError) -> None:
        """403/404: for a playlist, every unfinished chunk of that playlist fails (the rest of the
        batch goes on); for the library, every unfinished library chunk (same cause)."""
        if isinstance(error, Forbidden):
            message = f"Spotify refused ({error.reason}): {error}"
        else:
            message = f"Spotify does not know it any more: {error}"
        with transaction.atomic():
            self._still_mine()
            same = self.batch.chunks.filter(
                target=chunk.target, status__in=[ChunkStatus.PENDING, ChunkStatus.SENDING]
            )
            if chunk.target == ChunkTarget.PLAYLIST:
                same = same.filter(playlist_spotify_id=chunk.playlist_spotify_id)
            self.fail_items(ActionItem.objects.filter(chunk__in=same), message, ErrorKind.PERMANENT)
            same.update(status=ChunkStatus.FAILED, error=message[:1000], completed_at=clock.now())
        chunk.status = ChunkStatus.FAILED

    # --- the end --------------------------------------------------------------------------------

    def describe(self, chunk: ActionChunk) -> str:
        verb = "Removing" if self.removing else "Restoring"
        if chunk.target == ChunkTarget.PLAYLIST:
            names = ActionItem.objects.filter(chunk=chunk).values_list("playlist_name", flat=True)
            name = names.first() or chunk.playlist_spotify_id
            where = f"playlist “{name[:80]}”"
        elif chunk.target == ChunkTarget.FOLLOWING:
            where = "followed artists (/me/following)"
        else:
            where = "liked songs, saved albums and followed artists"
        return f"{verb} {where}: chunk {chunk.seq} of {self.chunk_count}"

    def finish(self) -> None:
        failed = self.batch.items.filter(status=ItemStatus.FAILED).count()
        done = self.batch.items.filter(status=ItemStatus.DONE).count()
        verb = "removed" if self.removing else "restored"
        step = f"Done: {done} {verb}" + (f", {failed} failed" if failed else "")
        with transaction.atomic():
            self._still_mine()
            ActionBatch.objects.filter(pk=self.batch.pk).update(failed=failed, done=done)
            self.batch.failed, self.batch.done = failed, done
            self.batch.complete(step=step)


def active_batch(user) -> ActionBatch | None:
    return ActionBatch.objects.filter(
        user=user, dry_run=False, status__in=list(ACTIVE_STATUSES)
    ).first()
