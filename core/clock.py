"""The one clock Spotify code reads, so tests can drive time (pauses, token expiry, quotas).

Product code calls `now()`, `monotonic()` and `sleep()` from here; a test swaps in a FakeClock
with `use(clock)`. `sleep` is only ever used for short waits (pacing gaps, a Retry-After of a
few seconds): long waits persist a pause and re-schedule the job instead.
"""

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to (or when code sleeps on it)."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
        self._mono = 1000.0
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


_clock: SystemClock | FakeClock = SystemClock()


def use(clock: SystemClock | FakeClock) -> None:
    global _clock
    _clock = clock


def reset() -> None:
    use(SystemClock())


def now() -> datetime:
    return _clock.now()


def monotonic() -> float:
    return _clock.monotonic()


def sleep(seconds: float) -> None:
    _clock.sleep(seconds)
