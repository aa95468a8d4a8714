"""What a person's listening says about a set of tracks, for rules and orders elsewhere (sync's
history rules): plays and time of all time, first and last play, plays in the last N days,
skips. All-time figures come from the rollups (TrackTotal, FirstListen, LastListen); windowed
counts read the plays inside the window only, by the (user, played_at, track) index; skips read
the skipped plays (only the extended streaming history records them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count

from archive.models import FirstListen, LastListen, ListeningGap, PlayEvent, TrackTotal

# Plays older than this many days are not counted in a window (a rule asks "last N days").
MAX_WINDOW_DAYS = 3660


@dataclass
class Listening:
    plays: int = 0
    ms_played: int = 0
    first_played_at: datetime | None = None
    last_played_at: datetime | None = None
    skips: int = 0
    windows: dict[int, int] = field(default_factory=dict)  # days → plays in the last N days


def of_tracks(
    user_id: int,
    track_ids,
    *,
    now: datetime,
    windows: Iterable[int] = (),
    skips: bool = False,
    dates: bool = True,
) -> dict[str, Listening]:
    """Listening per track the person ever played, among `track_ids` (a list, or better a
    subquery of ids, which keeps thousands of ids out of the SQL); tracks never played are
    absent (all zeros)."""
    out: dict[str, Listening] = defaultdict(Listening)
    for track_id, plays, ms in TrackTotal.objects.filter(
        user_id=user_id, track_id__in=track_ids
    ).values_list("track_id", "plays", "ms_played"):
        out[track_id].plays, out[track_id].ms_played = plays, ms
    if dates:  # first and last plays: only when asked (a timestamp each costs its parsing)
        for track_id, first in FirstListen.objects.filter(
            user_id=user_id, track_id__in=track_ids
        ).values_list("track_id", "first_played_at"):
            out[track_id].first_played_at = first
        for track_id, last in last_plays(user_id, track_ids).items():
            out[track_id].last_played_at = last
    played = dict(out)
    for days in sorted(set(windows)):
        days = max(0, min(days, MAX_WINDOW_DAYS))
        counts = (
            PlayEvent.objects.filter(user_id=user_id, played_at__gte=now - timedelta(days=days))
            .order_by()
            .values("track_id")
            .annotate(n=Count("pk"))
            .values_list("track_id", "n")
        )
        for entry in played.values():
            entry.windows[days] = 0
        for track_id, n in counts:
            if track_id in played:
                played[track_id].windows[days] = n
    if skips:
        skipped = (
            PlayEvent.objects.filter(user_id=user_id, skipped=True)
            .order_by()
            .values("track_id")
            .annotate(n=Count("pk"))
            .values_list("track_id", "n")
        )
        for track_id, n in skipped.iterator(chunk_size=5000):
            if track_id in played:
                played[track_id].skips = n
    return played


def last_plays(user_id: int, track_ids) -> dict[str, datetime]:
    return dict(
        LastListen.objects.filter(user_id=user_id, track_id__in=track_ids).values_list(
            "track_id", "last_played_at"
        )
    )


def gaps_since(user_id: int, since: datetime) -> int:
    """Times the poller saw more than 50 plays between two checks, since `since`, that no
    data export filled: counts in that window may be low."""
    return ListeningGap.objects.filter(
        user_id=user_id, end__gte=since, filled_by__isnull=True
    ).count()
