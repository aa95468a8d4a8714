"""What the household's Spotify use looks like: for the usage page and admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from spotify import clock, pacing, shares, state
from spotify.models import ApiCall


@dataclass(frozen=True)
class Usage:
    used_today: int
    budget: int
    projected_today: int
    rate_limited_today: int
    pause: state.Pause | None
    breaker: state.Breaker
    pacing_level: float
    calls_per_second: float
    per_day: list[dict]  # {"day", "total", <purpose>: n, "limited"}
    endpoints_today: list[dict]  # {"endpoint", "calls", "limited"}
    purposes: list[str]
    people: list[dict]  # shares.household(): each person's background use and share today
    share: int  # one person's background calls a day
    reserve: int  # kept for clicks

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
    elapsed = max((now - today).total_seconds(), 60.0)
    return Usage(
        used_today=used,
        budget=settings.SPOTIFY_DAILY_BUDGET,
        projected_today=int(used * 86400 / elapsed),
        rate_limited_today=sum(e["limited"] for e in endpoints),
        pause=state.current_pause(app),
        breaker=state.breaker(app),
        pacing_level=pacing.level(app),
        calls_per_second=settings.SPOTIFY_CALLS_PER_SECOND / pacing.level(app),
        per_day=[by_day[day] for day in sorted(by_day, reverse=True)],
        endpoints_today=list(endpoints),
        purposes=purposes,
        people=shares.household(),
        share=shares.share(),
        reserve=settings.SPOTIFY_DAILY_BUDGET - shares.background_pool(),
    )
