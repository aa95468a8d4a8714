# ruff: noqa: S608 - the SQL is built from our own table names; every value is a parameter.
"""Listening stats for a date range in the user's time zone, read from the rollups.

Charts per day/week/month, totals and streaks read DailyListening (a row a day); the listening
clock reads HourlyListening (at most 24 rows a day), however much someone listens. Top lists
read MonthlyTrackPlays for the whole months in the range and the plays themselves only for the
partial months at its ends, and compute the per-track counts once for all four lists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum

from archive.models import (
    DailyListening,
    FirstListen,
    HourlyListening,
    MonthlyTrackPlays,
    PlayEvent,
    TrackHint,
    TrackTotal,
)
from enforcement.blocklist import entries_of
from enforcement.models import EntryKind
from playlists.models import Album, Artist, ArtistRole, Genre, Track, TrackArtist, TrackGenre

TOP_N = 10


@dataclass(frozen=True)
class Hidden:
    """Blocked artists, for "hide blocked artists": by id (primary artist, or any credit when
    the entry says featured counts), and by name for tracks known only from an export."""

    primary: tuple[str, ...] = ()
    any_credit: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.primary or self.any_credit or self.names)


def blocked_artists(user_id: int) -> Hidden:
    """The artists on the user's enabled blocklists (enforcement/)."""
    rows = (
        entries_of(user_id)
        .filter(kind=EntryKind.ARTIST)
        .values_list("spotify_id", "include_featured", "name")
    )
    primary, any_credit, names = set(), set(), set()
    for artist_id, featured, name in rows:
        (any_credit if featured else primary).add(artist_id)
        if name:
            names.add(name.casefold())
    return Hidden(tuple(sorted(primary)), tuple(sorted(any_credit)), tuple(sorted(names)))


@dataclass(frozen=True)
class Range:
    start: date  # local dates, inclusive
    end: date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[datetime, datetime]:
        return local_midnight(self.start, self.zone), local_midnight(
            self.end + timedelta(days=1), self.zone
        )


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant the local day starts (zoneinfo resolves a skipped midnight forward)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def first_day(user_id: int) -> date | None:
    return DailyListening.objects.filter(user_id=user_id).aggregate(first=Min("day"))["first"]


def default_range(user_id: int, today: date) -> str:
    """The stats page opens on the last 12 months, unless they hold no plays while older ones
    exist (a 2019 export just imported): then on all of it, rather than a page of zeros."""
    recent = DailyListening.objects.filter(
        user_id=user_id, day__gt=today - timedelta(days=365), plays__gt=0
    )
    if recent.exists() or not DailyListening.objects.filter(user_id=user_id).exists():
        return "12m"
    return "all"


# A chart of more bars than this is unreadable and costs memory for nothing: past it, per-day
# bars become weeks, then months (12 bars a year: 400 months is 33 years of listening).
MAX_BUCKETS = 400
_COARSER = {"day": "week", "week": "month"}
_BUCKET_DAYS = {"day": 1, "week": 7, "month": 30}


def held_range(start: date, end: date, first: date | None, today: date) -> tuple[date, date]:
    """The requested range clamped to what the archive can hold: nothing before the first day
    with plays, nothing after today. A range wholly outside collapses to one empty day."""
    low = max(start, first) if first else start
    high = min(end, today)
    if low > high:
        return high, high
    return low, high


def capped_grouping(by: str, days: int) -> str:
    while by in _COARSER and days / _BUCKET_DAYS[by] > MAX_BUCKETS:
        by = _COARSER[by]
    return by


# --- charts from HourlyListening ----------------------------------------------------------------


def _hourly(user_id: int, period: Range):
    return HourlyListening.objects.filter(
        user_id=user_id, day__gte=period.start, day__lte=period.end
    ).order_by()


def _daily(user_id: int, period: Range):
    return DailyListening.objects.filter(
        user_id=user_id, day__gte=period.start, day__lte=period.end
    ).order_by()


def totals(user_id: int, period: Range) -> dict:
    sums = _daily(user_id, period).aggregate(plays=Sum("plays"), ms=Sum("ms_played"))
    return {"plays": sums["plays"] or 0, "minutes": (sums["ms"] or 0) // 60_000}


def bucket_start(day: date, by: str, week_start: int = 0) -> date:
    """The first day of the bar `day` falls in; weeks start on `week_start` (Monday is 0)."""
    if by == "week":
        return day - timedelta(days=(day.weekday() - week_start) % 7)
    if by == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: date, by: str) -> date:
    if by == "week":
        return start + timedelta(days=7)
    if by == "month":
        return (start + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=1)


def series(
    user_id: int, period: Range, by: str, week_start: int = 0
) -> list[tuple[date, int, int]]:
    """(bucket start, plays, minutes) for every bucket in the range, empty ones included."""
    per_day = _daily(user_id, period).values_list("day", "plays", "ms_played")
    buckets: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, plays, ms in per_day:
        cell = buckets[bucket_start(day, by, week_start)]
        cell[0] += plays
        cell[1] += ms
    out = []
    cursor = bucket_start(period.start, by, week_start)
    while cursor <= period.end:
        plays, ms = buckets.get(cursor, (0, 0))
        out.append((cursor, plays, ms // 60_000))
        cursor = _next_bucket(cursor, by)
    return out


def listening_clock(user_id: int, period: Range) -> list[list[int]]:
    """Plays per [weekday][hour], Monday first, local time."""
    grid = [[0] * 24 for _ in range(7)]
    rows = (
        _hourly(user_id, period)
        .values("weekday", "hour")
        .annotate(plays=Sum("plays"))
        .values_list("weekday", "hour", "plays")
    )
    for weekday, hour, plays in rows:
        grid[weekday][hour] = plays
    return grid


@dataclass(frozen=True)
class Streaks:
    longest: int
    longest_end: date | None
    current: int


def streaks(user_id: int, today: date) -> Streaks:
    """Days in a row with at least one play: the longest ever, and the one going on now
    (it still counts when today has no play yet but yesterday had)."""
    days = (
        DailyListening.objects.filter(user_id=user_id, plays__gt=0)
        .order_by("day")
        .values_list("day", flat=True)
    )
    longest, longest_end, run, previous = 0, None, 0, None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        if run > longest:
            longest, longest_end = run, day
        previous = day
    current = run if previous is not None and (today - previous).days <= 1 else 0
    return Streaks(longest, longest_end, current)


def first_listens(user_id: int, period: Range) -> list[tuple[date, int]]:
    """New tracks per local month: the first time each track was ever played."""
    counts = dict(
        FirstListen.objects.filter(
            user_id=user_id,
            first_month__gte=period.start.replace(day=1),
            first_month__lte=period.end,
        )
        .order_by()
        .values("first_month")
        .annotate(n=Count("pk"))
        .values_list("first_month", "n")
    )
    out = []
    cursor = period.start.replace(day=1)
    while cursor <= period.end:
        out.append((cursor, counts.get(cursor, 0)))
        cursor = _next_bucket(cursor, "month")
    return out


# --- top lists: whole months from MonthlyTrackPlays, the ends from the plays ---------------------


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def split_range(period: Range) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """(first, last) whole months inside the range, and the day spans outside them."""
    first_whole = period.start if period.start.day == 1 else _month_after(period.start)
    if (period.end + timedelta(days=1)).day == 1:
        last_whole = period.end.replace(day=1)
    else:  # the end month is partial: the last whole month is the one before
        last_whole = (period.end.replace(day=1) - timedelta(days=1)).replace(day=1)
    if first_whole > last_whole:
        return None, [(period.start, period.end)]
    edges = []
    if period.start < first_whole:
        edges.append((period.start, first_whole - timedelta(days=1)))
    end_of_whole = _month_after(last_whole)
    if end_of_whole <= period.end:
        edges.append((end_of_whole, period.end))
    return (first_whole, last_whole), edges


def _span_parts(user_id: int, start: date, end: date, zone: ZoneInfo, sign: str):
    """SELECTs of (track_id, plays, ms) for the local days [start, end]: whole months from
    MonthlyTrackPlays, the rest from the plays. `sign` is "" or "-" (to subtract)."""
    q = connection.ops.quote_name
    monthly, plays, tracks = (
        q(MonthlyTrackPlays._meta.db_table),
        q(PlayEvent._meta.db_table),
        q(Track._meta.db_table),
    )
    whole, edges = split_range(Range(start, end, zone))
    parts, params = [], []
    if whole:
        parts.append(
            f"SELECT track_id, {sign}plays AS plays, {sign}ms_played AS ms FROM {monthly} "
            "WHERE user_id = %s AND month >= %s AND month <= %s"
        )
        params += [user_id, *whole]
    for low_day, high_day in edges:
        low = local_midnight(low_day, zone)
        high = local_midnight(high_day + timedelta(days=1), zone)
        parts.append(
            f"SELECT p.track_id, {sign}1 AS plays, "
            f"{sign}COALESCE(p.ms_played, t.duration_ms) AS ms "
            f"FROM {plays} p JOIN {tracks} t ON t.id = p.track_id "
            "WHERE p.user_id = %s AND p.played_at >= %s AND p.played_at < %s"
        )
        params += [
            user_id,
            connection.ops.adapt_datetimefield_value(low),
            connection.ops.adapt_datetimefield_value(high),
        ]
    return parts, params


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _hidden_filter(hidden: Hidden) -> tuple[str, list]:
    """A WHERE clause dropping the tracks of blocked artists from the per-track counts."""
    if not hidden:
        return "", []
    q = connection.ops.quote_name
    links, tracks = q(TrackArtist._meta.db_table), q(Track._meta.db_table)
    conditions, params = [], []
    if hidden.primary:
        marks = ", ".join(["%s"] * len(hidden.primary))
        conditions.append(f"(artist_id IN ({marks}) AND role = %s)")
        params += [*hidden.primary, ArtistRole.PRIMARY]
    if hidden.any_credit:
        conditions.append(f"artist_id IN ({', '.join(['%s'] * len(hidden.any_credit))})")
        params += list(hidden.any_credit)
    clauses = []
    if conditions:
        clauses.append(
            f"u.track_id NOT IN (SELECT track_id FROM {links} WHERE {' OR '.join(conditions)})"
        )
    if hidden.names:
        # Tracks known only from an export have no artist links, only the artist's name.
        marks = ", ".join(["%s"] * len(hidden.names))
        clauses.append(
            f"u.track_id NOT IN (SELECT t.id FROM {tracks} t WHERE LOWER(t.artist_names) "
            f"IN ({marks}) AND NOT EXISTS (SELECT 1 FROM {links} x WHERE x.track_id = t.id))"
        )
        params += list(hidden.names)
    return "WHERE " + " AND ".join(clauses), params


def _counts_sql(user_id: int, period: Range, hidden: Hidden) -> tuple[str, list]:
    """SQL for (track_id, plays, ms) over the range, and its parameters.

    A range covering most of the history is cheaper as its complement: the all-time totals
    (a row per track) minus the months outside the range. "All time" is then the totals alone.
    """
    span = DailyListening.objects.filter(user_id=user_id).aggregate(
        first=Min("day"), last=Max("day")
    )
    first, last = span["first"], span["last"]
    parts, params = [], []
    having = ""
    if first is None:
        parts, params = _span_parts(user_id, period.start, period.end, period.zone, "")
    else:
        inside = _months(max(period.start, first), min(period.end, last))
        outside = _months(first, last) - max(inside, 0)
        if inside > 0 and outside < inside:
            totals = connection.ops.quote_name(TrackTotal._meta.db_table)
            parts.append(
                f"SELECT track_id, plays, ms_played AS ms FROM {totals} WHERE user_id = %s"
            )
            params.append(user_id)
            if period.start > first:
                more, more_params = _span_parts(
                    user_id, first, period.start - timedelta(days=1), period.zone, "-"
                )
                parts, params = parts + more, params + more_params
            if period.end < last:
                more, more_params = _span_parts(
                    user_id, period.end + timedelta(days=1), last, period.zone, "-"
                )
                parts, params = parts + more, params + more_params
            having = "HAVING SUM(u.plays) > 0"
        else:
            parts, params = _span_parts(user_id, period.start, period.end, period.zone, "")
    union = " UNION ALL ".join(parts)
    where, hidden_params = _hidden_filter(hidden)
    params += hidden_params
    sql = (
        f"SELECT u.track_id AS track_id, SUM(u.plays) AS plays, SUM(u.ms) AS ms "
        f"FROM ({union}) u {where} GROUP BY u.track_id {having}"
    )
    return sql, params


def _query(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _analytic_query(sql: str, params: list) -> list[tuple]:
    """PostgreSQL cannot estimate how many tracks a materialised CTE holds (it guesses tens
    where there are tens of thousands) and then joins them one index probe at a time; with
    nested loops off for this one statement it hashes, several times faster."""
    if connection.vendor != "postgresql":
        return _query(sql, params)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class TopRow:
    label: str
    detail: str
    plays: int
    minutes: int


def top_lists(user_id: int, period: Range, *, hide_blocked: bool = False) -> dict:
    """Top tracks, artists, albums and genres in one statement: the per-track counts are
    computed once (a materialised CTE) and the four lists are cut from them."""
    hidden = blocked_artists(user_id) if hide_blocked else Hidden()
    counts, params = _counts_sql(user_id, period, hidden)
    q = connection.ops.quote_name
    track_t, artist_t, album_t = (
        q(Track._meta.db_table),
        q(Artist._meta.db_table),
        q(Album._meta.db_table),
    )
    link_t, hint_t = q(TrackArtist._meta.db_table), q(TrackHint._meta.db_table)
    genre_t, track_genre_t = q(Genre._meta.db_table), q(TrackGenre._meta.db_table)
    # Artist: the track's primary artist, or the export's name for a track known only from
    # an export. Album: the catalog's, or the export's.
    primary = (
        f"LEFT JOIN {link_t} ta ON ta.track_id = {{t}}.track_id AND ta.position = 0 "
        f"LEFT JOIN {artist_t} a ON a.id = ta.artist_id"
    )
    sql = f"""
        WITH c AS MATERIALIZED ({counts}),
        ct AS MATERIALIZED (
            SELECT c.track_id, c.plays, c.ms,
                   COALESCE(a.name, t.artist_names) AS artist,
                   COALESCE(al.name, h.album_name, '') AS album
            FROM c JOIN {track_t} t ON t.id = c.track_id
            {primary.format(t="c")}
            LEFT JOIN {album_t} al ON al.id = t.album_id
            LEFT JOIN {hint_t} h ON h.track_id = c.track_id
        )
        SELECT * FROM (SELECT 'tracks' AS kind, t.name AS label,
                              COALESCE(a.name, t.artist_names) AS detail, top.plays, top.ms
                       FROM (SELECT track_id, plays, ms FROM c
                             ORDER BY plays DESC, ms DESC, track_id LIMIT {TOP_N}) top
                       JOIN {track_t} t ON t.id = top.track_id
                       {primary.format(t="top")}) tracks
        UNION ALL
        SELECT * FROM (SELECT 'artists', artist, '', SUM(plays) AS p, SUM(ms) AS m
                       FROM ct GROUP BY artist
                       ORDER BY p DESC, m DESC, artist LIMIT {TOP_N}) artists
        UNION ALL
        SELECT * FROM (SELECT 'albums', album, artist, SUM(plays) AS p, SUM(ms) AS m
                       FROM ct WHERE album <> '' GROUP BY album, artist
                       ORDER BY p DESC, m DESC, album LIMIT {TOP_N}) albums
        UNION ALL
        SELECT * FROM (SELECT 'genres', g.name, '', SUM(c.plays) AS p, SUM(c.ms) AS m
                       FROM c JOIN {track_genre_t} tg ON tg.track_id = c.track_id
                       JOIN {genre_t} g ON g.id = tg.genre_id
                       GROUP BY g.name ORDER BY p DESC, m DESC, g.name LIMIT {TOP_N}) genres
    """
    lists: dict[str, list[TopRow]] = {"tracks": [], "artists": [], "albums": [], "genres": []}
    for kind, label, detail, plays, ms in _analytic_query(sql, params):
        lists[kind].append(TopRow(label or "", detail or "", int(plays), int(ms or 0) // 60_000))
    for rows in lists.values():  # UNION ALL promises no order: put each list back in order
        rows.sort(key=lambda row: (-row.plays, -row.minutes))
    return lists
