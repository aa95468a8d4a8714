"""A year (or a month) in review: top artists, tracks, albums and genres, new discoveries,
listening time, the longest streak, the busiest day and hour — and what the archive covers, so a
recap never claims more than the data holds ("polled since March; before that from your data
export; 2 gaps").

Read from the same rollups as the stats page; the coverage reads the period's plays by source.
A recap can be shared read-only through a link that shows nothing else of the account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from archive import stats
from archive.models import (
    DailyListening,
    FirstListen,
    HistoryProfile,
    HourlyListening,
    ListeningGap,
    PlayEvent,
    PlaySource,
    RewindShare,
)

EARLIEST_YEAR = 2008  # Spotify launched in October 2008


@dataclass
class Rewind:
    year: int
    month: int | None
    period: stats.Range
    plays: int
    minutes: int
    top: dict = field(default_factory=dict)
    discoveries: int = 0
    longest_streak: int = 0
    longest_streak_end: date | None = None
    busiest_day: tuple[date, int] | None = None
    busiest_hour: tuple[int, int] | None = None
    coverage: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.month:
            return f"{date(self.year, self.month, 1):%B %Y}"
        return str(self.year)


def period_of(year: int, month: int | None, zone: ZoneInfo) -> stats.Range:
    if month:
        start = date(year, month, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        start, end = date(year, 1, 1), date(year, 12, 31)
    return stats.Range(start, end, zone)


def _streak(user_id: int, period: stats.Range) -> tuple[int, date | None]:
    days = (
        DailyListening.objects.filter(
            user_id=user_id, plays__gt=0, day__gte=period.start, day__lte=period.end
        )
        .order_by("day")
        .values_list("day", flat=True)
    )
    longest, longest_end, run, previous = 0, None, 0, None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        if run > longest:
            longest, longest_end = run, day
        previous = day
    return longest, longest_end


def _coverage(user_id: int, period: stats.Range) -> list[str]:
    """Where the period's plays came from, in words, and the gaps the poller found."""
    low, high = period.utc_bounds()
    in_period = PlayEvent.objects.filter(user_id=user_id, played_at__gte=low, played_at__lt=high)
    by_source = in_period.order_by().aggregate(
        polled_from=Min("played_at", filter=Q(source=PlaySource.POLL)),
        polled=Count("pk", filter=Q(source=PlaySource.POLL)),
        exported=Count("pk", filter=~Q(source=PlaySource.POLL)),
    )
    lines = []
    polled_from = by_source["polled_from"]
    if by_source["polled"] and by_source["exported"]:
        local = timezone.localtime(polled_from, period.zone)
        lines.append(
            f"Polled from Spotify since {local.day} {local:%B}; before that from your data export."
        )
    elif by_source["polled"]:
        local = timezone.localtime(polled_from, period.zone)
        lines.append(f"Polled from Spotify since {local.day} {local:%B}.")
    elif by_source["exported"]:
        lines.append("From your Spotify data export.")
    gaps = ListeningGap.objects.filter(
        user_id=user_id, end__gte=low, end__lt=high, filled_by__isnull=True
    ).count()
    if gaps:
        lines.append(
            f"{gaps} gap{'s' if gaps != 1 else ''}: times more than 50 plays passed between "
            "two checks, so some plays may be missing."
        )
    return lines


def build(user_id: int, year: int, month: int | None = None) -> Rewind:
    zone = ZoneInfo(HistoryProfile.for_user(user_id).rollup_time_zone)
    period = period_of(year, month, zone)
    totals = stats.totals(user_id, period)
    recap = Rewind(year, month, period, totals["plays"], totals["minutes"])
    if not recap.plays:
        return recap
    recap.top = stats.top_lists(user_id, period)
    recap.discoveries = FirstListen.objects.filter(
        user_id=user_id, first_month__gte=period.start, first_month__lte=period.end
    ).count()
    recap.longest_streak, recap.longest_streak_end = _streak(user_id, period)
    day = (
        DailyListening.objects.filter(user_id=user_id, day__gte=period.start, day__lte=period.end)
        .order_by("-plays", "day")
        .values_list("day", "plays")
        .first()
    )
    recap.busiest_day = day
    hour = (
        HourlyListening.objects.filter(user_id=user_id, day__gte=period.start, day__lte=period.end)
        .values("hour")
        .annotate(plays=Sum("plays"))
        .order_by("-plays", "hour")
        .values_list("hour", "plays")
        .first()
    )
    recap.busiest_hour = hour
    recap.coverage = _coverage(user_id, period)
    return recap


def years_with_plays(user_id: int) -> list[int]:
    first = stats.first_day(user_id)
    if first is None:
        return []
    last = DailyListening.objects.filter(user_id=user_id).order_by("-day").first().day
    return list(range(last.year, first.year - 1, -1))


def share(user, year: int, month: int | None) -> RewindShare:
    """The live share link of this recap, made if there is none."""
    existing = RewindShare.objects.filter(
        user=user, year=year, month=month, revoked_at__isnull=True
    ).first()
    if existing:
        return existing
    return RewindShare.objects.create(
        user=user, year=year, month=month, token=secrets.token_urlsafe(24)
    )


def revoke(user, pk: int) -> bool:
    return bool(
        RewindShare.objects.filter(user=user, pk=pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
