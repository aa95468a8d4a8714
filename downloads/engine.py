"""The download engine: from "I want this track" to a finished file, one step per task.

    request ──► QUEUED ──pump──► SEARCHING ──► DOWNLOADING ──► COMPLETED
                  ▲                 │  no hit     │ every candidate failed
                  │ next query ◄────┘             ▼
                  └──── wishlist sweep ◄──── NOT_FOUND (retried later, backing off)

* `pump(instance)` starts the next queued search of one slskd when its gate allows (one in
  flight, 30 per 220 s, 5 s apart), else re-schedules itself for when it will.
* `advance(pk)` does one step for one download — poll its search, or enqueue/poll its transfer —
  and re-schedules itself; timeouts move on to the next-ranked candidate.
* `sweep()` (beat) moves due wishlist entries back to the queue and rescues downloads whose
  follow-up task was lost.

Every step re-reads its row and changes status only with a conditional UPDATE (Download.move),
so a duplicated or late task does no harm. No step waits in a worker: it returns the seconds
until it wants to run again.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from core import clock
from core.cache import fail_safe_cache as cache
from downloads import matching, scheduling, scoring, throttle
from downloads.client import SlskdClient
from downloads.errors import (
    BadRequest,
    Busy,
    NotFound,
    NotLoggedIn,
    ServerError,
    SlskdError,
    TransportError,
    Unauthorized,
)
from downloads.models import (
    ACTIVE,
    FINISHED,
    TRANSITIONS,
    Download,
    DownloadRun,
    Priority,
    SlskdSettings,
    Status,
)
from downloads.quality import Ladder
from ops.jobs import JobStatus, requeued_if_database_drops
from playlists.models import Track

logger = logging.getLogger(__name__)

POLL_SEARCH_SECONDS = 2.0
SEARCH_HARD_TIMEOUT_SECONDS = 60.0  # stop a search that keeps trickling in after this
POLL_TRANSFER_SECONDS = 3.0
POLL_QUEUED_SECONDS = 15.0
RETRY_SECONDS = 15.0  # slskd unreachable or busy for a moment
REMOTE_QUEUE_TIMEOUT = timedelta(minutes=10)  # "Queued, Remotely" this long: next candidate
STALL_TIMEOUT = timedelta(minutes=10)  # no new bytes this long: next candidate
TRACK_CAP = timedelta(hours=1)  # one candidate never takes longer than this
UNREACHABLE_PAUSE_SECONDS = 60.0
NOT_LOGGED_IN_PAUSE_SECONDS = 300.0
MAX_ATTEMPTS = 5  # candidates tried per search round
BROWSE_TOP = 3  # folders browsed to find complete albums, among the best rung's candidates
WISHLIST_BACKOFF = [timedelta(hours=h) for h in (1, 2, 4, 8, 24)]
WISHLIST_BATCH = 100
RESCUE_AFTER = timedelta(minutes=2)
STEP_LEASE = timedelta(minutes=2)  # longer than any one step (slskd answers in seconds)

ADVANCE_TASK = "downloads.tasks.advance_download"
PUMP_TASK = "downloads.tasks.pump_searches"
RUN_TASK = "downloads.tasks.start_playlist_run"


def client_for(user) -> SlskdClient:
    return SlskdClient(SlskdSettings.for_user(user).endpoint())


def instance_of(user) -> str:
    return client_for(user).instance_key


# --- asking for a track -------------------------------------------------------------------------


def wanted_from_track(track) -> matching.Wanted:
    """A catalog track (playlists.Track) as something to search for."""
    names = [link.artist.name for link in track.artist_links.select_related("artist")]
    primary = names[0] if names else (track.artist_names.split(",")[0].strip() or "")
    return matching.Wanted(
        artist=primary,
        title=track.name,
        album=track.album.name if track.album_id and track.album else "",
        duration_s=round(track.duration_ms / 1000) if track.duration_ms else None,
        other_artists=tuple(names[1:]),
    )


def wanted_key(wanted: matching.Wanted, track=None) -> str:
    if track is not None:
        return f"track:{track.pk}"
    return f"{matching.normalize(wanted.artist)}|{matching.normalize(wanted.title)}"[:300]


@dataclass(frozen=True)
class Outcome:
    download: Download | None
    created: bool
    message: str


def copy_rung(have: Download, ladder: Ladder) -> int:
    """The rung of `ladder` the downloaded copy sits on; past the last rung if on none."""
    if have.chosen:
        rung = ladder.rung_of(scoring.Candidate.from_dict(have.chosen).as_file())
        if rung is not None:
            return rung
    return len(ladder.rungs)


def best_copy(user, key: str) -> Download | None:
    return (
        Download.objects.filter(user=user, wanted_key=key, status=Status.COMPLETED)
        .order_by("-quality_key")
        .first()
    )


def request_download(
    user,
    wanted: matching.Wanted,
    *,
    track=None,
    run: DownloadRun | None = None,
    priority: int = Priority.INTERACTIVE,
) -> Outcome:
    """Queue a search for `wanted`, unless it is already on its way or already downloaded at
    a quality the person's ladder cannot beat."""
    key = wanted_key(wanted, track)
    active = Download.objects.filter(user=user, wanted_key=key, status__in=ACTIVE).first()
    if active:
        return Outcome(active, False, "Already on its way.")
    slskd = SlskdSettings.for_user(user)
    ladder = slskd.ladder()
    have = best_copy(user, key)
    below_rung = copy_rung(have, ladder) if have is not None else None
    if below_rung == 0:
        return Outcome(
            have, False, f"Already downloaded as {have.quality_label}, the top of your ladder."
        )
    instance = SlskdClient(slskd.endpoint()).instance_key
    now = clock.now()
    fields = {
        "instance": instance,
        "artist": wanted.artist,
        "other_artists": list(wanted.other_artists),
        "title": wanted.title,
        "album": wanted.album,
        "duration_ms": wanted.duration_s * 1000 if wanted.duration_s else None,
        "priority": priority,
        "queued_at": now,
        "ladder": str(ladder),
        "below_rung": below_rung,
        "query_index": 0,
        "run": run,
    }
    # A track on the wishlist (or failed, or cancelled) goes back into the queue as it is.
    parked = (
        Download.objects.filter(user=user, wanted_key=key)
        .exclude(status__in=[*ACTIVE, Status.COMPLETED])
        .order_by("-created_at")
        .first()
    )
    try:
        with transaction.atomic():
            if parked is not None:
                requeued = parked.move(Status.QUEUED, **{**_fresh_round(), **fields})
                download, created = parked, False
                if not requeued:
                    return Outcome(parked, False, "Already on its way.")
            else:
                download = Download.objects.create(user=user, track=track, wanted_key=key, **fields)
                created = True
    except IntegrityError:
        # Another request for the same track won the race (one active row per track).
        active = Download.objects.filter(user=user, wanted_key=key, status__in=ACTIVE).first()
        return Outcome(active, False, "Already on its way.")
    schedule_pump(instance)
    upgrade = f" (looking for better than {have.quality_label})" if have else ""
    return Outcome(download, created, f"Queued: {wanted.artist} – {wanted.title}{upgrade}.")


def _fresh_round() -> dict:
    """Fields that start a new search round from the first query."""
    return {
        "query_index": 0,
        "search_id": None,
        "candidates": [],
        "rejected": {},
        "tried": [],
        "attempts": 0,
        "chosen": None,
        "transfer_id": "",
        "transfer_state": "",
        "bytes_transferred": 0,
        "size": 0,
        "error": "",
        "finished_at": None,
        "next_retry_at": None,
    }


def cancel(download: Download) -> bool:
    """Stop a download (and its slskd transfer, if one is running)."""
    status = download.status
    if Status.CANCELLED not in _transitions(status):
        return False
    if status == Status.DOWNLOADING and download.transfer_id and download.chosen:
        try:
            client_for(download.user).cancel(download.chosen["username"], download.transfer_id)
        except SlskdError as error:
            logger.warning("cancelling transfer of download %s: %s", download.pk, error)
    if status == Status.SEARCHING and download.search_id:
        throttle.release(download.instance, str(download.search_id))
    moved = download.move(Status.CANCELLED, expect=status)
    if moved:
        _run_progress(download)
    return moved


def retry_now(download: Download) -> bool:
    """A wishlist (or failed) entry goes back into the search queue at once."""
    if download.status not in (Status.NOT_FOUND, Status.FAILED, Status.CANCELLED):
        return False
    try:
        moved = download.move(
            Status.QUEUED,
            priority=Priority.INTERACTIVE,
            queued_at=clock.now(),
            **_fresh_round(),
        )
    except IntegrityError:
        return False
    if moved:
        schedule_pump(download.instance)
    return moved


def _transitions(status: str) -> frozenset[str]:
    return TRANSITIONS[status]


# --- playlists ----------------------------------------------------------------------------------


def missing_tracks(user, playlist) -> list:
    """The playlist's tracks this person has no finished download of, in playlist order."""
    downloaded = Download.objects.filter(user=user, status=Status.COMPLETED)
    done_ids = {
        key.removeprefix("track:") for key in downloaded.values_list("wanted_key", flat=True)
    }
    seen: set[str] = set()
    tracks = []
    items = (
        playlist.items.filter(track__isnull=False, is_local=False)
        .order_by("position")
        .values_list("track_id", flat=True)
    )
    ids = [tid for tid in items if not (tid in seen or seen.add(tid))]
    by_id = Track.objects.select_related("album").in_bulk([t for t in ids if t not in done_ids])
    for track_id in ids:
        if track_id in by_id:
            tracks.append(by_id[track_id])
    return tracks


def start_playlist_run(user, playlist) -> DownloadRun:
    run = DownloadRun.objects.create(
        user=user, playlist=playlist, playlist_name=playlist.name, step="Waiting to start"
    )
    scheduling.later(RUN_TASK, [run.pk], 0)
    return run


def run_playlist(run_pk: int, task=None) -> None:
    """Queue a search for every missing track (`task`: the Celery task running this, whose
    retries decide what a dropped database connection does to the run)."""
    # Queued, or running with a dead worker (ops.jobs' one claim): queueing the searches again
    # is safe, since a track already queued for this run is found, not queued twice.
    run = DownloadRun.claim_for_worker(run_pk)
    if run is None:
        return  # gone, finished, or another worker has it
    with requeued_if_database_drops(run, task):
        _queue_playlist_searches(run)


def _queue_playlist_searches(run: DownloadRun) -> None:
    if run.playlist is None:
        run.fail("The playlist is no longer in your library.")
        return
    tracks = missing_tracks(run.user, run.playlist)
    run.start(total=len(tracks), step=f"Queueing {len(tracks)} searches")
    created = skipped = 0
    for track in tracks:
        outcome = request_download(
            run.user, wanted_from_track(track), track=track, run=run, priority=Priority.PLAYLIST
        )
        if outcome.download is not None and outcome.download.run_id == run.pk:
            created += 1
        else:
            skipped += 1
    DownloadRun.objects.filter(pk=run.pk).update(total=created, skipped=skipped)
    run.total, run.skipped = created, skipped
    _refresh_run(run)


def _run_progress(download: Download) -> None:
    if download.run_id:
        run = DownloadRun.objects.filter(pk=download.run_id).first()
        if run is not None:
            _refresh_run(run)


def _refresh_run(run: DownloadRun) -> None:
    counts = {
        row["status"]: row["n"] for row in run.downloads.values("status").annotate(n=Count("pk"))
    }
    finished = sum(counts.get(status, 0) for status in FINISHED)
    parts = [
        f"{counts.get(Status.COMPLETED, 0)} downloaded",
        f"{counts.get(Status.NOT_FOUND, 0)} on the wishlist",
    ]
    if counts.get(Status.FAILED):
        parts.append(f"{counts[Status.FAILED]} failed")
    if run.skipped:
        parts.append(f"{run.skipped} already had or queued")
    active = sum(counts.get(status, 0) for status in ACTIVE)
    if active:
        parts.append(f"{active} in progress")
    step = ", ".join(parts)
    if run.status in (JobStatus.RUNNING, JobStatus.QUEUED) and finished >= (run.total or 0):
        run.advance(finished, step=step)
        run.complete(step=step if run.total else "Nothing missing: every track is downloaded")
    elif run.status == JobStatus.RUNNING:
        run.advance(finished, step=step)


# --- the search queue ---------------------------------------------------------------------------


def _pump_key(instance: str) -> str:
    return f"slskd:pump:{instance}"


def schedule_pump(instance: str, seconds: float = 0.0) -> None:
    """Ask for the queue of `instance` to be looked at in `seconds`, unless a look is
    already due by then (so waiting downloads do not each keep a task alive)."""
    now = clock.now().timestamp()
    due = now + max(seconds, 0.0)
    pending = cache.get(_pump_key(instance))
    if pending is not None and pending <= due + 0.5 and pending >= now - 30:
        return
    cache.set(_pump_key(instance), due, timeout=int(seconds) + 120)
    scheduling.later(PUMP_TASK, [instance], seconds)


def forget_pump(instance: str) -> None:
    cache.delete(_pump_key(instance))


def next_in_queue(instance: str) -> Download | None:
    return (
        Download.objects.filter(instance=instance, status=Status.QUEUED)
        .select_related("user")
        .order_by("priority", "queued_at", "pk")
        .first()
    )


def pump(instance: str) -> None:
    """Start the next search of this slskd if the gate allows; else come back when it will."""
    forget_pump(instance)
    for _ in range(20):  # bounded: only rows that fail at once loop here
        download = next_in_queue(instance)
        if download is None:
            return
        search_id = uuid.uuid4()
        decision = throttle.acquire(instance, str(search_id))
        if not decision.granted:
            schedule_pump(instance, decision.wait)
            return
        if not _start_search(download, search_id):
            continue
        return


def _start_search(download: Download, search_id: uuid.UUID) -> bool:
    """True when a search is now running (or the pump should stop); False to take the next."""
    instance, token = download.instance, str(search_id)
    queries = matching.queries(download.wanted)
    query = queries[min(download.query_index, len(queries) - 1)]
    now = clock.now()
    claimed = download.move(
        Status.SEARCHING,
        expect=Status.QUEUED,
        search_id=search_id,
        query=query,
        search_started_at=now,
        searches_made=download.searches_made + 1,
        next_check_at=now + timedelta(seconds=POLL_SEARCH_SECONDS),
    )
    if not claimed:
        throttle.release(instance, token)
        throttle.forget_start(instance, token)
        return False
    client = client_for(download.user)

    def give_back(seconds: float, *, pause_reason: str = "") -> None:
        throttle.release(instance, token)
        throttle.forget_start(instance, token)
        download.move(Status.QUEUED, expect=Status.SEARCHING, search_id=None)
        if pause_reason:
            throttle.pause(instance, seconds, pause_reason)
        schedule_pump(instance, seconds)

    try:
        client.create_search(token, query)
    except Busy:
        give_back(3.0)  # slskd was starting another search that instant (≥0.24)
        return True
    except NotLoggedIn:
        give_back(
            NOT_LOGGED_IN_PAUSE_SECONDS,
            pause_reason="slskd is not logged in to the Soulseek network",
        )
        return True
    except Unauthorized:
        throttle.release(instance, token)
        throttle.forget_start(instance, token)
        download.move(
            Status.FAILED,
            expect=Status.SEARCHING,
            error="slskd refused the API key: check Downloads → Settings and test the connection.",
        )
        _run_progress(download)
        return False
    except (TransportError, ServerError) as error:
        give_back(UNREACHABLE_PAUSE_SECONDS, pause_reason=f"slskd unreachable: {error}")
        return True
    except SlskdError as error:
        throttle.release(instance, token)
        download.move(Status.FAILED, expect=Status.SEARCHING, error=f"slskd: {error}")
        _run_progress(download)
        return False
    scheduling.later(ADVANCE_TASK, [download.pk], POLL_SEARCH_SECONDS)
    return True


# --- one step of one download -------------------------------------------------------------------


def advance(pk: int) -> None:
    """One step for one download; schedules the next. Duplicate tasks for the same download
    step aside (a short lease on its row) so two workers never poll and enqueue twice."""
    if not _take_step_lease(pk):
        return
    try:
        download = Download.objects.filter(pk=pk).select_related("user").first()
        if download is None or not download.is_active:
            return
        if download.status == Status.QUEUED:
            schedule_pump(download.instance)
            return
        if download.status == Status.SEARCHING:
            seconds = check_search(download)
        else:
            seconds = check_transfer(download)
        if seconds is not None and download.is_active:
            download.save_fields(next_check_at=clock.now() + timedelta(seconds=seconds))
            scheduling.later(ADVANCE_TASK, [pk], seconds)
    finally:
        Download.objects.filter(pk=pk).update(stepping_until=None)


def _take_step_lease(pk: int) -> bool:
    """The download's step is ours for STEP_LEASE (a conditional UPDATE: one taker). In the
    database, not the cache, so a Redis restart cannot hand one step to two workers; a worker
    that died mid-step frees it when the lease runs out."""
    now = clock.now()
    free = Q(stepping_until__isnull=True) | Q(stepping_until__lte=now)
    return bool(Download.objects.filter(free, pk=pk).update(stepping_until=now + STEP_LEASE))


def check_search(download: Download) -> float | None:
    client = client_for(download.user)
    search_id = str(download.search_id)
    now = clock.now()
    try:
        status = client.search(search_id)
    except NotFound:
        # slskd lost it (restarted): the same query goes back into the queue.
        throttle.release(download.instance, search_id)
        download.move(Status.QUEUED, expect=Status.SEARCHING, search_id=None)
        schedule_pump(download.instance)
        return None
    except (TransportError, ServerError):
        return RETRY_SECONDS
    if not status.is_complete:
        started = download.search_started_at or now
        if (now - started).total_seconds() > SEARCH_HARD_TIMEOUT_SECONDS:
            with contextlib.suppress(SlskdError):
                client.stop_search(search_id)
        return POLL_SEARCH_SECONDS
    try:
        responses = client.search_responses(search_id)
        client.delete_search(search_id)
    except (TransportError, ServerError):
        return RETRY_SECONDS
    throttle.release(download.instance, search_id)
    schedule_pump(download.instance)

    if status.errored and not responses:
        until = throttle.pause(
            download.instance,
            throttle.BAN_PAUSE_SECONDS,
            "a search came back errored and empty: Soulseek may have banned this account "
            "for 30 minutes, so searching waits",
        )
        download.move(
            Status.QUEUED,
            expect=Status.SEARCHING,
            search_id=None,
            search_summary=f"Searching paused until {until:%H:%M} UTC (possible ban).",
        )
        schedule_pump(download.instance, throttle.BAN_PAUSE_SECONDS)
        return None

    choice = _choose(download, client, responses)
    summary = f"“{download.query}”: {choice.summary()}"
    if choice.best is not None:
        moved = download.move(
            Status.DOWNLOADING,
            expect=Status.SEARCHING,
            search_id=None,
            candidates=[c.as_dict() for c in choice.candidates],
            rejected=dict(choice.rejected),
            search_summary=summary,
            transfer_id="",
        )
        return start_transfer(download) if moved else None

    queries = matching.queries(download.wanted)
    if download.query_index + 1 < len(queries):
        # The next, simpler query goes first in the queue (its place is kept).
        download.move(
            Status.QUEUED,
            expect=Status.SEARCHING,
            search_id=None,
            query_index=download.query_index + 1,
            rejected=dict(choice.rejected),
            search_summary=summary,
        )
        return None
    _to_wishlist(download, summary, rejected=dict(choice.rejected))
    return None


def _choose(download: Download, client: SlskdClient, responses) -> scoring.Choice:
    ladder = Ladder.parse(download.ladder)
    tried = {tuple(pair) for pair in download.tried}
    choice = scoring.choose(
        download.wanted, ladder, responses, below_rung=download.below_rung, tried=tried
    )
    if choice.best is None:
        return choice
    # A search answers only the matching files; browse the best few folders to learn which
    # are whole albums from one person (preferred, reference §6).
    sizes: dict[tuple[str, str], int] = {}
    for candidate in choice.candidates[:BROWSE_TOP]:
        if candidate.rung != choice.best.rung:
            break
        folder = candidate.filename.rsplit("\\", 1)[0]
        try:
            sizes[(candidate.username, folder)] = client.folder_audio_count(
                candidate.username, folder
            )
        except SlskdError:
            continue  # an offline peer's folder stays unknown; the ranking still works
    if not sizes:
        return choice
    return scoring.choose(
        download.wanted,
        ladder,
        responses,
        below_rung=download.below_rung,
        tried=tried,
        folder_sizes=sizes,
    )


def _to_wishlist(download: Download, reason: str, **fields) -> None:
    rounds = download.wishlist_rounds + 1
    wait = WISHLIST_BACKOFF[min(rounds - 1, len(WISHLIST_BACKOFF) - 1)]
    moved = download.move(
        Status.NOT_FOUND,
        search_id=None,
        wishlist_rounds=rounds,
        next_retry_at=clock.now() + wait,
        error=reason[:2000],
        **fields,
    )
    if moved:
        _run_progress(download)


# --- transfers ----------------------------------------------------------------------------------


def start_transfer(download: Download) -> float | None:
    """Enqueue the best candidate not tried yet; when none is left, the wishlist."""
    client = client_for(download.user)
    destination = SlskdSettings.for_user(download.user).destination
    tried = {tuple(pair) for pair in download.tried}
    failures = []
    for data in download.candidates:
        candidate = scoring.Candidate.from_dict(data)
        pair = (candidate.username, candidate.filename)
        if pair in tried:
            continue
        if download.attempts >= MAX_ATTEMPTS:
            break
        attempt = download.attempts + 1
        # Our id for the batch: a retry after a lost answer is recognised by slskd (409).
        batch_id = uuid.uuid5(download.key, f"attempt-{attempt}")
        try:
            enqueued = client.enqueue(
                str(batch_id),
                candidate.username,
                candidate.filename,
                candidate.size,
                destination=destination,
            )
        except Busy:
            return RETRY_SECONDS / 5  # two enqueues were running; ours was not taken
        except (TransportError, ServerError):
            return RETRY_SECONDS
        except (NotFound, BadRequest, SlskdError) as error:
            enqueued = None
            failures.append(f"{candidate.username}: {error}")
        tried.add(pair)
        download.save_fields(attempts=attempt, tried=sorted(map(list, tried)))
        if enqueued is None or not enqueued.transfers:
            if enqueued is not None:
                failures.append(f"{candidate.username}: slskd did not enqueue the file")
            continue
        transfer = enqueued.transfers[0]
        now = clock.now()
        moved = download.move(
            Status.DOWNLOADING,
            expect=Status.DOWNLOADING,
            chosen=data,
            transfer_id=transfer.id,
            transfer_state=transfer.state_label,
            bytes_transferred=transfer.bytes_transferred,
            size=candidate.size,
            transfer_started_at=now,
            last_progress_at=now,
            quality_label=candidate.quality_label,
        )
        return POLL_TRANSFER_SECONDS if moved else None
    reason = "Every candidate failed"
    if failures:
        reason += ": " + "; ".join(failures[-3:])
    _to_wishlist(download, f"{reason}. {download.search_summary}")
    return None


def check_transfer(download: Download) -> float | None:
    if not download.transfer_id:
        return start_transfer(download)
    client = client_for(download.user)
    username = (download.chosen or {}).get("username", "")
    now = clock.now()
    try:
        transfer = client.transfer(username, download.transfer_id)
    except NotFound:
        return _next_candidate(download, client, "slskd no longer knows the transfer")
    except (TransportError, ServerError):
        return RETRY_SECONDS
    grew = transfer.bytes_transferred > download.bytes_transferred
    fields = {
        "transfer_state": transfer.state_label,
        "bytes_transferred": transfer.bytes_transferred,
        "size": transfer.size or download.size,
    }
    if grew:
        fields["last_progress_at"] = now
    download.save_fields(**fields)

    if transfer.succeeded:
        chosen = download.chosen or {}
        moved = download.move(
            Status.COMPLETED,
            expect=Status.DOWNLOADING,
            bytes_transferred=download.size,
            quality_key=chosen.get("quality_key"),
            quality_label=chosen.get("quality_label", ""),
        )
        if moved:
            _run_progress(download)
        return None
    if transfer.failed:
        detail = f": {transfer.exception}" if transfer.exception else ""
        return _next_candidate(download, client, f"{transfer.state_label}{detail}")
    started = download.transfer_started_at or now
    if now - started > TRACK_CAP:
        return _next_candidate(download, client, "took longer than an hour")
    if transfer.queued_remotely or not transfer.in_progress:
        if now - started > REMOTE_QUEUE_TIMEOUT:
            return _next_candidate(download, client, "the peer kept it queued for 10 minutes")
        return POLL_QUEUED_SECONDS if transfer.queued_remotely else POLL_TRANSFER_SECONDS
    last = download.last_progress_at or started
    if now - last > STALL_TIMEOUT:
        return _next_candidate(download, client, "no data arrived for 10 minutes")
    return POLL_TRANSFER_SECONDS


def _next_candidate(download: Download, client: SlskdClient, why: str) -> float | None:
    username = (download.chosen or {}).get("username", "")
    try:
        client.cancel(username, download.transfer_id)  # cancel and remove (§9)
    except SlskdError as error:
        logger.warning("cancelling transfer of download %s: %s", download.pk, error)
    download.save_fields(
        transfer_id="",
        transfer_state="",
        bytes_transferred=0,
        error=f"{username}: {why}"[:2000],
    )
    return start_transfer(download)


# --- the beat sweep -----------------------------------------------------------------------------


def sweep() -> dict:
    """Wishlist entries whose time has come go back to the queue (behind asked-for work);
    downloads whose next step is long overdue get it re-sent; every queue gets a look."""
    now = clock.now()
    requeued = 0
    due = Download.objects.filter(status=Status.NOT_FOUND, next_retry_at__lte=now).order_by(
        "next_retry_at"
    )[:WISHLIST_BATCH]
    for download in due:
        try:
            with transaction.atomic():
                moved = download.move(
                    Status.QUEUED,
                    expect=Status.NOT_FOUND,
                    priority=Priority.WISHLIST,
                    queued_at=now,
                    **{**_fresh_round(), "next_retry_at": None},
                )
        except IntegrityError:
            moved = False  # the person asked for it again meanwhile; that row carries on
        requeued += int(moved)
    rescued = 0
    overdue = Download.objects.filter(
        status__in=[Status.SEARCHING, Status.DOWNLOADING], next_check_at__lt=now - RESCUE_AFTER
    ).values_list("pk", flat=True)[:500]
    for pk in overdue:
        scheduling.later(ADVANCE_TASK, [pk], 0)
        rescued += 1
    instances = set(
        Download.objects.filter(status=Status.QUEUED).values_list("instance", flat=True)
    )
    for instance in instances:
        schedule_pump(instance)
    return {"requeued": requeued, "rescued": rescued, "queues": len(instances)}
