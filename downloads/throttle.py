"""The search gate for one slskd instance, shared by every worker and web process.

Soulseek bans an account *and its IP* for 30 minutes when it searches too fast (reference §5;
sldl's default is 34 searches per 220 s). The gate lets a search start only when all hold:

  * no other search of this instance is in flight (slskd ≥0.24 answers 429 to a second one);
  * fewer than MAX_SEARCHES started in the last WINDOW_SECONDS;
  * at least MIN_GAP_SECONDS since the last start (a search with few results ends at once);
  * searching is not paused (a suspected flood ban, slskd not logged in).

`acquire` never waits: it answers 0 (the slot is yours) or the seconds until it could be, and
the caller re-schedules its task for then. With Redis the state is one sorted set and two keys,
changed by one Lua script; without Redis it is two tables changed in one transaction (SQLite
serialises writers, PostgreSQL locks the gate row), so it holds across processes either way.
All times are spotify.clock's wall clock, so a FakeClock drives the window in tests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from spotify import clock

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 220.0
# Below sldl's 34, leaving headroom for the person's own searches in slskd's web UI.
MAX_SEARCHES = 30
MIN_GAP_SECONDS = 5.0
# A search whose poller vanished frees the gate after this long.
IN_FLIGHT_SECONDS = 90.0
BAN_PAUSE_SECONDS = 1800.0

_ACQUIRE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local gap = tonumber(ARGV[4])
local hold = tonumber(ARGV[5])
local token = ARGV[6]
local paused = tonumber(redis.call('HGET', KEYS[2], 'paused_until') or '0')
if paused > now then return {tostring(paused - now), 'paused'} end
local flight_until = tonumber(redis.call('HGET', KEYS[2], 'flight_until') or '0')
if flight_until > now then return {tostring(flight_until - now), 'in flight'} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {tostring(tonumber(oldest[2]) + window - now), 'window'}
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) + gap > now then
  return {tostring(tonumber(last[2]) + gap - now), 'gap'}
end
redis.call('ZADD', KEYS[1], now, token)
redis.call('HSET', KEYS[2], 'flight_until', now + hold, 'flight_token', token)
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('EXPIRE', KEYS[2], 86400)
return {'0', 'granted'}
"""

_RELEASE = """
if redis.call('HGET', KEYS[1], 'flight_token') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'flight_until', 'flight_token')
  return 1
end
return 0
"""


@dataclass(frozen=True)
class Decision:
    wait: float  # 0: granted
    reason: str  # "granted", "in flight", "window", "gap", "paused"

    @property
    def granted(self) -> bool:
        return self.wait <= 0


@dataclass(frozen=True)
class Usage:
    """For the Downloads page: how much of the window is used, and any pause."""

    used: int
    limit: int
    window_seconds: float
    paused_until: datetime | None
    pause_reason: str


_redis_client = None


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis_client


def _keys(instance: str) -> tuple[str, str]:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "tk"
    return f"{prefix}:slskd:{instance}:starts", f"{prefix}:slskd:{instance}:gate"


def _use_redis() -> bool:
    return bool(settings.REDIS_URL)


# --- acquire / release --------------------------------------------------------------------------


def acquire(instance: str, token: str) -> Decision:
    """Take the search slot for `token` (a search id) if the rules allow, else say how long."""
    if _use_redis():
        try:
            script = _redis().register_script(_ACQUIRE)
            now = clock.now()
            wait, reason = script(
                keys=list(_keys(instance)),
                args=[
                    now.timestamp(),
                    WINDOW_SECONDS,
                    MAX_SEARCHES,
                    MIN_GAP_SECONDS,
                    IN_FLIGHT_SECONDS,
                    token,
                ],
            )
            return Decision(max(float(wait), 0.0), reason.decode())
        except Exception:  # Redis away: the database holds the gate instead (also shared)
            logger.warning("Redis unavailable; the slskd search gate uses the database")
    return _acquire_in_database(instance, token)


def _acquire_in_database(instance: str, token: str) -> Decision:
    from downloads.models import SearchGate, SearchStart

    SearchGate.objects.get_or_create(instance=instance)
    with transaction.atomic():
        gate = SearchGate.objects.select_for_update().get(instance=instance)
        # Read the time only once the gate is ours: a decision on a time read before waiting
        # for the lock could start a search closer to the previous one than the gap.
        now = clock.now()
        if gate.paused_until and gate.paused_until > now:
            return Decision((gate.paused_until - now).total_seconds(), "paused")
        if gate.in_flight_until and gate.in_flight_until > now:
            return Decision((gate.in_flight_until - now).total_seconds(), "in flight")
        window_start = now - timedelta(seconds=WINDOW_SECONDS)
        SearchStart.objects.filter(instance=instance, at__lte=window_start).delete()
        starts = list(
            SearchStart.objects.filter(instance=instance)
            .order_by("at")
            .values_list("at", flat=True)
        )
        if len(starts) >= MAX_SEARCHES:
            wait = (starts[0] + timedelta(seconds=WINDOW_SECONDS) - now).total_seconds()
            return Decision(max(wait, 0.001), "window")
        if starts and starts[-1] + timedelta(seconds=MIN_GAP_SECONDS) > now:
            wait = (starts[-1] + timedelta(seconds=MIN_GAP_SECONDS) - now).total_seconds()
            return Decision(max(wait, 0.001), "gap")
        SearchStart.objects.create(instance=instance, at=now)
        gate.in_flight_token = token
        gate.in_flight_until = now + timedelta(seconds=IN_FLIGHT_SECONDS)
        gate.save(update_fields=["in_flight_token", "in_flight_until"])
        return Decision(0.0, "granted")


def release(instance: str, token: str) -> None:
    """The search `token` is over (read, or failed to start): the next one may go."""
    if _use_redis():
        try:
            _redis().register_script(_RELEASE)(keys=[_keys(instance)[1]], args=[token])
            return
        except Exception:  # Redis away: release in the database, where acquire fell back
            logger.warning("Redis unavailable; releasing the slskd search gate in the database")
    from downloads.models import SearchGate

    SearchGate.objects.filter(instance=instance, in_flight_token=token).update(
        in_flight_token="", in_flight_until=None
    )


def forget_start(instance: str, token: str) -> None:
    """A granted search never reached slskd (it answered 429 or was unreachable): it does
    not count against the window. The gap still applies to the next try."""
    if _use_redis():
        try:
            _redis().zrem(_keys(instance)[0], token)
        except Exception:  # nothing to undo when Redis is away
            logger.warning("Redis unavailable; a failed search start still counts")


# --- pausing ------------------------------------------------------------------------------------


def pause(instance: str, seconds: float, reason: str) -> datetime:
    """No searches on this instance until then (only ever extends an existing pause)."""
    until = clock.now() + timedelta(seconds=seconds)
    current = paused_until(instance)
    if current and current[0] >= until:
        return current[0]
    if _use_redis():
        try:
            _redis().hset(
                _keys(instance)[1],
                mapping={"paused_until": until.timestamp(), "pause_reason": reason[:200]},
            )
            _redis().expire(_keys(instance)[1], 86400)
            return until
        except Exception:
            logger.warning("Redis unavailable; the search pause is kept in the database")
    from downloads.models import SearchGate

    SearchGate.objects.update_or_create(
        instance=instance, defaults={"paused_until": until, "pause_reason": reason[:200]}
    )
    return until


def paused_until(instance: str) -> tuple[datetime, str] | None:
    now = clock.now()
    if _use_redis():
        try:
            raw = _redis().hmget(_keys(instance)[1], ["paused_until", "pause_reason"])
            if raw[0] and float(raw[0]) > now.timestamp():
                moment = datetime.fromtimestamp(float(raw[0]), tz=now.tzinfo)
                return moment, (raw[1] or b"").decode()
            return None
        except Exception:
            logger.warning("Redis unavailable; reading the search pause from the database")
    from downloads.models import SearchGate

    gate = SearchGate.objects.filter(instance=instance, paused_until__gt=now).first()
    return (gate.paused_until, gate.pause_reason) if gate else None


def usage(instance: str) -> Usage:
    now = clock.now()
    pause_now = paused_until(instance)
    used = 0
    if _use_redis():
        try:
            used = _redis().zcount(_keys(instance)[0], now.timestamp() - WINDOW_SECONDS, "+inf")
        except Exception:
            used = 0
    else:
        from downloads.models import SearchStart

        used = SearchStart.objects.filter(
            instance=instance, at__gt=now - timedelta(seconds=WINDOW_SECONDS)
        ).count()
    return Usage(
        used=used,
        limit=MAX_SEARCHES,
        window_seconds=WINDOW_SECONDS,
        paused_until=pause_now[0] if pause_now else None,
        pause_reason=pause_now[1] if pause_now else "",
    )


def reset(instance: str | None = None) -> None:
    """Forget the gate (tests; an operator after a ban has passed)."""
    if _use_redis():
        try:
            client = _redis()
            if instance:
                client.delete(*_keys(instance))
            else:
                prefix = settings.CACHES["default"].get("KEY_PREFIX") or "tk"
                for key in client.scan_iter(f"{prefix}:slskd:*"):
                    client.delete(key)
        except Exception:
            logger.warning("Redis unavailable; nothing to reset there")
    from downloads.models import SearchGate, SearchStart

    gates = SearchGate.objects.all()
    starts = SearchStart.objects.all()
    if instance:
        gates, starts = gates.filter(instance=instance), starts.filter(instance=instance)
    gates.delete()
    starts.delete()
