"""The sandbox slskd's moving parts: its searches, its transfers, and its fault knobs.

State lives in this process behind one lock — where the sandbox runs in tests (the live server
is a thread of the test process) and in the single-process demo. Time is core.clock, so a
test's FakeClock drives searches completing, queues draining and bytes arriving.

Knobs (tests call `configure(...)`; `reset()` restores the defaults):

    version            "0.26.0"; "0.24.0" or "0.23.0" exercise the older enqueue answers
    logged_in          False: /server says Disconnected and searches answer 409
    search_seconds     how long a search runs before it completes (clock seconds)
    busy_next          answer 429 to the next N search creations (slskd ≥0.24's one-at-a-time)
    ban_limit          the Soulseek server's patience: more searches than this in ban_window
                       seconds and every search ends "Completed, Errored" for ban_seconds
    speed_factor       multiplies every peer's upload speed (the browser test is impatient)
    reject_users       peers that refuse: "Completed, Rejected"
    stall_users        peers whose transfer stops moving at 40 %
    offline_users      peers that are offline: enqueue answers 404 (batches) or 500 (legacy)
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core import clock
from sandbox.slskd import network

API_KEY = "sandbox-slskd-api-key-0000"  # slskd keys are 16 to 255 characters
SEARCH_LOG_LIMIT = 100_000


@dataclass(frozen=True)
class Knobs:
    version: str = "0.26.0"
    logged_in: bool = True
    search_seconds: float = 3.0
    busy_next: int = 0
    ban_limit: int | None = 34
    ban_window: float = 220.0
    ban_seconds: float = 1800.0
    speed_factor: float = 1.0
    reject_users: frozenset[str] = frozenset()
    stall_users: frozenset[str] = frozenset()
    offline_users: frozenset[str] = frozenset()


@dataclass
class Search:
    id: str
    text: str
    started_at: datetime
    response_limit: int
    file_limit: int
    banned: bool
    responses: list[dict] = field(default_factory=list)
    stopped_at: datetime | None = None
    finished: bool = False


@dataclass
class TransferRow:
    id: str
    username: str
    filename: str
    size: int
    requested_at: datetime
    batch_id: str = ""
    cancelled_at: datetime | None = None
    removed: bool = False


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    knobs: Knobs = field(default_factory=Knobs)
    searches: dict[str, Search] = field(default_factory=dict)
    transfers: dict[str, TransferRow] = field(default_factory=dict)
    batches: dict[str, list[str]] = field(default_factory=dict)
    search_log: deque = field(default_factory=lambda: deque(maxlen=SEARCH_LOG_LIMIT))
    banned_until: datetime | None = None
    # The most searches ever running at once (slskd itself would queue past two).
    peak_running: int = 0


_state = _State()


def configure(**changes) -> Knobs:
    with _state.lock:
        for name in ("reject_users", "stall_users", "offline_users"):
            if name in changes:
                changes[name] = frozenset(changes[name])
        _state.knobs = replace(_state.knobs, **changes)
        return _state.knobs


def knobs() -> Knobs:
    return _state.knobs


def reset() -> None:
    with _state.lock:
        _state.knobs = Knobs()
        _state.searches.clear()
        _state.transfers.clear()
        _state.batches.clear()
        _state.search_log.clear()
        _state.banned_until = None
        _state.peak_running = 0
    network.reset()


def search_log() -> list[tuple[datetime, str]]:
    """(when, text) of every search created, oldest first: what the throttle let through."""
    with _state.lock:
        return list(_state.search_log)


def banned_until() -> datetime | None:
    return _state.banned_until


# --- searches -----------------------------------------------------------------------------------


class Busy(Exception):
    pass


class NotLoggedIn(Exception):
    pass


def create_search(search_id: str, text: str, response_limit: int, file_limit: int) -> Search:
    now = clock.now()
    with _state.lock:
        knobs = _state.knobs
        if not knobs.logged_in:
            raise NotLoggedIn
        if knobs.busy_next > 0:
            _state.knobs = replace(knobs, busy_next=knobs.busy_next - 1)
            raise Busy
        if search_id in _state.searches:
            raise ValueError("a search with that id exists")
        _state.search_log.append((now, text))
        if knobs.ban_limit is not None and _state.banned_until is None:
            window_start = now - timedelta(seconds=knobs.ban_window)
            recent = sum(1 for when, _ in _state.search_log if when > window_start)
            if recent > knobs.ban_limit:
                _state.banned_until = now + timedelta(seconds=knobs.ban_seconds)
        banned = _state.banned_until is not None and _state.banned_until > now
        search = Search(search_id, text, now, response_limit, file_limit, banned)
        _state.searches[search_id] = search
        running = sum(1 for other in _state.searches.values() if _running(other, now, knobs))
        _state.peak_running = max(_state.peak_running, running)
    return search


def _running(search: Search, now: datetime, knobs: Knobs) -> bool:
    if search.banned or search.stopped_at is not None:
        return False
    return now < search.started_at + timedelta(seconds=knobs.search_seconds)


def peak_running() -> int:
    return _state.peak_running


def _responses_for(search: Search) -> list[dict]:
    by_peer: dict[str, list[network.SharedFile]] = {}
    for shared in network.search(search.text):
        by_peer.setdefault(shared.peer.username, []).append(shared)
    responses = []
    for username, files in list(by_peer.items())[: search.response_limit]:
        peer = network.PEERS[username]
        open_files = [f.as_json() for f in files if not f.locked]
        locked = [f.as_json() for f in files if f.locked]
        responses.append(
            {
                "username": username,
                "token": abs(hash(search.id + username)) % 100_000,
                "fileCount": len(open_files),
                "lockedFileCount": len(locked),
                "files": open_files,
                "lockedFiles": locked,
                "hasFreeUploadSlot": peer.free_slot,
                "queueLength": peer.queue_length,
                "uploadSpeed": peer.upload_speed,
            }
        )
    return responses


def search_view(search_id: str) -> tuple[Search, str, bool] | None:
    """The search, its state string and whether it is complete; None if unknown."""
    now = clock.now()
    with _state.lock:
        search = _state.searches.get(search_id)
        seconds = _state.knobs.search_seconds
    if search is None:
        return None
    if search.banned:
        # A flooded-out search ends at once with nothing (reference §5, kima-hub PR #208).
        return search, "Completed, Errored", True
    ends_at = search.started_at + timedelta(seconds=seconds)
    if search.stopped_at is not None and search.stopped_at < ends_at:
        ends_at = search.stopped_at
    if now < ends_at:
        return search, "InProgress", False
    if not search.finished:
        # A stopped search keeps what had arrived; the sandbox's peers all answer at once.
        search.responses = _responses_for(search)
        search.finished = True
    state = "Completed, Cancelled" if search.stopped_at else "Completed, TimedOut"
    if len(search.responses) >= search.response_limit:
        state = "Completed, ResponseLimitReached"
    return search, state, True


def stop_search(search_id: str) -> bool:
    with _state.lock:
        search = _state.searches.get(search_id)
        if search is None:
            return False
        search.stopped_at = search.stopped_at or clock.now()
        return True


def delete_search(search_id: str) -> bool:
    with _state.lock:
        return _state.searches.pop(search_id, None) is not None


def all_searches() -> list[Search]:
    with _state.lock:
        return list(_state.searches.values())


# --- transfers ----------------------------------------------------------------------------------


class PeerOffline(Exception):
    pass


class BatchExists(Exception):
    pass


def enqueue(username: str, files: list[tuple[str, int]], batch_id: str = "") -> list[TransferRow]:
    now = clock.now()
    with _state.lock:
        if username in _state.knobs.offline_users or username not in network.PEERS:
            raise PeerOffline(username)
        if batch_id and batch_id in _state.batches:
            raise BatchExists(batch_id)
        made = []
        for filename, size in files:
            active = [
                row
                for row in _state.transfers.values()
                if row.username == username
                and row.filename == filename
                and not row.removed
                and not _terminal(row, now)
            ]
            if active:
                continue  # "Skipped: Already in progress"
            row = TransferRow(str(uuid.uuid4()), username, filename, size, now, batch_id)
            _state.transfers[row.id] = row
            made.append(row)
        if batch_id:
            _state.batches[batch_id] = [row.id for row in made]
        return made


def batch_rows(batch_id: str) -> list[TransferRow] | None:
    with _state.lock:
        ids = _state.batches.get(batch_id)
        if ids is None:
            return None
        return [_state.transfers[i] for i in ids if i in _state.transfers]


def transfer(transfer_id: str) -> TransferRow | None:
    with _state.lock:
        row = _state.transfers.get(transfer_id)
        return row if row and not row.removed else None


def user_transfers(username: str) -> list[TransferRow]:
    with _state.lock:
        return [r for r in _state.transfers.values() if r.username == username and not r.removed]


def cancel(transfer_id: str, remove: bool) -> bool:
    with _state.lock:
        row = _state.transfers.get(transfer_id)
        if row is None or row.removed:
            return False
        row.cancelled_at = row.cancelled_at or clock.now()
        row.removed = remove
        return True


def _timeline(row: TransferRow) -> tuple[float, float, float]:
    """Seconds after the request: when it leaves the remote queue, speed, when it is done."""
    peer = network.PEERS.get(row.username)
    speed = (peer.upload_speed if peer else 100_000) * _state.knobs.speed_factor
    queued = 0.0 if peer is None or peer.free_slot else 2.0 * peer.queue_length
    start = queued + 0.5  # Requested → Initializing → InProgress
    return start, speed, start + row.size / max(speed, 1.0)


def _terminal(row: TransferRow, now: datetime) -> bool:
    return view(row, now)["state"].startswith("Completed")


def view(row: TransferRow, now: datetime | None = None) -> dict:
    """The transfer as slskd shows it at `now` (state, bytes, times), from the clock alone."""
    now = now or clock.now()
    knobs = _state.knobs
    elapsed = (now - row.requested_at).total_seconds()
    start, speed, done_at = _timeline(row)
    data = {
        "id": row.id,
        "username": row.username,
        "direction": "Download",
        "filename": row.filename,
        "size": row.size,
        "requestedAt": _naive(row.requested_at),
        "enqueuedAt": _naive(row.requested_at),
        "bytesTransferred": 0,
        "bytesRemaining": row.size,
        "percentComplete": 0.0,
        "averageSpeed": 0.0,
        "attempts": 1,
    }
    if row.batch_id:
        data["batchId"] = row.batch_id

    def at(seconds: float) -> datetime:
        return row.requested_at + timedelta(seconds=seconds)

    if row.username in knobs.reject_users:
        if elapsed >= 1.0:
            return data | {
                "state": "Completed, Rejected",
                "endedAt": _naive(at(1.0)),
                "exception": "Transfer rejected: Too many files",
            }
        return data | {"state": "Requested"}
    if row.cancelled_at is not None and row.cancelled_at < at(done_at):
        moved = max(
            min(speed * ((row.cancelled_at - row.requested_at).total_seconds() - start), row.size),
            0,
        )
        return data | {
            "state": "Completed, Cancelled",
            "bytesTransferred": int(moved),
            "bytesRemaining": row.size - int(moved),
            "endedAt": _naive(row.cancelled_at),
        }
    if elapsed < 0.2:
        return data | {"state": "Requested"}
    if elapsed < start - 0.5:
        peer = network.PEERS.get(row.username)
        return data | {
            "state": "Queued, Remotely",
            "placeInQueue": peer.queue_length if peer else 1,
        }
    if elapsed < start:
        return data | {"state": "Initializing"}
    moved = min(speed * (elapsed - start), row.size)
    if row.username in knobs.stall_users:
        moved = min(moved, row.size * 0.4)
    if moved >= row.size:
        return data | {
            "state": "Completed, Succeeded",
            "startedAt": _naive(at(start)),
            "endedAt": _naive(at(done_at)),
            "bytesTransferred": row.size,
            "bytesRemaining": 0,
            "percentComplete": 100.0,
            "averageSpeed": speed,
        }
    return data | {
        "state": "InProgress",
        "startedAt": _naive(at(start)),
        "bytesTransferred": int(moved),
        "bytesRemaining": row.size - int(moved),
        "percentComplete": round(moved * 100 / row.size, 2) if row.size else 0.0,
        "averageSpeed": speed if row.username not in knobs.stall_users else 0.0,
    }


def _naive(moment: datetime) -> str:
    # slskd writes UTC without the Z, with .NET's seven fractional digits.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"
