"""What the household's Spotify use looks like: for the usage page and admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from spotify import clock, pacing, state
from spotify.models import ApiCall

FORECAST_AFTER = timedelta(hours=4)


@dataclass(frozen=True)
class Usage:
    used_today: int
    budget: int
    # Today's calls at today's pace so far; before FORECAST_AFTER into the (UTC) day the pace
    # says nothing (4 calls in 30 minutes is not "about 190 by midnight"), so it is just the
    # calls so far and `forecast_ready` is False.
    projected_today: int
    rate_limited_today: int
    pause: state.Pause | None
    breaker: state.Breaker
    pacing_level: float
    calls_per_second: float
    per_day: list[dict]  # {"day", "total", <purpose>: n, "limited"}
    endpoints_today: list[dict]  # {"endpoint", "calls", "limited"}
    purposes: list[str]
    forecast_ready: bool = False

    @property
    def budget_percent(self) -> int:
        return min(int(self.used_today * 100 / self.budget), 100) if self.budget else 0

    @property
    def over_budget(self) -> bool:
        return self.used_today >= self.budget


def summary(days: int = 7) -> Usage:
    app = state.app_id()
    now = clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    calls = ApiCall.objects.filter(app=app)
    rows = (
        calls.filter(at__gte=today - timedelta(days=days - 1))
        .annotate(day=TruncDate("at"))
        .values("day", "purpose")
        .annotate(n=Count("id"), limited=Count("id", filter=Q(status=429)))
        .order_by("day")
    )
    purposes = sorted({row["purpose"] for row in rows})
    by_day: dict = {}
    for row in rows:
        entry = by_day.setdefault(row["day"], {"day": row["day"], "total": 0, "limited": 0})
        entry[row["purpose"]] = row["n"]
        entry["total"] += row["n"]
        entry["limited"] += row["limited"]
    endpoints = (
        calls.filter(at__gte=today)
        .values("endpoint")
        .annotate(calls=Count("id"), limited=Count("id", filter=Q(status=429)))
        .order_by("-calls")[:20]
    )
    used = state.calls_today(app)
    elapsed = (now - today).total_seconds()
    forecast_ready = elapsed >= FORECAST_AFTER.total_seconds()
    return Usage(
        used_today=used,
        budget=settings.SPOTIFY_DAILY_BUDGET,
        projected_today=int(used * 86400 / elapsed) if forecast_ready else used,
        forecast_ready=forecast_ready,
        rate_limited_today=sum(e["limited"] for e in endpoints),
        pause=state.current_pause(app),
        breaker=state.breaker(app),
        pacing_level=pacing.level(app),
        calls_per_second=settings.SPOTIFY_CALLS_PER_SECOND / pacing.level(app),
        per_day=[by_day[day] for day in sorted(by_day, reverse=True)],
        endpoints_today=list(endpoints),
        purposes=purposes,
    )
