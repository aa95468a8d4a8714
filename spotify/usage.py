"""What the household's Spotify use looks like, and the calls to every other outside service:
for the usage page and admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from core import clock
from spotify import pacing, shares, state
from spotify.models import ApiCall, ApiCallDay

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
    services: list[dict]  # {"service", "label", "today", "week", "failed_today"}
    people: list[dict]  # shares.household(): each person's background use and share today
    share: int  # one person's background calls a day
    reserve: int  # kept for clicks
    forecast_ready: bool = False

    @property
    def budget_percent(self) -> int:
        return min(int(self.used_today * 100 / self.budget), 100) if self.budget else 0

    @property
    def over_budget(self) -> bool:
        return self.used_today >= self.budget


# Every service the outbound kit talks to, in the order the page lists them; a service the
# ledger knows but this list does not (a new one) is still shown, after these.
SERVICES = {"spotify": "Spotify", "musicbrainz": "MusicBrainz", "slskd": "slskd"}


def per_service(since_day, today) -> list[dict]:
    """Calls per outside service: today, since `since_day`, and today's failures (no answer,
    5xx or 429)."""
    rows = (
        ApiCall.objects.filter(at__gte=since_day)
        .values("service")
        .annotate(
            week=Count("id"),
            today=Count("id", filter=Q(at__gte=today)),
            failed_today=Count(
                "id",
                filter=Q(at__gte=today) & (Q(status=0) | Q(status=429) | Q(status__gte=500)),
            ),
        )
    )
    found = {row["service"]: row for row in rows}
    names = list(SERVICES) + sorted(set(found) - set(SERVICES))
    empty = {"today": 0, "week": 0, "failed_today": 0}
    return [
        {"service": name, "label": SERVICES.get(name, name), **empty, **found.get(name, {})}
        for name in names
    ]


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
    # Days older than LEDGER_RETENTION_DAYS were folded into daily rollups (config.retention):
    # the same counts, from the other table.
    folded = (
        ApiCallDay.objects.filter(app=app, day__gte=(today - timedelta(days=days - 1)).date())
        .values("day", "purpose")
        .annotate(n=Sum("calls"), limited=Sum("limited"))
        .order_by("day")
    )
    rows = [*rows, *folded]
    purposes = sorted({row["purpose"] for row in rows})
    by_day: dict = {}
    for row in rows:
        entry = by_day.setdefault(row["day"], {"day": row["day"], "total": 0, "limited": 0})
        entry[row["purpose"]] = entry.get(row["purpose"], 0) + row["n"]
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
        services=per_service(today - timedelta(days=days - 1), today),
        people=shares.household(),
        share=shares.share(),
        reserve=settings.SPOTIFY_DAILY_BUDGET - shares.background_pool(),
    )
