"""Fault knobs for the sandbox Spotify, and the per-request pipeline that applies them.

Tests and benchmarks drive the knobs with a small API::

    from sandbox.spotify import faults
    faults.configure(rate_limit=10)               # 10 requests per app per rolling 30 s
    faults.configure(daily_quota=100)             # then 429 QUOTA_EXCEEDED, long Retry-After
    faults.configure(storm_rate=0.3)              # 30% of calls get 429 with a short Retry-After
    faults.configure(server_error_rate=0.1)       # 10% of calls get 500/502/503
    faults.configure(timeout_rate=1, timeout_seconds=2, only=("POST /playlists/{id}/items",))
    faults.fail_next(503, count=2)                # the next two matching calls, exactly
    faults.expire_token(access_token) / faults.revoke(user)
    faults.concurrent_edit(playlist_id, after_reads=1, action="add")
    faults.reset()                                # back to settings.SANDBOX_FAULTS

The knobs live in one database row (FaultSettings), so whichever process serves the sandbox —
the live-server thread of a test, the demo, a benchmark's gunicorn — sees what another process
configured; in tests the row rolls back with the test's data. `settings.SANDBOX_FAULTS` (a dict
of the same names) gives the demo its defaults. The counters behind the knobs (the 30 s window,
the quota window, the random sequence, the request log) are kept in the serving process's
memory, which is where the sandbox runs; several web processes would each count on their own.

All time is core.clock — a test's FakeClock drives rate windows, quotas and token expiry —
except the timeout fault, which must block for real seconds so the client's socket timeout
fires. All randomness comes from one random.Random seeded by the `seed` knob, so a scenario
replays identically (for requests served one at a time).
"""

from __future__ import annotations

import contextvars
import dataclasses
import math
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse

from core import clock

SERVER_ERROR_MESSAGES = {
    500: "Server error.",
    502: "Bad gateway.",
    503: "Service unavailable",
    504: "Gateway timeout",
}
REQUEST_LOG_LIMIT = 100_000
ROW = 1  # the FaultSettings row every process reads


@dataclass(frozen=True)
class ConcurrentEdit:
    """After the `after_reads`-th read of the playlist, someone else edits it (once)."""

    playlist_id: str
    after_reads: int = 1
    action: str = "add"  # "add" appends a catalog track; "remove" removes the last item
    reads: int = 0  # reads counted so far


@dataclass(frozen=True)
class ScriptedFault:
    """One canned answer for the next request that matches `only` (all requests if empty)."""

    status: int
    retry_after: int | None = None
    body: dict | None = None
    only: tuple[str, ...] = ()
    after_apply: bool = False  # let the write land, then answer with this (response lost)
    timeout: bool = False  # block for timeout_seconds instead of answering promptly


@dataclass(frozen=True)
class Faults:
    # Every request waits this long first (clock.sleep: a FakeClock just moves forward).
    latency_ms: float = 0
    # Rolling window per client app (Spotify: 30 s, size undisclosed). None = unlimited.
    rate_limit: int | None = None
    rate_window_seconds: float = 30.0
    # Daily quota per client app, counted over a rolling window like the one observed in 2026.
    daily_quota: int | None = None
    quota_window_seconds: float = 86_400.0
    # None: seconds until the oldest counted call leaves the window (hours, as observed).
    quota_retry_after: int | None = None
    # Storm: this fraction of matching calls gets 429 with a short Retry-After.
    storm_rate: float = 0.0
    storm_retry_after: int = 1
    # Random server errors on this fraction of matching calls.
    server_error_rate: float = 0.0
    server_error_statuses: tuple[int, ...] = (500, 502, 503)
    # Timeouts: the response comes after timeout_seconds of real time (longer than the client's
    # timeout), with a 504 body nobody reads.
    timeout_rate: float = 0.0
    timeout_seconds: float = 2.0
    # For server errors and timeouts on writes: apply the write first, then fail (the classic
    # "did my POST land?" case). Reads are unaffected by this flag.
    after_apply: bool = False
    # Restrict storm / server errors / timeouts to these endpoint templates ("POST
    # /playlists/{id}/items") or methods ("POST"). Empty = every endpoint.
    only: tuple[str, ...] = ()
    concurrent_edits: tuple[ConcurrentEdit, ...] = ()
    access_token_seconds: int = 3600
    # Open question §8.1: does /me/library take spotify:artist: URIs? On = the migration guide's
    # reading (follow/unfollow moved there); off = the spec's list (400 unsupported URI type).
    library_artist_uris: bool = True
    # None = settings.SPOTIFY_API_MODE ("development" or "extended").
    api_mode: str | None = None
    # Which key carries a playlist item's track: "auto" (development: `item` only, the deprecated
    # `track` absent; extended: both), or force "item", "track" or "both".
    playlist_item_keys: str = "auto"
    # Open question §8.4: with more than `limit` plays after the cursor, serve the newest or the
    # oldest of them.
    recently_played_after: str = "newest"
    # Open question §8.6: the documented cap on a playlist-items page is 50; the API was seen
    # accepting 100. Set 100 to emulate that.
    playlist_items_max_limit: int = 50
    seed: int = 0


_KNOWN = {f.name for f in dataclasses.fields(Faults)}


@dataclass
class _Memory:
    """Counters of the serving process, for one generation of the knobs."""

    generation: str
    rng: random.Random
    rate_hits: dict[str, deque] = field(default_factory=dict)
    quota_hits: dict[str, deque] = field(default_factory=dict)


_lock = threading.Lock()
_memory: _Memory | None = None
_requests: deque = deque(maxlen=REQUEST_LOG_LIMIT)
# The knobs read once at the start of a request, so one request sees one configuration.
_in_request: contextvars.ContextVar[Faults | None] = contextvars.ContextVar(
    "sandbox_faults", default=None
)


def build(knobs: dict) -> Faults:
    """Faults from a dict of knob names (ValueError/TypeError on unknown names or values)."""
    unknown = set(knobs) - _KNOWN
    if unknown:
        raise ValueError(f"unknown sandbox fault knobs {sorted(unknown)}; known: {sorted(_KNOWN)}")
    faults = Faults(**knobs)
    edits = tuple(
        edit if isinstance(edit, ConcurrentEdit) else ConcurrentEdit(**edit)
        for edit in faults.concurrent_edits
    )
    faults = dataclasses.replace(
        faults,
        only=tuple(faults.only),
        server_error_statuses=tuple(faults.server_error_statuses),
        concurrent_edits=edits,
    )
    _check(faults)
    return faults


_CHOICES = {
    "api_mode": (None, "development", "extended"),
    "playlist_item_keys": ("auto", "item", "track", "both"),
    "recently_played_after": ("newest", "oldest"),
}
_RATES = ("storm_rate", "server_error_rate", "timeout_rate")
_OPTIONAL_COUNTS = ("rate_limit", "daily_quota", "quota_retry_after")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(faults: Faults) -> None:
    """Refuse values the pipeline could not use, with the knob's name in the message."""
    problems = []
    for name, allowed in _CHOICES.items():
        if getattr(faults, name) not in allowed:
            problems.append(f"{name} must be one of {allowed}")
    for name in _RATES:
        value = getattr(faults, name)
        if not _is_number(value) or not 0 <= value <= 1:
            problems.append(f"{name} must be a fraction between 0 and 1")
    for name in _OPTIONAL_COUNTS:
        value = getattr(faults, name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            problems.append(f"{name} must be a positive whole number or null")
    for name in ("latency_ms", "rate_window_seconds", "quota_window_seconds", "timeout_seconds"):
        value = getattr(faults, name)
        if not _is_number(value) or value < 0:
            problems.append(f"{name} must be a number of at least 0")
    for name in ("storm_retry_after", "access_token_seconds", "seed"):
        if not isinstance(getattr(faults, name), int) or isinstance(getattr(faults, name), bool):
            problems.append(f"{name} must be a whole number")
    if faults.playlist_items_max_limit not in range(1, 101):
        problems.append("playlist_items_max_limit must be between 1 and 100")
    for name in ("after_apply", "library_artist_uris"):
        if not isinstance(getattr(faults, name), bool):
            problems.append(f"{name} must be true or false")
    if not all(isinstance(value, str) for value in faults.only):
        problems.append('only must list endpoints ("POST /playlists/{id}/items") or methods')
    if not faults.server_error_statuses or not all(
        isinstance(value, int) and 500 <= value <= 599 for value in faults.server_error_statuses
    ):
        problems.append("server_error_statuses must list 5xx status codes")
    if problems:
        raise ValueError("sandbox fault knobs: " + "; ".join(problems))


def _defaults() -> dict:
    return dict(getattr(settings, "SANDBOX_FAULTS", {}) or {})


def _jsonable(value):
    if isinstance(value, ConcurrentEdit):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | list):
        return [_jsonable(element) for element in value]
    return value


def _row():
    from sandbox.spotify.models import FaultSettings

    return FaultSettings.objects.filter(pk=ROW).first()


def _load() -> tuple[Faults, str, list]:
    row = _row()
    if row is None:
        return build(_defaults()), "", []
    return build({**_defaults(), **row.knobs}), row.generation, row.script


def current() -> Faults:
    """The knobs in force (inside a request: as read at its start)."""
    inside = _in_request.get()
    return inside if inside is not None else _load()[0]


def _locked_row():
    from sandbox.spotify.models import FaultSettings

    row = FaultSettings.objects.select_for_update().filter(pk=ROW).first()
    if row is None:
        row = FaultSettings.objects.create(pk=ROW, generation=uuid.uuid4().hex)
    return row


def configure(**changes) -> Faults:
    """Change some knobs, keep the rest. Changing `seed` restarts the random sequence."""
    with transaction.atomic():
        row = _locked_row()
        knobs = {**row.knobs, **{name: _jsonable(value) for name, value in changes.items()}}
        faults = build({**_defaults(), **knobs})  # validates names and values
        row.knobs = knobs
        if "seed" in changes:
            row.generation = uuid.uuid4().hex
        row.save()
    return faults


def reset() -> None:
    """Back to the defaults (plus settings.SANDBOX_FAULTS); forget windows, scripts and logs."""
    from sandbox.spotify.models import FaultSettings

    FaultSettings.objects.filter(pk=ROW).delete()
    forget_counters()


def forget_counters() -> None:
    """Forget this process's windows, scripts, random sequence and request log (no database)."""
    global _memory
    with _lock:
        _memory = None
        _requests.clear()


def api_mode() -> str:
    return current().api_mode or getattr(settings, "SPOTIFY_API_MODE", "development")


def extended() -> bool:
    return api_mode() == "extended"


def fail_next(
    status: int,
    *,
    count: int = 1,
    retry_after: int | None = None,
    body: dict | None = None,
    only: tuple[str, ...] | list[str] = (),
    after_apply: bool = False,
    timeout: bool = False,
) -> None:
    """Answer the next `count` matching requests with `status` (deterministic faults)."""
    fault = dataclasses.asdict(
        ScriptedFault(
            status=status,
            retry_after=retry_after,
            body=body,
            only=tuple(only),
            after_apply=after_apply,
            timeout=timeout,
        )
    )
    with transaction.atomic():
        row = _locked_row()
        row.script = [*row.script, *([fault] * count)]
        row.save()


def concurrent_edit(playlist_id: str, *, after_reads: int = 1, action: str = "add") -> None:
    """After the `after_reads`-th read (GET of the playlist or of its items) from now, another
    client edits the playlist once: appends a track, or removes the last item."""
    if action not in ("add", "remove"):
        raise ValueError("action must be 'add' or 'remove'")
    edit = ConcurrentEdit(playlist_id=playlist_id, after_reads=after_reads, action=action)
    with transaction.atomic():
        row = _locked_row()
        row.knobs = {
            **row.knobs,
            "concurrent_edits": [*row.knobs.get("concurrent_edits", []), _jsonable(edit)],
        }
        row.save()


def expire_token(access_token: str | None = None, *, user=None) -> int:
    """Make access tokens expire now (one token, or all of a user's); returns how many."""
    from sandbox.spotify.models import IssuedToken

    tokens = IssuedToken.objects.all()
    if access_token is not None:
        tokens = tokens.filter(access_token=access_token)
    if user is not None:
        tokens = tokens.filter(user=user)
    return tokens.update(expires_at=clock.now())


def revoke(user, *, access_tokens: bool = False) -> int:
    """The user withdrew consent: refreshing gives invalid_grant. With access_tokens=True the
    access tokens stop working at once too (401)."""
    from sandbox.spotify.models import IssuedToken

    changes = {"refresh_revoked": True}
    if access_tokens:
        changes["revoked"] = True
    return IssuedToken.objects.filter(user=user).update(**changes)


def requests() -> list[dict]:
    """Every request this process's sandbox received since reset(), in order."""
    with _lock:
        return list(_requests)


def request_count(endpoint: str | None = None) -> int:
    entries = requests()
    if endpoint is None:
        return len(entries)
    return sum(1 for entry in entries if entry["endpoint"] == endpoint)


def record_request(
    *, method: str, endpoint: str, path: str, status: int, client_id: str, user: str
) -> None:
    entry = {
        "at": clock.now(),
        "method": method,
        "endpoint": endpoint,
        "path": path,
        "status": status,
        "client_id": client_id,
        "user": user,
    }
    with _lock:
        _requests.append(entry)


def note_playlist_read(playlist_id: str) -> str | None:
    """Count a read of a playlist; return an edit action when a concurrent edit is due."""
    if not any(e.playlist_id == playlist_id for e in current().concurrent_edits):
        return None
    with transaction.atomic():
        row = _locked_row()
        edits = [ConcurrentEdit(**edit) for edit in row.knobs.get("concurrent_edits", [])]
        due = None
        kept = []
        for edit in edits:
            if edit.playlist_id == playlist_id:
                edit = dataclasses.replace(edit, reads=edit.reads + 1)
                if due is None and edit.reads >= edit.after_reads:
                    due = edit
                    continue
            kept.append(edit)
        row.knobs = {**row.knobs, "concurrent_edits": [_jsonable(edit) for edit in kept]}
        row.save()
    return due.action if due else None


def _memory_for(generation: str, seed: int) -> _Memory:
    global _memory
    if _memory is None or _memory.generation != generation:
        _memory = _Memory(generation=generation, rng=random.Random(seed))
    return _memory


def _take_scripted(method: str, endpoint: str) -> ScriptedFault | None:
    with transaction.atomic():
        row = _locked_row()
        for index, raw in enumerate(row.script):
            fault = ScriptedFault(**{**raw, "only": tuple(raw.get("only", ()))})
            if _matches(fault.only, method, endpoint):
                row.script = row.script[:index] + row.script[index + 1 :]
                row.save()
                return fault
    return None


# --- The pipeline -------------------------------------------------------------------------------


def error_response(status: int, message: str, *, retry_after: int | None = None, **extra):
    response = JsonResponse(
        {"error": {"status": status, "message": message, **extra}}, status=status
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _matches(only: tuple[str, ...], method: str, endpoint: str) -> bool:
    return not only or endpoint in only or method in only


def _window_retry_after(hits: deque, window: float, now: float) -> int:
    return max(1, math.ceil(hits[0] + window - now))


def _prune(hits: deque, window: float, now: float) -> None:
    while hits and hits[0] <= now - window:
        hits.popleft()


def _throttle(memory: _Memory, faults: Faults, client_id: str) -> HttpResponse | None:
    """The app-level limits: daily quota first (it dominates), then the 30 s window."""
    now = clock.monotonic()
    quota_hits = memory.quota_hits.setdefault(client_id, deque())
    rate_hits = memory.rate_hits.setdefault(client_id, deque())
    if faults.daily_quota is not None:
        _prune(quota_hits, faults.quota_window_seconds, now)
        if len(quota_hits) >= faults.daily_quota:
            retry_after = faults.quota_retry_after or _window_retry_after(
                quota_hits, faults.quota_window_seconds, now
            )
            return error_response(
                429, "Too many requests", retry_after=retry_after, reason="QUOTA_EXCEEDED"
            )
    if faults.rate_limit is not None:
        _prune(rate_hits, faults.rate_window_seconds, now)
        if len(rate_hits) >= faults.rate_limit:
            retry_after = _window_retry_after(rate_hits, faults.rate_window_seconds, now)
            return error_response(429, "API rate limit exceeded", retry_after=retry_after)
    # Counted only when let through: a refused call does not lengthen the wait here.
    if faults.daily_quota is not None:
        quota_hits.append(now)
    if faults.rate_limit is not None:
        rate_hits.append(now)
    return None


def _scripted_response(fault: ScriptedFault) -> HttpResponse:
    if fault.body is not None:
        response = JsonResponse(fault.body, status=fault.status)
        if fault.retry_after is not None:
            response["Retry-After"] = str(fault.retry_after)
        return response
    if fault.status == 429:
        return error_response(429, "API rate limit exceeded", retry_after=fault.retry_after or 1)
    message = SERVER_ERROR_MESSAGES.get(fault.status, "Sandbox fault")
    return error_response(fault.status, message, retry_after=fault.retry_after)


def _block_past_client_timeout(seconds: float) -> HttpResponse:
    # Real time on purpose: the client's socket timeout only fires if the answer is really late.
    time.sleep(seconds)
    return error_response(504, SERVER_ERROR_MESSAGES[504])


def run(
    *, client_id: str, method: str, endpoint: str, call: Callable[[], HttpResponse]
) -> HttpResponse:
    """Apply the knobs around one authenticated Web API request; `call` runs the view."""
    faults, generation, script = _load()
    marker = _in_request.set(faults)
    try:
        return _run(faults, generation, script, client_id, method, endpoint, call)
    finally:
        _in_request.reset(marker)


def _run(faults, generation, script, client_id, method, endpoint, call) -> HttpResponse:
    if faults.latency_ms:
        clock.sleep(faults.latency_ms / 1000)
    with _lock:
        memory = _memory_for(generation, faults.seed)
        refused = _throttle(memory, faults, client_id)
        if refused is not None:
            return refused
        storm = server_error = timeout = False
        error_status = 500
        if _matches(faults.only, method, endpoint):
            # Always draw all three so one knob does not shift another's sequence.
            storm = memory.rng.random() < faults.storm_rate
            server_error = memory.rng.random() < faults.server_error_rate
            timeout = memory.rng.random() < faults.timeout_rate
            error_status = memory.rng.choice(faults.server_error_statuses or (500,))
    is_write = method != "GET"
    scripted = _take_scripted(method, endpoint) if script else None
    if scripted is not None:
        if scripted.after_apply and is_write:
            call()
        if scripted.timeout:
            return _block_past_client_timeout(faults.timeout_seconds)
        return _scripted_response(scripted)
    if storm:
        return error_response(429, "API rate limit exceeded", retry_after=faults.storm_retry_after)
    late = faults.after_apply and is_write
    if server_error and not late:
        return error_response(error_status, SERVER_ERROR_MESSAGES.get(error_status, "Error"))
    if timeout and not late:
        return _block_past_client_timeout(faults.timeout_seconds)
    response = call()
    if server_error:
        return error_response(error_status, SERVER_ERROR_MESSAGES.get(error_status, "Error"))
    if timeout:
        return _block_past_client_timeout(faults.timeout_seconds)
    return response
