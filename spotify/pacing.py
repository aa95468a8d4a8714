"""Pacing per Spotify app, shared by every worker and web process.

A schedule of send slots, `interval` seconds apart: each caller reserves the next free slot and
sleeps until it. With Redis the schedule lives in Redis (one atomic script, so all processes
share it); without Redis each process keeps its own (the demo runs one worker).

Interactive calls (a person is waiting) reserve from their own schedule and push the background
schedule back, so they never queue behind a bulk job's reserved slots.

The *level* slows everything down after a rate-limit 429 and recovers step by step on success.
"""

from __future__ import annotations

import threading

from django.conf import settings

from core import clock

MAX_LEVEL = 16.0
# A slot further ahead than this is not waited for: the caller gives its slot up and pauses.
MAX_BACKLOG_SECONDS = 30.0

_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local interactive = ARGV[3] == '1'
local floor = tonumber(ARGV[4])
local background_next = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot
if interactive then
  local interactive_next = tonumber(redis.call('GET', KEYS[2]) or '0')
  slot = math.max(now, interactive_next, floor)
  redis.call('SET', KEYS[2], slot + interval, 'PX', 120000)
  redis.call('SET', KEYS[1], math.max(background_next, slot) + interval, 'PX', 120000)
else
  slot = math.max(now, background_next, floor)
  redis.call('SET', KEYS[1], slot + interval, 'PX', 120000)
end
return tostring(slot - now)
"""


class _LocalSchedule:
    def __init__(self):
        self.lock = threading.Lock()
        self.background_next = 0.0
        self.interactive_next = 0.0
        self.level = 1.0

    def next_free(self, interactive: bool) -> float:
        return self.interactive_next if interactive else self.background_next

    def follow(self, slot: float, interval: float, interactive: bool) -> None:
        """Note a slot the shared schedule gave out, so that falling back to this schedule
        (Redis gone) goes on from it instead of from an empty past."""
        with self.lock:
            if interactive:
                self.interactive_next = max(self.interactive_next, slot + interval)
            self.background_next = max(self.background_next, slot + interval)

    def reserve(self, now: float, interval: float, interactive: bool) -> float:
        with self.lock:
            if interactive:
                slot = max(now, self.interactive_next)
                self.interactive_next = slot + interval
                self.background_next = max(self.background_next, slot) + interval
            else:
                slot = max(now, self.background_next)
                self.background_next = slot + interval
            return slot - now


_local: dict[str, _LocalSchedule] = {}
_local_lock = threading.Lock()
_redis_client = None


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis_client


def _key(app: str, name: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "tk"
    return f"{prefix}:pace:{app}:{name}"


def _schedule(app: str) -> _LocalSchedule:
    with _local_lock:
        return _local.setdefault(app, _LocalSchedule())


def level(app: str) -> float:
    if settings.REDIS_URL:
        try:
            raw = _redis().get(_key(app, "level"))
            return float(raw) if raw else 1.0
        except Exception:  # Redis away: pacing falls back to this process
            return _schedule(app).level
    return _schedule(app).level


def _set_level(app: str, value: float) -> None:
    value = min(max(value, 1.0), MAX_LEVEL)
    _schedule(app).level = value
    if settings.REDIS_URL:
        try:
            _redis().set(_key(app, "level"), value, ex=3600)
        except Exception:  # Redis away: keep the local level
            return


def slow_down(app: str) -> None:
    """A rate-limit 429 came back: halve the pace."""
    _set_level(app, level(app) * 2)


def recover(app: str) -> None:
    """A call went through: creep back towards the configured pace."""
    current = level(app)
    if current > 1.0:
        _set_level(app, current * 0.9)


def interval(app: str) -> float:
    return level(app) / settings.SPOTIFY_CALLS_PER_SECOND


def reserve(app: str, *, interactive: bool) -> float:
    """Reserve the next send slot; returns how many seconds to wait for it.

    The shared schedule (Redis) and this process's own one keep each other's last slot, so a
    Redis that goes away, or comes back empty after a restart, never lets this process send
    sooner than the pace allows.
    """
    gap = interval(app)
    local = _schedule(app)
    now = clock.monotonic()
    if settings.REDIS_URL:
        try:
            # Redis needs one time base for all processes: wall-clock seconds.
            wall = clock.now().timestamp()
            floor = wall + (local.next_free(interactive) - now)
            script = _redis().register_script(_RESERVE)
            wait = float(
                script(
                    keys=[_key(app, "background"), _key(app, "interactive")],
                    args=[wall, gap, "1" if interactive else "0", floor],
                )
            )
            local.follow(now + wait, gap, interactive)
            return max(wait, 0.0)
        except Exception:  # Redis away: fail safe to this process's own schedule
            now = clock.monotonic()
    return local.reserve(now, gap, interactive)


def reset(app: str) -> None:
    """Forget the schedule and level (tests, or an operator after an outage)."""
    with _local_lock:
        _local.pop(app, None)
    if settings.REDIS_URL:
        try:
            _redis().delete(_key(app, "background"), _key(app, "interactive"), _key(app, "level"))
        except Exception:  # nothing to reset when Redis is away
            return
