# ruff: noqa: S608 - the SQL is built from our own table names; every value is a parameter.
"""One artist's, album's or track's place in a person's listening: plays and time, first and
last play, plays per month, its top tracks and its rank among the person's artists (albums,
tracks) of all time.

Everything but the last play reads the rollups (TrackTotal, MonthlyTrackPlays, FirstListen), so
a page costs the same at a million plays as at a thousand; the last play reads the plays of one
month only. An artist's tracks are those crediting it in any position; its rank is among primary
artists, as on the stats page. Tracks known only from a data export (no artist or album rows in
the catalog) count on their track page, not on an artist's or album's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Max, Min, Sum

from archive.models import FirstListen, HistoryProfile, MonthlyTrackPlays, PlayEvent, TrackTotal
from playlists.models import Album, Artist, Track, TrackArtist

ARTIST = "artist"
ALBUM = "album"
TRACK = "track"
KINDS = (ARTIST, ALBUM, TRACK)
TOP_TRACKS = 10
MAX_MONTHS = 600  # fifty years of bars is plenty


@dataclass
class Drilldown:
    kind: str
    subject: Artist | Album | Track
    plays: int
    minutes: int
    first_played_at: datetime | None
    last_played_at: datetime | None
    monthly: list[tuple[date, int]] = field(default_factory=list)
    top_tracks: list[tuple[Track, int]] = field(default_factory=list)
    rank: int | None = None
    ranked_of: int = 0

    @property
    def peak_month_plays(self) -> int:
        return max((plays for _, plays in self.monthly), default=0)


def _subject(kind: str, subject_id: str):
    model = {ARTIST: Artist, ALBUM: Album, TRACK: Track}[kind]
    return model.objects.filter(pk=subject_id).first()


def _track_ids(kind: str, subject_id: str):
    if kind == ARTIST:
        return TrackArtist.objects.filter(artist_id=subject_id).values("track_id")
    if kind == ALBUM:
        return Track.objects.filter(album_id=subject_id).values("id")
    return [subject_id]


def _months_between(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last and len(months) < MAX_MONTHS:
        months.append(month)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _last_play(user_id: int, track_ids, last_month: date, zone: ZoneInfo) -> datetime | None:
    # The newest month with a play bounds the scan: the plays of one local month, by the
    # (user, played_at, track) index, not the person's whole history.
    start = datetime.combine(last_month, datetime.min.time(), zone).astimezone(UTC)
    return PlayEvent.objects.filter(
        user_id=user_id, played_at__gte=start, track_id__in=track_ids
    ).aggregate(last=Max("played_at"))["last"]


def _rank(user_id: int, kind: str, subject_id: str, plays: int) -> tuple[int | None, int]:
    """1-based rank among the person's artists / albums / tracks by all-time plays, and how
    many there are."""
    q = connection.ops.quote_name
    totals, tracks, links = (
        q(TrackTotal._meta.db_table),
        q(Track._meta.db_table),
        q(TrackArtist._meta.db_table),
    )
    if kind == TRACK:
        grouped = f"SELECT track_id AS key, plays AS p FROM {totals} WHERE user_id = %s"
    elif kind == ALBUM:
        grouped = (
            f"SELECT t.album_id AS key, SUM(tt.plays) AS p FROM {totals} tt "
            f"JOIN {tracks} t ON t.id = tt.track_id "
            f"WHERE tt.user_id = %s AND t.album_id IS NOT NULL GROUP BY t.album_id"
        )
    else:
        grouped = (
            f"SELECT ta.artist_id AS key, SUM(tt.plays) AS p FROM {totals} tt "
            f"JOIN {links} ta ON ta.track_id = tt.track_id AND ta.position = 0 "
            f"WHERE tt.user_id = %s GROUP BY ta.artist_id"
        )
    sql = (
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE p > %s), "
        f"COUNT(*) FILTER (WHERE key = %s) FROM ({grouped}) g"
    )
    if connection.vendor == "sqlite":
        sql = (
            f"SELECT COUNT(*), SUM(CASE WHEN p > %s THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN key = %s THEN 1 ELSE 0 END) FROM ({grouped}) g"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [plays, subject_id, user_id])
        count, above, present = cursor.fetchone()
    return ((above or 0) + 1 if present else None), count or 0


def history_of(user_id: int, kind: str, subject_id: str) -> Drilldown | None:
    """The person's history with one artist, album or track; None when it is not in the
    catalog or the person never played it."""
    subject = _subject(kind, subject_id)
    if subject is None:
        return None
    track_ids = _track_ids(kind, subject_id)
    totals = TrackTotal.objects.filter(user_id=user_id, track_id__in=track_ids).aggregate(
        plays=Sum("plays"), ms=Sum("ms_played")
    )
    plays = totals["plays"] or 0
    if not plays:
        return None
    monthly_rows = dict(
        MonthlyTrackPlays.objects.filter(user_id=user_id, track_id__in=track_ids)
        .values("month")
        .annotate(plays=Sum("plays"))
        .values_list("month", "plays")
    )
    months = _months_between(min(monthly_rows), max(monthly_rows)) if monthly_rows else []
    zone = ZoneInfo(HistoryProfile.for_user(user_id).rollup_time_zone)
    first = FirstListen.objects.filter(user_id=user_id, track_id__in=track_ids).aggregate(
        first=Min("first_played_at")
    )["first"]
    history = Drilldown(
        kind=kind,
        subject=subject,
        plays=plays,
        minutes=(totals["ms"] or 0) // 60_000,
        first_played_at=first,
        last_played_at=(
            _last_play(user_id, track_ids, max(monthly_rows), zone) if monthly_rows else None
        ),
        monthly=[(month, monthly_rows.get(month, 0)) for month in months],
    )
    if kind != TRACK:
        top = list(
            TrackTotal.objects.filter(user_id=user_id, track_id__in=track_ids)
            .select_related("track")
            .order_by("-plays", "-ms_played", "track_id")[:TOP_TRACKS]
        )
        history.top_tracks = [(row.track, row.plays) for row in top]
    history.rank, history.ranked_of = _rank(user_id, kind, subject_id, plays)
    return history


def play_count(user_id: int, track_id: str) -> int:
    row = TrackTotal.objects.filter(user_id=user_id, track_id=track_id).first()
    return row.plays if row else 0
