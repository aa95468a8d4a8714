"""The search gate for one slskd instance, shared by every worker and web process.

Soulseek bans an account *and its IP* for 30 minutes when it searches too fast (reference §5;
sldl's default is 34 searches per 220 s). The gate lets a search start only when all hold:

  * no other search of this instance is in flight (slskd ≥0.24 answers 429 to a second one);
  * fewer than MAX_SEARCHES started in the last WINDOW_SECONDS;
  * at least MIN_GAP_SECONDS since the last start (a search with few results ends at once);
  * searching is not paused (a suspected flood ban, slskd not logged in).

`acquire` never waits: it answers 0 (the slot is yours) or the seconds until it could be, and
the caller re-schedules its task for then. The state is two tables changed in one transaction
(PostgreSQL locks the gate row; SQLite serialises writers), so it holds across processes and
survives a Redis restart: losing a ban pause or the window's starts would get the account and
the IP banned again. At most one search starts every few seconds, so the database is no strain.
All times are core.clock's wall clock, so a FakeClock drives the window in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from core import clock
from downloads.models import SearchGate, SearchStart

WINDOW_SECONDS = 220.0
# Below sldl's 34, leaving headroom for the person's own searches in slskd's web UI.
MAX_SEARCHES = 30
MIN_GAP_SECONDS = 5.0
# A search whose poller vanished frees the gate after this long.
IN_FLIGHT_SECONDS = 90.0
BAN_PAUSE_SECONDS = 1800.0


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


# --- acquire / release --------------------------------------------------------------------------


def acquire(instance: str, token: str) -> Decision:
    """Take the search slot for `token` (a search id) if the rules allow, else say how long."""
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
        SearchStart.objects.create(instance=instance, at=now, token=token[:64])
        gate.in_flight_token = token
        gate.in_flight_until = now + timedelta(seconds=IN_FLIGHT_SECONDS)
        gate.save(update_fields=["in_flight_token", "in_flight_until"])
        return Decision(0.0, "granted")


def release(instance: str, token: str) -> None:
    """The search `token` is over (read, or failed to start): the next one may go."""
    SearchGate.objects.filter(instance=instance, in_flight_token=token).update(
        in_flight_token="", in_flight_until=None
    )


def forget_start(instance: str, token: str) -> None:
    """A granted search never reached slskd (it answered 429 or was unreachable): it does
    not count against the window."""
    SearchStart.objects.filter(instance=instance, token=token[:64]).delete()


# --- pausing ------------------------------------------------------------------------------------


def pause(instance: str, seconds: float, reason: str) -> datetime:
    """No searches on this instance until then (only ever extends an existing pause)."""
    until = clock.now() + timedelta(seconds=seconds)
    current = paused_until(instance)
    if current and current[0] >= until:
        return current[0]

    SearchGate.objects.update_or_create(
        instance=instance, defaults={"paused_until": until, "pause_reason": reason[:200]}
    )
    return until


def paused_until(instance: str) -> tuple[datetime, str] | None:
    gate = SearchGate.objects.filter(instance=instance, paused_until__gt=clock.now()).first()
    return (gate.paused_until, gate.pause_reason) if gate else None


def usage(instance: str) -> Usage:
    now = clock.now()
    pause_now = paused_until(instance)
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
    gates = SearchGate.objects.all()
    starts = SearchStart.objects.all()
    if instance:
        gates, starts = gates.filter(instance=instance), starts.filter(instance=instance)
    gates.delete()
    starts.delete()
