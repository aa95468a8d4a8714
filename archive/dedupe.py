"""Is an incoming play one we already have? Plain functions, no database.

The same play reaches the archive twice when a polled play is also in the data export (or an
export is imported twice). Both sources give the time the play *ended*, but not to the same
instant, and account-data exports only to the minute. So each play is an interval in which its
true end lies: a point for polled and extended-history plays, [HH:MM, HH:MM+60 s) for account
data. Two plays of the same track are the same play when their intervals come within
TOLERANCE of each other.

Matching is one-to-one: a stored play absorbs at most one incoming play, so a genuine repeat
(the same song played twice in a row) is kept even when a copy of the first play is present.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

TOLERANCE = timedelta(seconds=30)
MINUTE = timedelta(seconds=60)
# How far around a batch to look for stored plays that could match one in it.
WINDOW = TOLERANCE + MINUTE


@dataclass(slots=True)
class _Known:
    starts: list[datetime] = field(default_factory=list)  # sorted low ends
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)
    used: list[bool] = field(default_factory=list)


def span(played_at: datetime, minute_precision: bool) -> tuple[datetime, datetime]:
    return (played_at, played_at + MINUTE) if minute_precision else (played_at, played_at)


class Matcher:
    """Stored plays of one user around a batch, by track; `is_new` consumes a match."""

    def __init__(self, stored: Iterable[tuple[str, datetime, bool]]):
        by_track: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for track_id, played_at, minute_precision in stored:
            by_track[track_id].append(span(played_at, minute_precision))
        self._known: dict[str, _Known] = {}
        for track_id, spans in by_track.items():
            spans.sort()
            self._known[track_id] = _Known([low for low, _ in spans], spans, [False] * len(spans))

    def is_new(self, track_id: str, played_at: datetime, minute_precision: bool = False) -> bool:
        """False if a stored (or earlier accepted) play matches; that match is then used up.
        True otherwise, and the play is remembered so an exact copy later in the same batch
        is caught too."""
        low, high = span(played_at, minute_precision)
        known = self._known.get(track_id)
        if known is None:
            known = self._known[track_id] = _Known()
        best, best_gap = None, None
        # Candidates: stored spans starting before high + TOLERANCE; the list is short per track.
        end = bisect_left(known.starts, high + TOLERANCE + MINUTE)
        start = bisect_left(known.starts, low - TOLERANCE - MINUTE)
        for index in range(start, end):
            if known.used[index]:
                continue
            other_low, other_high = known.spans[index]
            gap = max(low, other_low) - min(high, other_high)
            if gap <= TOLERANCE and (best_gap is None or gap < best_gap):
                best, best_gap = index, gap
        if best is not None:
            known.used[best] = True
            return False
        position = bisect_left(known.starts, low)
        known.starts.insert(position, low)
        known.spans.insert(position, (low, high))
        known.used.insert(position, False)
        return True


def new_plays(
    stored: Iterable[tuple[str, datetime, bool]],
    incoming: Sequence[tuple[str, datetime, bool]],
) -> list[int]:
    """Indexes of the incoming (track, played_at, minute_precision) plays that are new."""
    matcher = Matcher(stored)
    order = sorted(range(len(incoming)), key=lambda i: incoming[i][1])
    return sorted(i for i in order if matcher.is_new(*incoming[i]))
