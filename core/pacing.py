"""The one slot scheduler every outbound service paces itself with, shared by every process.

A schedule of send slots `interval` seconds apart per *name* (a Spotify app, "musicbrainz"…):
each caller reserves the next free slot and sleeps until it. With Redis the schedule lives in
Redis (one atomic script, so all workers and web processes share it); without Redis each
process keeps its own (the demo runs one worker).

- `burst`: that many calls may go at once after a quiet spell (a slot may lie up to
  `burst - 1` intervals in the past); 1 means strictly one call per interval.
- Interactive calls (a person is waiting) reserve from their own lane and push the background
  lane back, so they never queue behind a bulk job's reserved slots.
- `hold` pushes both lanes back (a 503 with Retry-After: every worker waits, not only one).
- The *level* slows a service down after a rate limit and recovers step by step on success;
  callers multiply their interval by it.

Redis may restart (empty, without persistence) or go away at any moment: the shared schedule
and this process's own one keep each other's last slot, so neither an outage nor an empty
Redis ever lets a process send sooner than the pace allows.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from core import clock

logger = logging.getLogger(__name__)

MAX_LEVEL = 16.0
KEY_TTL_MS = 600_000  # an idle schedule is forgotten after 10 minutes

_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local interactive = ARGV[3] == '1'
local floor = tonumber(ARGV[4])
local earliest = now - tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local background_next = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot
if interactive then
  local interactive_next = tonumber(redis.call('GET', KEYS[2]) or '0')
  slot = math.max(earliest, interactive_next, floor)
  redis.call('SET', KEYS[2], slot + interval, 'PX', ttl)
  redis.call('SET', KEYS[1], math.max(background_next, slot) + interval, 'PX', ttl)
else
  slot = math.max(earliest, background_next, floor)
  redis.call('SET', KEYS[1], slot + interval, 'PX', ttl)
end
return tostring(slot - now)
"""
_HOLD = """
local until = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local next_slot = tonumber(redis.call('GET', key) or '0')
  if until > next_slot then redis.call('SET', key, until, 'PX', ttl) end
end
return 1
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

    def hold(self, until: float) -> None:
        with self.lock:
            self.interactive_next = max(self.interactive_next, until)
            self.background_next = max(self.background_next, until)

    def reserve(self, now: float, interval: float, interactive: bool, slack: float) -> float:
        with self.lock:
            if interactive:
                slot = max(now - slack, self.interactive_next)
                self.interactive_next = slot + interval
                self.background_next = max(self.background_next, slot) + interval
            else:
                slot = max(now - slack, self.background_next)
                self.background_next = slot + interval
            return slot - now


_local: dict[str, _LocalSchedule] = {}
_local_lock = threading.Lock()
_redis_client = None


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis  # only with REDIS_URL: the demo runs without the package's server

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis_client


def _key(name: str, part: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "tk"
    return f"{prefix}:pace:{name}:{part}"


def _schedule(name: str) -> _LocalSchedule:
    with _local_lock:
        return _local.setdefault(name, _LocalSchedule())


def reserve(name: str, interval: float, *, interactive: bool = False, burst: int = 1) -> float:
    """Reserve the next send slot of `name`; returns how many seconds to wait for it (≥ 0)."""
    local = _schedule(name)
    slack = max(burst - 1, 0) * interval
    now = clock.monotonic()
    if settings.REDIS_URL:
        try:
            # Redis needs one time base for all processes: wall-clock seconds.
            wall = clock.now().timestamp()
            floor = wall + (local.next_free(interactive) - now)
            script = _redis().register_script(_RESERVE)
            wait = float(
                script(
                    keys=[_key(name, "background"), _key(name, "interactive")],
                    args=[wall, interval, "1" if interactive else "0", floor, slack, KEY_TTL_MS],
                )
            )
            local.follow(now + wait, interval, interactive)
            return max(wait, 0.0)
        except Exception:  # Redis away: fail safe to this process's own schedule
            logger.warning("pacing of %s falls back to this process: Redis unavailable", name)
            now = clock.monotonic()
    return max(local.reserve(now, interval, interactive, slack), 0.0)


def hold(name: str, seconds: float) -> None:
    """Nobody sends to `name` before `seconds` from now (every process, both lanes)."""
    if settings.REDIS_URL:
        try:
            _redis().register_script(_HOLD)(
                keys=[_key(name, "background"), _key(name, "interactive")],
                args=[clock.now().timestamp() + seconds, KEY_TTL_MS],
            )
        except Exception:  # Redis away: hold this process only
            logger.warning("hold on %s applies to this process only: Redis unavailable", name)
    _schedule(name).hold(clock.monotonic() + seconds)


def level(name: str) -> float:
    if settings.REDIS_URL:
        try:
            raw = _redis().get(_key(name, "level"))
            return float(raw) if raw else 1.0
        except Exception:  # Redis away: pacing falls back to this process
            return _schedule(name).level
    return _schedule(name).level


def _set_level(name: str, value: float) -> None:
    value = min(max(value, 1.0), MAX_LEVEL)
    _schedule(name).level = value
    if settings.REDIS_URL:
        try:
            _redis().set(_key(name, "level"), value, ex=3600)
        except Exception:  # Redis away: keep the local level
            return


def slow_down(name: str) -> None:
    """A rate limit came back: halve the pace."""
    _set_level(name, level(name) * 2)


def recover(name: str) -> None:
    """A call went through: creep back towards the configured pace."""
    current = level(name)
    if current > 1.0:
        _set_level(name, current * 0.9)


def reset(name: str) -> None:
    """Forget the schedule and level (tests, or an operator after an outage)."""
    with _local_lock:
        _local.pop(name, None)
    if settings.REDIS_URL:
        try:
            _redis().delete(
                _key(name, "background"), _key(name, "interactive"), _key(name, "level")
            )
        except Exception:  # nothing to reset when Redis is away
            return
