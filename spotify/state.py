"""Shared state of a Spotify app: its persisted pause, its circuit breaker, its daily budget.

The pause is persisted in the database (it must survive restarts: a quota lockout lasts hours)
and mirrored in the cache so the per-call check is cheap. The breaker and the budget counter
live in the cache (core.cache: a cache outage never fails a call); the breaker then reads
"closed" and the budget is recounted from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from core import clock
from core.cache import fail_safe_cache as cache
from spotify.models import ApiCall, AppState

BREAKER_THRESHOLD = 5
BREAKER_COOL_DOWN = timedelta(seconds=30)
BREAKER_MAX_COOL_DOWN = timedelta(minutes=10)


def app_id() -> str:
    return settings.SPOTIFY_CLIENT_ID


# --- pause --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    until: datetime
    reason: str


def _pause_key(app: str) -> str:
    return f"spotify:pause:{app}"


def current_pause(app: str | None = None) -> Pause | None:
    app = app or app_id()
    cached = cache.get(_pause_key(app))
    if cached is None:
        row = AppState.objects.filter(app=app).values("paused_until", "pause_reason").first()
        cached = (row["paused_until"], row["pause_reason"]) if row else (None, "")
        cache.set(_pause_key(app), cached, timeout=60)
    until, reason = cached
    if until is None or until <= clock.now():
        return None
    return Pause(until=until, reason=reason)


def persist_pause(until: datetime, reason: str, app: str | None = None) -> Pause:
    app = app or app_id()
    existing = current_pause(app)
    if existing and existing.until >= until:
        return existing
    AppState.objects.update_or_create(
        app=app, defaults={"paused_until": until, "pause_reason": reason}
    )
    cache.set(_pause_key(app), (until, reason), timeout=60)
    return Pause(until=until, reason=reason)


def clear_pause(app: str | None = None) -> None:
    app = app or app_id()
    AppState.objects.filter(app=app).update(paused_until=None, pause_reason="")
    cache.delete(_pause_key(app))


# --- circuit breaker ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Breaker:
    state: str  # closed / open / half-open
    failures: int
    open_until: datetime | None


def _breaker_key(app: str) -> str:
    return f"spotify:breaker:{app}"


def breaker(app: str | None = None) -> Breaker:
    app = app or app_id()
    failures, open_until, _ = cache.get(_breaker_key(app)) or (0, None, 0)
    if open_until is None:
        return Breaker("closed", failures, None)
    if open_until > clock.now():
        return Breaker("open", failures, open_until)
    return Breaker("half-open", failures, open_until)


def breaker_allows(app: str | None = None) -> Breaker:
    """Closed: go. Open: no. Half-open: exactly one caller gets the probe."""
    app = app or app_id()
    state = breaker(app)
    if state.state == "half-open":
        if cache.add(f"{_breaker_key(app)}:probe", 1, timeout=30):
            return state
        return Breaker("open", state.failures, clock.now() + timedelta(seconds=5))
    return state


def record_failure(app: str | None = None) -> None:
    app = app or app_id()
    failures, open_until, trips = cache.get(_breaker_key(app)) or (0, None, 0)
    failures += 1
    if failures >= BREAKER_THRESHOLD or open_until is not None:
        cool_down = min(BREAKER_COOL_DOWN * (2**trips), BREAKER_MAX_COOL_DOWN)
        open_until, trips = clock.now() + cool_down, trips + 1
        cache.delete(f"{_breaker_key(app)}:probe")
    cache.set(_breaker_key(app), (failures, open_until, trips), timeout=None)


def record_success(app: str | None = None) -> None:
    app = app or app_id()
    if cache.get(_breaker_key(app)) is not None:
        cache.delete_many([_breaker_key(app), f"{_breaker_key(app)}:probe"])


# --- daily budget -------------------------------------------------------------------------------


def _budget_key(app: str, day: str) -> str:
    return f"spotify:budget:{app}:{day}"


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def calls_today(app: str | None = None) -> int:
    app = app or app_id()
    now = clock.now()
    key = _budget_key(app, now.date().isoformat())
    count = cache.get(key)
    if count is None:
        count = ApiCall.objects.filter(app=app, at__gte=_day_start(now)).count()
        cache.add(key, count, timeout=2 * 86400)
    return count


def count_call(app: str | None = None) -> None:
    app = app or app_id()
    key = _budget_key(app, clock.now().date().isoformat())
    try:
        cache.incr(key)
    except ValueError:
        calls_today(app)  # not cached yet: the recount includes this call's ledger row


def budget_left(app: str | None = None) -> int:
    return settings.SPOTIFY_DAILY_BUDGET - calls_today(app)


def next_budget_day() -> datetime:
    return _day_start(clock.now()) + timedelta(days=1)


def forget(app: str | None = None) -> None:
    """Drop the cached pause, breaker and today's budget count (tests; an operator's reset)."""
    from spotify import shares

    app = app or app_id()
    shares.forget_all()
    days = {clock.now().date().isoformat(), datetime.now().date().isoformat()}
    cache.delete_many(
        [_pause_key(app), _breaker_key(app), f"{_breaker_key(app)}:probe"]
        + [_budget_key(app, day) for day in days]
    )
