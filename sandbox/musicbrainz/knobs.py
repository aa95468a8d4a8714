"""The sandbox MusicBrainz's fault knobs, like the sandbox Spotify's (sandbox/spotify/faults.py)
but in process memory: tests set them in the process that serves the live server.

- `min_interval` (seconds between two requests of one client, default 1.0 like the real
  service; 0 turns pacing off); a faster request gets 503 with Retry-After.
- `latency_ms` before every answer; `fail_next(status, retry_after)` scripts the next answers.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, replace

from django.conf import settings


@dataclass(frozen=True)
class Knobs:
    min_interval: float = 1.0
    latency_ms: int = 0


_lock = threading.Lock()
_knobs: Knobs | None = None  # from settings.SANDBOX_MUSICBRAINZ_FAULTS on first use
_last_seen: dict[str, float] = {}
_scripted: deque[tuple[int, int | None]] = deque()
_log: list[dict] = []


def _from_settings() -> Knobs:
    return Knobs(**(getattr(settings, "SANDBOX_MUSICBRAINZ_FAULTS", None) or {}))


def current() -> Knobs:
    global _knobs
    with _lock:
        if _knobs is None:
            _knobs = _from_settings()
        return _knobs


def configure(**changes) -> Knobs:
    global _knobs
    knobs = current()
    with _lock:
        _knobs = replace(knobs, **changes)
        return _knobs


def reset() -> None:
    global _knobs
    with _lock:
        _knobs = _from_settings()
        _last_seen.clear()
        _scripted.clear()
        _log.clear()


def fail_next(status: int = 503, *, retry_after: int | None = 1, times: int = 1) -> None:
    with _lock:
        _scripted.extend([(status, retry_after)] * times)


def requests() -> list[dict]:
    with _lock:
        return list(_log)


def admit(client: str, path: str) -> tuple[int, int | None] | None:
    """None to serve the request, or (status, retry_after) to refuse it. Every request is
    logged with its outcome."""
    now = time.monotonic()
    knobs = current()
    with _lock:
        refusal = None
        if _scripted:
            refusal = _scripted.popleft()
        else:
            last = _last_seen.get(client)
            # A little slack for clock jitter on a client that paces itself at exactly 1/s.
            if knobs.min_interval and last is not None and now - last < knobs.min_interval * 0.9:
                refusal = (503, 1)
            else:
                _last_seen[client] = now
        _log.append({"path": path, "client": client, "status": refusal[0] if refusal else 200})
    if knobs.latency_ms:
        time.sleep(knobs.latency_ms / 1000)
    return refusal
