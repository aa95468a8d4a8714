"""The rule editor's live preview, computed from the mirror without calling Spotify."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings

from archive.listening import gaps_since, last_plays
from core import clock
from sync import plan as planner
from sync import selection
from sync.facts import base_source, load_base
from sync.models import BasePlaylist, ChildPlaylist
from sync.rules import RuleError, explain, never_matches, normalise
from sync.selection import playlists_referenced, select

SHOWN = 50


@dataclass
class PreviewRow:
    position: int
    name: str
    artists: str
    album: str
    year: int | None
    why: list[str]


@dataclass
class Preview:
    total: int = 0  # distinct tracks in the base
    matched: int = 0  # tracks the rules accept
    size: int = 0  # what the child will hold (after blocklist, dedupe, limit…)
    blocked: int = 0
    rows: list[PreviewRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    never: str | None = None  # the rules can never match: why
    mirrored: bool = True  # False: the base's items have not been read yet
    history_note: str = ""  # gaps in the archive inside a history rule's window
    # The writes the next sync would send (planner.summary), before anything is sent: calls,
    # added, removed, moves, rebuild, dates_reset, dates_kept; plus "create" for a new child.
    writes: dict = field(default_factory=dict)
    write_mode: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.never


def _extended() -> bool:
    return settings.SPOTIFY_API_MODE == "extended"


def build_preview(child: ChildPlaylist, tree: dict) -> Preview:
    """Normalise `tree`, then show what `child` (with its unsaved settings) would hold."""
    preview = Preview()
    try:
        tree = normalise(tree, extended=_extended())
    except RuleError as error:
        preview.errors = error.errors
        return preview
    now = clock.now()
    preview.never = never_matches(tree, now=now)
    base = child.base
    playlist = base_source(base)
    preview.mirrored = base.is_liked_songs or bool(playlist and playlist.mirrored_snapshot_id)
    history = selection.history_needs([tree], [child], now=now)
    content = load_base(
        playlist, base.user, playlists=playlists_referenced([tree]), history=history
    )
    blocked = selection.blocked_track_ids(base.user) if child.skip_blocked else set()
    chosen = select(content, child, tree, now=now, blocked=blocked)
    if history is not None:
        preview.history_note = _gaps_note(base.user, history, now)
        if not history.dates:  # the why says when each shown track was last played
            shown = [o.track_id for o in chosen.occurrences[:SHOWN]]
            for track_id, last in last_plays(base.user.pk, shown).items():
                content.facts[track_id].last_played_at = last
    preview.total = content.distinct
    preview.matched = len(chosen.matched)
    preview.blocked = chosen.blocked
    preview.size = len(chosen.occurrences)
    preview.writes = planned_writes(child, chosen.uris)
    preview.write_mode = child.get_write_mode_display()
    for number, occurrence in enumerate(chosen.occurrences[:SHOWN], start=1):
        facts = content.facts[occurrence.track_id]
        _, why = explain(tree, facts, now=now)
        preview.rows.append(
            PreviewRow(
                position=number,
                name=facts.name,
                artists=", ".join(facts.artist_names),
                album=facts.album_name,
                year=facts.year,
                why=[*(why or ["every track (no conditions)"]), *_heard(facts, history, now)],
            )
        )
    return preview


def _heard(facts, history, now) -> list[str]:
    """The track's listening in words, for the preview's *why* of a history child."""
    if history is None:
        return []
    if not facts.plays:
        return ["never played"]
    parts = [f"played {facts.plays}×"]
    for days in sorted(history.windows):
        parts.append(f"{(facts.play_windows or {}).get(days, 0)}× in the last {days} days")
    if facts.last_played_at:
        ago = (now - facts.last_played_at).days
        parts.append("last today" if ago < 1 else f"last {ago} day{'s' if ago != 1 else ''} ago")
    return [", ".join(parts)]


def _gaps_note(user, history, now) -> str:
    since = now - timedelta(days=max(history.windows, default=3660))
    gaps = gaps_since(user.pk, since)
    if not gaps:
        return ""
    return f"{gaps} gap{'s' if gaps != 1 else ''} in this window; play counts may be low."


def planned_writes(child: ChildPlaylist, desired: list[str]) -> dict:
    """What the next sync would write, from what Tunekeeper last wrote to the child (an edit
    made outside since then is found at the sync, which stops or overwrites as chosen)."""
    current = list(child.synced_uris) if child.spotify_id else []
    ops = planner.plan(current, desired, mode=child.write_mode)
    writes = planner.summary(current, ops)
    writes["create"] = not child.spotify_id
    writes["calls"] += writes["create"]
    return writes


def wanted_uris(child: ChildPlaylist) -> list[str]:
    """What a sync would write to `child` now, from the mirror (for tests and the shell)."""
    base = BasePlaylist.objects.select_related("playlist", "user").get(pk=child.base_id)
    tree = normalise(child.rules, extended=_extended())
    now = clock.now()
    content = load_base(
        base_source(base),
        base.user,
        playlists=playlists_referenced([tree]),
        history=selection.history_needs([tree], [child], now=now),
    )
    blocked = selection.blocked_track_ids(base.user) if child.skip_blocked else set()
    return select(content, child, tree, now=now, blocked=blocked).uris
