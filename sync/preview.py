"""The rule editor's live preview, computed from the mirror without calling Spotify."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from spotify import clock
from sync import plan as planner
from sync import selection
from sync.facts import load_base
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
    playlist = base.playlist
    preview.mirrored = bool(playlist and playlist.mirrored_snapshot_id)
    content = load_base(playlist, base.user, playlists=playlists_referenced([tree]))
    blocked = selection.blocked_track_ids(base.user) if child.skip_blocked else set()
    chosen = select(content, child, tree, now=now, blocked=blocked)
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
                why=why or ["every track (no conditions)"],
            )
        )
    return preview


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
    content = load_base(base.playlist, base.user, playlists=playlists_referenced([tree]))
    blocked = selection.blocked_track_ids(base.user) if child.skip_blocked else set()
    return select(content, child, tree, now=clock.now(), blocked=blocked).uris
