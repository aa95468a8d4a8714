"""The per-user poll breaker: after a failure, that user's polls wait out a cool-down.

Cool-downs double with each consecutive failure of the same kind and are capped:
auth 30 → 240 min (the login needs the person, retrying soon is waste), network 10 → 60 min,
anything else 20 → 180 min. A failure of another kind starts that kind's sequence afresh; a
successful poll closes the breaker. Time comes from core.clock so tests can drive it.

This is separate from the gateway's app-wide breaker (spotify.state), which stops every call
when Spotify itself is down; this one keeps one person's broken login or odd account from
costing calls every slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from archive.models import BreakerKind, HistoryProfile
from core import clock
from spotify.errors import Forbidden, NeedsReconnect, SpotifyError, TransportError

COOL_DOWNS = {
    BreakerKind.AUTH: (timedelta(minutes=30), timedelta(minutes=240)),
    BreakerKind.NETWORK: (timedelta(minutes=10), timedelta(minutes=60)),
    BreakerKind.OTHER: (timedelta(minutes=20), timedelta(minutes=180)),
}


def kind_of(error: Exception) -> str:
    if isinstance(error, NeedsReconnect):
        return BreakerKind.AUTH
    if isinstance(error, Forbidden) and error.reason == Forbidden.MISSING_SCOPE:
        return BreakerKind.AUTH  # only a new consent (reconnect) grants the scope
    if isinstance(error, TransportError):
        return BreakerKind.NETWORK
    return BreakerKind.OTHER


def cool_down(kind: str, failures: int) -> timedelta:
    first, cap = COOL_DOWNS[kind]
    return min(first * 2 ** max(failures - 1, 0), cap)


def is_open(profile: HistoryProfile, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return profile.breaker_open_until is not None and profile.breaker_open_until > now


def record_failure(profile: HistoryProfile, error: SpotifyError | Exception) -> datetime:
    """Open (or re-open, longer) the breaker; returns when polls may try again."""
    kind = kind_of(error)
    failures = profile.breaker_failures + 1 if profile.breaker_kind == kind else 1
    until = clock.now() + cool_down(kind, failures)
    profile.breaker_kind = kind
    profile.breaker_failures = failures
    profile.breaker_open_until = until
    profile.breaker_error = str(error)[:300]
    profile.save(
        update_fields=["breaker_kind", "breaker_failures", "breaker_open_until", "breaker_error"]
    )
    return until


def record_success(profile: HistoryProfile) -> None:
    if profile.breaker_failures or profile.breaker_open_until or profile.breaker_kind:
        profile.breaker_kind = ""
        profile.breaker_failures = 0
        profile.breaker_open_until = None
        profile.breaker_error = ""
        profile.save(
            update_fields=[
                "breaker_kind",
                "breaker_failures",
                "breaker_open_until",
                "breaker_error",
            ]
        )


def describe(profile: HistoryProfile) -> str:
    """One sentence for the History page and the admin; "" when the breaker is closed."""
    if not profile.breaker_failures:
        return ""
    label = BreakerKind(profile.breaker_kind).label if profile.breaker_kind else "Spotify"
    failures = profile.breaker_failures
    times = "once" if failures == 1 else f"{failures} times in a row"
    if is_open(profile):
        return (
            f"Polling failed {times} ({label.lower()}: {profile.breaker_error}); "
            f"the next try is at {profile.breaker_open_until:%H:%M} UTC."
        )
    return f"Polling failed {times} ({label.lower()}); it tries again at the next slot."
