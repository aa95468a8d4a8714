"""Keeping the stats rollups in step with the plays.

`add` runs in the same transaction as the insert of the plays it counts, with exactly the rows
the insert reported as written, so a rollup never counts a play twice or misses one. Local
dates and hours come from zoneinfo, so DST days have 23 or 25 hours and each play lands in
the hour the clock on the wall showed. `rebuild` recomputes everything for one user (a new
time zone, or after plays were deleted by hand).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F

from archive import sql
from archive.models import (
    DailyListening,
    FirstListen,
    HistoryProfile,
    HourlyListening,
    LastListen,
    MonthlyTrackPlays,
    PlayEvent,
    TrackTotal,
)


def add(user_id: int, zone: ZoneInfo, plays: Iterable[tuple[str, datetime, int]]) -> None:
    """Count stored plays, given as (track_id, played_at UTC, ms listened or estimated)."""
    daily: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    hourly: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0])
    monthly: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    per_track: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for track_id, played_at, ms in plays:
        local = played_at.astimezone(zone)
        day = local.date()
        cell = hourly[(day, local.hour)]
        cell[0] += 1
        cell[1] += ms
        cell = daily[day]
        cell[0] += 1
        cell[1] += ms
        month = day.replace(day=1)
        cell = monthly[(month, track_id)]
        cell[0] += 1
        cell[1] += ms
        cell = per_track[track_id]
        cell[0] += 1
        cell[1] += ms
        known = first.get(track_id)
        if known is None or played_at < known:
            first[track_id] = played_at
        known = last.get(track_id)
        if known is None or played_at > known:
            last[track_id] = played_at
    if not hourly:
        return
    daily_table = DailyListening._meta.db_table
    sql.insert(
        DailyListening,
        ["user_id", "day", "plays", "ms_played"],
        [(user_id, day, plays, ms) for day, (plays, ms) in daily.items()],
        conflict=["user_id", "day"],
        update=sql.add_to(daily_table, ["plays", "ms_played"]),
    )
    hourly_table = HourlyListening._meta.db_table
    sql.insert(
        HourlyListening,
        ["user_id", "day", "hour", "weekday", "plays", "ms_played"],
        [
            (user_id, day, hour, day.weekday(), plays, ms)
            for (day, hour), (plays, ms) in hourly.items()
        ],
        conflict=["user_id", "day", "hour"],
        update=sql.add_to(hourly_table, ["plays", "ms_played"]),
    )
    monthly_table = MonthlyTrackPlays._meta.db_table
    sql.insert(
        MonthlyTrackPlays,
        ["user_id", "month", "track_id", "plays", "ms_played"],
        [
            (user_id, month, track_id, plays, ms)
            for (month, track_id), (plays, ms) in monthly.items()
        ],
        conflict=["user_id", "month", "track_id"],
        update=sql.add_to(monthly_table, ["plays", "ms_played"]),
    )
    totals_table = TrackTotal._meta.db_table
    sql.insert(
        TrackTotal,
        ["user_id", "track_id", "plays", "ms_played"],
        [(user_id, track_id, plays, ms) for track_id, (plays, ms) in sorted(per_track.items())],
        conflict=["user_id", "track_id"],
        update=sql.add_to(totals_table, ["plays", "ms_played"]),
    )
    first_table = FirstListen._meta.db_table
    quote = sql.connection.ops.quote_name
    sql.insert(
        FirstListen,
        ["user_id", "track_id", "first_played_at", "first_month"],
        [
            (user_id, track_id, played_at, played_at.astimezone(zone).date().replace(day=1))
            for track_id, played_at in first.items()
        ],
        conflict=["user_id", "track_id"],
        update=(
            f"{quote('first_played_at')} = excluded.{quote('first_played_at')}, "
            f"{quote('first_month')} = excluded.{quote('first_month')} "
            f"WHERE excluded.{quote('first_played_at')} < "
            f"{quote(first_table)}.{quote('first_played_at')}"
        ),
    )
    last_table = LastListen._meta.db_table
    sql.insert(
        LastListen,
        ["user_id", "track_id", "last_played_at"],
        [(user_id, track_id, played_at) for track_id, played_at in last.items()],
        conflict=["user_id", "track_id"],
        update=(
            f"{quote('last_played_at')} = excluded.{quote('last_played_at')} "
            f"WHERE excluded.{quote('last_played_at')} > "
            f"{quote(last_table)}.{quote('last_played_at')}"
        ),
    )


REBUILD_CHUNK = 20_000


def rebuild(user_id: int) -> int:
    """Recount every rollup of one user in their current time zone; returns plays counted."""
    with transaction.atomic():
        HistoryProfile.objects.get_or_create(user_id=user_id)
        profile = HistoryProfile.objects.select_for_update().get(user_id=user_id)
        zone = profile.zone
        for model in (
            DailyListening,
            HourlyListening,
            MonthlyTrackPlays,
            TrackTotal,
            FirstListen,
            LastListen,
        ):
            model.objects.filter(user_id=user_id).delete()
        counted = 0
        batch: list[tuple[str, datetime, int]] = []
        rows = (
            PlayEvent.objects.filter(user_id=user_id)
            .order_by()
            .values_list("track_id", "played_at", "ms_played", "track__duration_ms")
        )
        for track_id, played_at, ms_played, duration_ms in rows.iterator(chunk_size=REBUILD_CHUNK):
            batch.append((track_id, played_at, stat_ms(ms_played, duration_ms)))
            if len(batch) >= REBUILD_CHUNK:
                add(user_id, zone, batch)
                counted += len(batch)
                batch = []
        add(user_id, zone, batch)
        counted += len(batch)
        HistoryProfile.objects.filter(pk=profile.pk).update(
            rollup_time_zone=profile.time_zone, stats_version=F("stats_version") + 1
        )
    return counted


def stat_ms(ms_played: int | None, duration_ms: int | None) -> int:
    """Time listened for the stats: exact from the exports; for polled plays (Spotify does not
    say) the track's length, since recently-played lists plays that ran their course."""
    if ms_played is not None:
        return ms_played
    return duration_ms or 0
