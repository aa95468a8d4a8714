"""Storing plays: one path for polls and imports — dedupe, insert, rollups, in one transaction.

Writers for one user are serialised on their HistoryProfile row (a poll and an import of the
same person never interleave between "what is stored?" and "insert"), so the ±30 s dedupe
cannot be raced; the unique (user, track, played_at) constraint backs it up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils.dateparse import parse_datetime

from archive import dedupe, rollups, sql
from archive.models import HistoryProfile, PlayEvent, PlaySource


@dataclass(slots=True)
class NewPlay:
    track_id: str
    played_at: datetime  # aware, UTC
    source: str
    ms_played: int | None = None
    duration_ms: int = 0  # the track's length: the stats' estimate when ms_played is None
    context_type: str = ""
    context_uri: str = ""
    platform: str = ""
    reason_start: str = ""
    reason_end: str = ""
    shuffle: bool | None = None
    skipped: bool | None = None
    offline: bool | None = None
    incognito: bool | None = None

    @property
    def minute_precision(self) -> bool:
        return self.source == PlaySource.ACCOUNT


COLUMNS = [
    "user_id",
    "track_id",
    "played_at",
    "ms_played",
    "context_type",
    "context_uri",
    "source",
    "platform",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "incognito",
]


def _as_utc(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def store(user_id: int, plays: Sequence[NewPlay]) -> list[NewPlay]:
    """Store the plays that are new; return them (the rest were already in the archive).
    Must be called inside a transaction (the caller's batch and checkpoint share it)."""
    if not plays:
        return []
    assert transaction.get_connection().in_atomic_block, "store() needs a transaction"
    # A first import can come before the person ever opened /history/ (which creates the row).
    HistoryProfile.objects.get_or_create(user_id=user_id)
    profile = HistoryProfile.objects.select_for_update().get(user_id=user_id)
    low = min(play.played_at for play in plays) - dedupe.WINDOW
    high = max(play.played_at for play in plays) + dedupe.WINDOW
    stored = PlayEvent.objects.filter(
        user_id=user_id, played_at__gte=low, played_at__lte=high
    ).values_list("track_id", "played_at", "source")
    matcher = dedupe.Matcher(
        (track_id, played_at, source == PlaySource.ACCOUNT)
        for track_id, played_at, source in stored.order_by()
    )
    fresh = [
        play
        for play in sorted(plays, key=lambda p: p.played_at)
        if matcher.is_new(play.track_id, play.played_at, play.minute_precision)
    ]
    if not fresh:
        return []
    written = sql.insert(
        PlayEvent,
        COLUMNS,
        [
            (
                user_id,
                p.track_id,
                p.played_at,
                p.ms_played,
                p.context_type,
                p.context_uri,
                p.source,
                p.platform,
                p.reason_start,
                p.reason_end,
                p.shuffle,
                p.skipped,
                p.offline,
                p.incognito,
            )
            for p in fresh
        ],
        conflict=["user_id", "played_at", "track_id"],
        returning=["track_id", "played_at"],
    )
    if len(written) != len(fresh):  # a conflict the dedupe did not foresee: keep what went in
        keys = {(track_id, _as_utc(played_at)) for track_id, played_at in written}
        fresh = [p for p in fresh if (p.track_id, p.played_at) in keys]
    HistoryProfile.objects.filter(pk=profile.pk).update(stats_version=F("stats_version") + 1)
    rollups.add(
        user_id,
        profile.zone,
        [(p.track_id, p.played_at, rollups.stat_ms(p.ms_played, p.duration_ms)) for p in fresh],
    )
    return fresh
