"""The sync engine: read the base (only if it changed) → filter from the catalog → write each
child with the fewest calls → record what was done.

    event, _ = start_sync(base, enqueue=False)
    result = run_sync(event)          # or sync_base(base): both plain functions, no Celery

Cost, in Spotify calls:
- Always one: `GET /playlists/{base}` (snapshot and size). When its snapshot is the one the
  mirror holds, the base is not re-read; when every child's wanted content also equals what was
  last written to it, the run ends there.
- A changed base: its item pages (50 per call), mirrored through playlists.refresh.
- A child whose content must change: one snapshot check before writing it (batched into one
  `GET /me/playlists` page when that is cheaper than one call per child), the planned writes
  (sync.plan), and one check after writing (batched the same way) that catches an edit made by
  someone else between our check and our writes. A child created in this run costs the create
  and one POST per 100 tracks, nothing else.
- A child whose snapshot or size is not what we last wrote is re-read (50 per call): if its
  content is what we wrote, nothing happened (a rename, a stale snapshot, our own write whose
  answer was lost); otherwise it was edited outside Tunekeeper, and the child's setting says
  whether to overwrite or to stop and report.

Resumable: before each write call the child records the operation (`pending_op`); after it,
the content it now holds (`synced_uris`) and the snapshot Spotify returned. A run killed at any
point is followed by one that finds the checkpoint, re-reads only the child whose last answer
was lost, and sends only what is still missing — never a completed chunk again.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db.models import Count

from core import clock
from core.logs import job_context
from core.retry import TRANSIENT_ERRORS
from ops.jobs import JobStatus
from playlists import refresh
from playlists.models import Playlist, PlaylistReadPage
from playlists.own_writes import mirror_changed
from spotify.client import PAGE_SIZE, SpotifyClient
from spotify.errors import (
    Forbidden,
    NeedsReconnect,
    NotFound,
    Paused,
    ServerError,
    SpotifyError,
    TransportError,
)
from spotify.models import ApiCall, Purpose
from sync import plan as planner
from sync import selection
from sync.facts import LIKED_SONGS, load_base
from sync.locks import start_sync
from sync.models import BasePlaylist, ChildPlaylist, ExternalEdit, Outcome, SyncEvent, WriteMode
from sync.rules import RuleError, normalise
from sync.selection import playlists_referenced, select

logger = logging.getLogger(__name__)

# Check a child once more after writing it: an edit made between our check and our writes
# would otherwise go unnoticed until the base changes again. One call (usually batched).
VERIFY_AFTER_WRITE = True
# A write answered with a 5xx or a timeout may or may not have landed: re-read and re-plan,
# at most this many times per child per run.
MAX_WRITE_RECOVERIES = 2
DESCRIPTION = "Built by Tunekeeper from “{base}”. [tk:{marker}]"


class SyncFailed(Exception):
    """A sync that cannot go on, with a message for the person."""


@dataclass
class ChildReport:
    name: str
    outcome: str = Outcome.UNCHANGED
    size: int = 0  # tracks it holds after the run
    matched: int = 0  # distinct base tracks the rules accept
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    moved: int = 0  # reorder calls
    write_calls: int = 0
    rebuilt: bool = False
    dates_reset: int = 0  # tracks that stayed but got a new added date (a rebuild, or a dupe)
    note: str = ""


@dataclass
class SyncResult:
    event_id: int
    calls: int = 0
    base_read: bool = False
    base_tracks: int = 0  # distinct tracks in the base
    base_items: int = 0
    children: dict[str, ChildReport] = field(default_factory=dict)
    calls_by_endpoint: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Remote:
    """What Spotify says about a playlist now: its snapshot and its item count."""

    snapshot_id: str
    total: int | None


GONE = Remote("", None)  # 404: deleted, or no longer accessible


def _description(base_name: str, marker: str) -> str:
    return DESCRIPTION.format(base=base_name[:200], marker=marker)


class _Run:
    def __init__(self, event: SyncEvent, client: SpotifyClient | None):
        self.event = event
        # Fresh rows: the caller's instances may be from before an earlier run.
        self.base = BasePlaylist.objects.select_related("user", "playlist").get(pk=event.base_id)
        self.user = self.base.user
        self.job_id = event.ledger_job_id
        self.client = client or SpotifyClient(self.user, purpose=Purpose.SYNC, job_id=self.job_id)
        self.now = clock.now()
        self.result = SyncResult(event_id=event.pk)
        self.extended = settings.SPOTIFY_API_MODE == "extended"

    # --- progress ---------------------------------------------------------------------------

    def step(self, text: str, *, by: int = 0, more: int = 0) -> None:
        total = (self.event.total or 0) + more if more else None
        self.event.advance(by=by, total=total, step=text[:200])

    # --- the base ---------------------------------------------------------------------------

    def mirror_row(self, summary) -> Playlist:
        playlist = self.base.playlist
        if playlist is None:
            playlist = Playlist.objects.filter(
                user=self.user, spotify_id=self.base.spotify_id
            ).first()
        if playlist is None:
            # A base set up from a shell, before any library refresh: start its mirror row.
            playlist = Playlist.objects.create(
                user=self.user,
                spotify_id=summary.id,
                name=summary.name,
                owner_id=summary.owner_id,
                owner_name=summary.owner_name,
                collaborative=summary.collaborative,
                is_owner=True,  # items were readable just now
                public=summary.public,
                listed_at=self.now,
            )
        if self.base.playlist_id != playlist.pk:
            BasePlaylist.objects.filter(pk=self.base.pk).update(playlist=playlist)
            self.base.playlist = playlist
        return playlist

    def read_liked_songs(self) -> tuple[str, str]:
        """A Liked Songs base: the library mirror's Liked Songs, brought up to date (one
        first-page check when nothing changed)."""
        from playlists import refresh

        self.step("Checking your Liked Songs", more=1)
        fingerprint, unchanged = refresh.mirror_liked_songs(self.user, self.client)
        self.step("Checked your Liked Songs", by=1)
        self.result.base_read = not unchanged
        return LIKED_SONGS, fingerprint

    def read_base(self) -> tuple[Playlist, str]:
        if self.base.is_liked_songs:
            return self.read_liked_songs()
        self.step("Checking the base playlist", more=1)
        try:
            summary = self.client.playlist(self.base.spotify_id)
        except NotFound:
            raise SyncFailed(
                f"The base playlist “{self.base.name}” no longer exists on Spotify "
                "(or you lost access to it)."
            ) from None
        self.step("Checked the base playlist", by=1)
        playlist = self.mirror_row(summary)
        if summary.name and summary.name != self.base.name:
            BasePlaylist.objects.filter(pk=self.base.pk).update(name=summary.name)
        unchanged = playlist.mirrored_snapshot_id == summary.snapshot_id
        if unchanged and not self.event.force:
            return playlist, summary.snapshot_id
        # Read it; the mirror records the snapshot it read (the one seen just now: if the base
        # changes while we read, the next run sees a newer one and reads again).
        Playlist.objects.filter(pk=playlist.pk).update(
            snapshot_id=summary.snapshot_id, items_total=summary.items_total
        )
        playlist.snapshot_id = summary.snapshot_id
        from playlists.refresh import resume_point

        # A read cut off by a pause or a lost worker goes on from its checkpoint when the base
        # still has the snapshot it was reading (resume_point restarts it otherwise).
        had_checkpoint = PlaylistReadPage.objects.filter(playlist=playlist).exists()
        already = len(resume_point(playlist))
        pages = max(1, math.ceil(((summary.items_total or 0) - already) / PAGE_SIZE))
        if already:
            self.step(f"Reading the base playlist from track {already + 1}", more=pages)
        elif had_checkpoint:
            self.step("The base changed since the read stopped: reading it again", more=pages)
        else:
            self.step("Reading the base playlist", more=pages)
        try:
            self.result.base_items = mirror_base(playlist, self.client, on_page=self._page_read)
        except Forbidden:
            raise SyncFailed(
                f"Spotify does not let you read “{self.base.name}”: a base playlist must be "
                "yours or one you collaborate on."
            ) from None
        self.result.base_read = True
        return playlist, summary.snapshot_id

    def _page_read(self, read: int, total: int | None) -> None:
        self.step(f"Reading the base playlist: {read} of {total or '?'} tracks", by=1)

    # --- children: what Spotify holds -------------------------------------------------------

    def check(self, children: list[ChildPlaylist]) -> dict[int, Remote]:
        """Snapshot and size of each child: one `GET /me/playlists` page per 50 of the user's
        playlists when that is fewer calls than one `GET /playlists/{id}` per child."""
        found: dict[int, Remote] = {}
        if not children:
            return found
        wanted = {child.spotify_id: child for child in children}
        listed = Playlist.objects.filter(user=self.user).count() + len(children)
        if len(children) > math.ceil(listed / PAGE_SIZE):
            for page in self.client.my_playlists():
                self.step("Checking the child playlists", by=1, more=1)
                for summary in page.items:
                    child = wanted.pop(summary.id, None)
                    if child is not None:
                        found[child.pk] = Remote(summary.snapshot_id, summary.items_total)
                if not wanted:
                    break
        for spotify_id, child in wanted.items():
            try:
                summary = self.client.playlist(spotify_id)
            except NotFound:
                found[child.pk] = GONE
                continue
            finally:
                self.step(f"Checked “{child.name}”", by=1, more=1)
            found[child.pk] = Remote(summary.snapshot_id, summary.items_total)
        return found

    def read_child(self, child: ChildPlaylist) -> tuple[list[str], bool]:
        """Every URI the child holds, in order, and whether every item has one (an unavailable
        track has none: position-based writes would then be off, so such a child is rebuilt)."""
        uris: list[str] = []
        clean = True
        for page in self.client.playlist_items(child.spotify_id):
            self.step(f"Reading “{child.name}”", by=1, more=1)
            for item in page.items:
                if item.track is not None and item.track.uri:
                    uris.append(item.track.uri)
                else:
                    clean = False
        return uris, clean

    @staticmethod
    def is_ours(actual: list[str], child: ChildPlaylist) -> bool:
        """The content is what we wrote, or what we wrote plus the write in flight."""
        believed = child.synced_uris
        if actual == believed:
            return True
        return (
            bool(child.pending_op)
            and child.pending_op.get("op") != "create"
            and (actual == planner.apply(believed, child.pending_op))
        )

    @staticmethod
    def save_state(child: ChildPlaylist, **fields) -> None:
        for name, value in fields.items():
            setattr(child, name, value)
        ChildPlaylist.objects.filter(pk=child.pk).update(**fields)

    # --- children: writing ------------------------------------------------------------------

    def create(self, child: ChildPlaylist) -> None:
        if child.pending_op and child.pending_op.get("op") == "create" and child.create_marker:
            adopted = self.find_created(child)
            if adopted is not None:
                self.save_state(
                    child,
                    spotify_id=adopted.id,
                    synced_uris=[],
                    synced_snapshot_id=adopted.snapshot_id,
                    pending_op=None,
                )
                return
        marker = secrets.token_hex(6)
        self.save_state(child, create_marker=marker, pending_op={"op": "create"})
        self.step(f"Creating “{child.name}”", more=1)
        created = self.client.create_playlist(
            child.name,
            public=child.public,
            description=_description(self.base.name, marker),
        )
        self.step(f"Created “{child.name}”", by=1)
        self.save_state(
            child,
            spotify_id=created.id,
            synced_uris=[],
            synced_snapshot_id=created.snapshot_id,
            pending_op=None,
        )

    def find_created(self, child: ChildPlaylist):
        """A create whose answer was lost: find the playlist by the marker in its description."""
        tag = f"[tk:{child.create_marker}]"
        for page in self.client.my_playlists():
            for summary in page.items:
                if tag in summary.description:
                    return summary
        return None

    def send(self, child: ChildPlaylist, op: dict) -> None:
        """One write call, checkpointed before and after."""
        self.save_state(child, pending_op=op)
        kind, playlist_id = op["op"], child.spotify_id
        try:
            if kind == "remove":
                snapshot = self.client.remove_items(playlist_id, op["uris"])
            elif kind == "add":
                snapshot = self.client.add_items(
                    playlist_id, op["uris"], position=op.get("position")
                )
            elif kind == "move":
                snapshot = self.client.reorder_items(
                    playlist_id, op["start"], op["before"], range_length=op["length"]
                )
            else:
                snapshot = self.client.replace_items(playlist_id, op["uris"])
        except Paused:
            # Refused before it was sent, or answered 429: the write did not land, so the
            # resumed run need not re-read the child to find out (under a tight quota that
            # re-read alone could use up each window).
            self.save_state(child, pending_op=None)
            raise
        self.save_state(
            child,
            synced_uris=planner.apply(child.synced_uris, op),
            synced_snapshot_id=snapshot,
            pending_op=None,
        )

    def write(self, child: ChildPlaylist, desired: list[str], report: ChildReport, clean: bool):
        """Make the child hold `desired`, from what `child.synced_uris` says it holds."""
        before = list(child.synced_uris)
        recoveries = 0
        while True:
            target = desired
            if clean:
                ops = planner.plan(child.synced_uris, desired, mode=child.write_mode)
            elif child.write_mode == WriteMode.DELTA:
                # Items without a URI take positions we cannot see: no positioned writes, and
                # never a rebuild the person did not choose. The order may stay off.
                ops = planner.unordered(child.synced_uris, desired)
                target = planner.apply_all(child.synced_uris, ops)
                if target != desired:
                    report.note = (
                        "The playlist holds unavailable tracks, so new tracks were appended "
                        "rather than placed; choose “Rebuild” to fix the order."
                    )
            else:
                ops = planner.rebuild(desired)
            if planner.apply_all(child.synced_uris, ops) != target:  # a planner bug: be safe
                logger.error("sync plan for child %s did not add up; rebuilding", child.pk)
                ops = planner.rebuild(desired)
            report.rebuilt = report.rebuilt or any(op["op"] == "replace" for op in ops)
            report.dates_reset += planner.summary(child.synced_uris, ops)["dates_reset"]
            report.moved += sum(1 for op in ops if op["op"] == "move")
            self.step(f"Writing “{child.name}”", more=len(ops))
            try:
                for number, op in enumerate(ops, start=1):
                    self.send(child, op)
                    report.write_calls += 1
                    self.step(f"Writing “{child.name}”: {number} of {len(ops)} calls", by=1)
                break
            except (ServerError, TransportError):
                # The write may or may not have landed; never resend blindly: look first.
                recoveries += 1
                if recoveries > MAX_WRITE_RECOVERIES:
                    raise
                remote = self.check([child])[child.pk]
                actual, clean = self.read_child(child)
                self.save_state(
                    child,
                    synced_uris=actual,
                    synced_snapshot_id=remote.snapshot_id,
                    pending_op=None,
                )
        # The child's mirror row (when the library holds it) learns the new snapshot and count.
        mirror_changed(
            self.user, child.spotify_id, child.synced_snapshot_id, total=len(child.synced_uris)
        )
        kept = sum((Counter(before) & Counter(desired)).values())
        report.added += len(desired) - kept
        report.removed += len(before) - kept
        report.unchanged = kept

    def stop(self, child: ChildPlaylist, report: ChildReport, why: str) -> None:
        report.outcome = Outcome.STOPPED
        report.note = why
        self.result.warnings.append(f"“{child.name}”: {why}")
        self.save_state(child, last_outcome=Outcome.STOPPED, attention=why, overwrite_once=False)

    def sync_child(self, child: ChildPlaylist, desired: list[str], remote: Remote | None):
        """Returns True when the child was written to and existed before this run."""
        report = self.result.children[str(child.pk)]
        overwrite = child.on_external_edit == ExternalEdit.OVERWRITE or child.overwrite_once
        existed = bool(child.spotify_id)
        clean = True
        if existed and remote is GONE:
            if not overwrite:
                self.stop(child, report, "The playlist was deleted on Spotify; the sync stopped.")
                return False
            report.note = "The playlist was deleted on Spotify; a new one was made."
            self.save_state(child, spotify_id="", synced_uris=[], synced_snapshot_id="")
            existed = False
        if not existed:
            self.create(child)
            report.outcome = Outcome.CREATED
        else:
            remote = remote or Remote(child.synced_snapshot_id, len(child.synced_uris))
            if (
                remote.snapshot_id != child.synced_snapshot_id
                or remote.total != len(child.synced_uris)
                or child.pending_op
            ):
                actual, clean = self.read_child(child)
                if not self.is_ours(actual, child):
                    if not overwrite:
                        self.save_state(
                            child,
                            synced_uris=actual,
                            synced_snapshot_id=remote.snapshot_id,
                            pending_op=None,
                        )
                        self.stop(
                            child,
                            report,
                            "Edited outside Tunekeeper since the last sync; nothing was "
                            "written. Choose “Overwrite” on the child to replace the edits.",
                        )
                        return False
                    report.note = "Edited outside Tunekeeper; the edits were overwritten."
                self.save_state(
                    child,
                    synced_uris=actual,
                    synced_snapshot_id=remote.snapshot_id,
                    pending_op=None,
                )
            report.outcome = Outcome.UPDATED
        if child.synced_uris != desired:
            self.write(child, desired, report, clean)
        elif report.outcome == Outcome.UPDATED:
            report.outcome = Outcome.UNCHANGED
            report.unchanged = len(desired)
        self.save_state(child, last_outcome=report.outcome, attention="", overwrite_once=False)
        return existed and report.write_calls > 0

    def verify(self, written: list[ChildPlaylist], desired: dict[int, list[str]]) -> None:
        """After writing: did anyone else edit a child between our check and our writes?"""
        remotes = self.check(written)
        for child in written:
            remote = remotes[child.pk]
            if remote.snapshot_id == child.synced_snapshot_id and remote.total == len(
                child.synced_uris
            ):
                continue
            report = self.result.children[str(child.pk)]
            if remote is GONE:
                self.stop(child, report, "The playlist was deleted on Spotify during the sync.")
                continue
            actual, clean = self.read_child(child)
            if actual == child.synced_uris:  # a stale or renamed snapshot: nothing to do
                self.save_state(child, synced_snapshot_id=remote.snapshot_id)
                continue
            self.save_state(child, synced_uris=actual, synced_snapshot_id=remote.snapshot_id)
            overwrite = child.on_external_edit == ExternalEdit.OVERWRITE
            if not overwrite:
                self.stop(
                    child,
                    report,
                    "Edited outside Tunekeeper while the sync was writing it; those edits are "
                    "still there. Choose “Overwrite” on the child to replace them.",
                )
                continue
            report.note = "Edited outside Tunekeeper during the sync; the edits were overwritten."
            self.write(child, desired[child.pk], report, clean)

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> SyncResult:
        started = time.perf_counter()
        try:
            playlist, snapshot = self.read_base()
            children = list(self.base.children.all())
            trees: dict[int, dict] = {}
            for child in children:
                report = ChildReport(name=child.name)
                self.result.children[str(child.pk)] = report
                try:
                    trees[child.pk] = normalise(child.rules, extended=self.extended)
                except RuleError as error:
                    report.outcome = Outcome.STOPPED
                    report.note = f"Its rules need fixing: {error}"
                    self.result.warnings.append(f"“{child.name}”: {report.note}")
            self.step("Filtering")
            content = load_base(
                playlist,
                self.user,
                playlists=playlists_referenced(trees.values()),
                history=selection.history_needs(trees.values(), children, now=self.now),
            )
            self.result.base_tracks = content.distinct
            self.result.base_items = self.result.base_items or len(content.sequence)
            blocked = (
                selection.blocked_track_ids(self.user)
                if any(child.skip_blocked for child in children)
                else set()
            )
            desired: dict[int, list[str]] = {}
            work: list[ChildPlaylist] = []
            for child in children:
                if child.pk not in trees:
                    continue
                report = self.result.children[str(child.pk)]
                chosen = select(content, child, trees[child.pk], now=self.now, blocked=blocked)
                desired[child.pk] = chosen.uris
                report.matched = len(chosen.matched)
                report.size = len(chosen.uris)
                stopped = child.last_outcome == Outcome.STOPPED and child.attention
                if stopped and not child.overwrite_once:
                    report.outcome = Outcome.STOPPED
                    report.note = child.attention
                    continue
                if (
                    not child.spotify_id
                    or child.pending_op
                    or child.overwrite_once
                    or self.event.force
                    or child.synced_uris != desired[child.pk]
                ):
                    work.append(child)
                else:
                    report.unchanged = report.size
            existing = [child for child in work if child.spotify_id]
            remotes = self.check(existing)
            written: list[ChildPlaylist] = []
            for child in work:
                if self.sync_child(child, desired[child.pk], remotes.get(child.pk)):
                    written.append(child)
            if VERIFY_AFTER_WRITE and written:
                self.verify(written, desired)
            BasePlaylist.objects.filter(pk=self.base.pk).update(
                synced_snapshot_id=snapshot, last_synced_at=clock.now()
            )
        finally:
            self.result.seconds = round(time.perf_counter() - started, 3)
            try:
                self.record()
            except Exception:  # the stats must not hide what went wrong (or a success)
                logger.exception("could not record the stats of sync %s", self.event.pk)
        return self.result

    def record(self) -> None:
        ledger = ApiCall.objects.filter(job_id=self.job_id[:64]).exclude(app="accounts")
        self.result.calls_by_endpoint = dict(
            ledger.values_list("endpoint").annotate(n=Count("id")).order_by("endpoint")
        )
        self.result.calls = sum(self.result.calls_by_endpoint.values())
        self.event._update(
            calls=self.result.calls,
            stats=self.result.as_dict(),
            warnings="\n".join(self.result.warnings),
        )


def mirror_base(playlist: Playlist, client: SpotifyClient, *, on_page=None) -> int:
    """Re-read a base playlist into the library mirror (through playlists.refresh, the one
    ingestion path). Nothing of the old mirror is replaced unless every page arrived; a read
    cut off part-way is checkpointed there and the next one goes on from it."""

    def read(offset: int):
        done = offset
        for page in client.playlist_items(playlist.spotify_id, offset=offset):
            done += len(page.items)
            if on_page is not None:
                on_page(done, page.total)
            yield page

    return refresh.mirror_one_playlist(playlist, read)


def _summary(result: SyncResult) -> str:
    changed = [
        r for r in result.children.values() if r.outcome in (Outcome.CREATED, Outcome.UPDATED)
    ]
    if not result.base_read and not changed:
        return f"Nothing changed ({result.calls} Spotify call{'' if result.calls == 1 else 's'})"
    added = sum(r.added for r in result.children.values())
    removed = sum(r.removed for r in result.children.values())
    return (
        f"{len(changed)} of {len(result.children)} playlist"
        f"{'' if len(result.children) == 1 else 's'} updated: +{added} −{removed} "
        f"track{'' if added + removed == 1 else 's'}, "
        f"{result.calls} Spotify call{'' if result.calls == 1 else 's'}"
    )


def run_sync(event: SyncEvent, *, client: SpotifyClient | None = None) -> SyncResult | None:
    """Run a claimed (or just created) event to its end, a pause or a failure.

    Spotify errors never escape: a pause pauses the event (it resumes by itself), anything
    else fails it with a message. Transient errors (the database, the network) put the event
    back in the queue and propagate, for the task's retry policy.
    """
    if event.status == JobStatus.QUEUED:
        event.start(step="Starting")
    run = _Run(event, client)
    with job_context(job_id=event.ledger_job_id, user_id=event.user_id, purpose="sync"):
        try:
            result = run.run()
        except Paused as pause:
            event.pause(pause.until, pause.reason)
            return None
        except SyncFailed as failure:
            event.fail(str(failure))
            return None
        except NeedsReconnect:
            event.fail("Spotify needs reconnecting: use the Reconnect button, then Retry.")
            return None
        except TRANSIENT_ERRORS as error:
            if isinstance(error, SpotifyError):
                event.fail(
                    f"Spotify kept failing ({error}). What was written is kept: Retry goes on "
                    "from there."
                )
                return None
            event.requeue_for_retry(f"Interrupted by {type(error).__name__}")
            raise
        except SpotifyError as error:
            event.fail(f"Spotify answered with an error: {error}")
            return None
        except Exception as error:
            event.fail(f"Unexpected error: {error!r}")
            raise
    warnings = len(result.warnings)
    step = _summary(result) + (f"; {warnings} need attention" if warnings else "")
    event.complete(step=step[:200])
    return result


def sync_base(
    base: BasePlaylist, *, force: bool = False, trigger: str = "command", client=None
) -> tuple[SyncEvent, SyncResult | None]:
    """Sync `base` in this process (shell, management command, benchmarks).

    Takes the same database lock as the Sync button: when a sync of this base is already in
    progress, returns that event and None.
    """
    event, created = start_sync(base, trigger=trigger, force=force, enqueue=False)
    if not created:
        return event, None
    try:
        result = run_sync(event, client=client)
    except Exception:
        event.refresh_from_db()
        if event.is_active:
            event.fail("Stopped by an error in this process; Retry goes on from there.")
        raise
    event.refresh_from_db()
    return event, result
