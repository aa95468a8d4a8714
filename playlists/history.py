"""Playlist history: every re-read that finds a playlist changed records what was added and
removed (from the two item lists the mirror holds at that moment: no extra Spotify call), and
any earlier state is rebuilt from today's items by undoing the changes since, newest first.

The diff is by occurrence: a track twice in the list is two items. Items that stayed keep their
relative order in the common case (adds and removes only), and then positions alone undo a
change; when the person also reordered, the whole earlier list is kept in the change row.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from playlists.models import Playlist, PlaylistChange, PlaylistItem


def _kept_in_order(
    old: list[str], new: list[str], removed_positions: set[int], added_positions: set[int]
) -> bool:
    kept_old = [uri for position, uri in enumerate(old) if position not in removed_positions]
    kept_new = [uri for position, uri in enumerate(new) if position not in added_positions]
    return kept_old == kept_new


def diff(old: list[str], new: list[str]) -> tuple[list[int], list[int]]:
    """(positions in `old` removed, positions in `new` added), by occurrence: the last extra
    occurrences of a uri are the ones that came or went."""
    old_count, new_count = Counter(old), Counter(new)
    removed, added = [], []
    seen: Counter = Counter()
    for position, uri in enumerate(old):
        seen[uri] += 1
        if seen[uri] > new_count[uri]:
            removed.append(position)
    seen = Counter()
    for position, uri in enumerate(new):
        seen[uri] += 1
        if seen[uri] > old_count[uri]:
            added.append(position)
    return removed, added


def record_change(
    playlist: Playlist, old: list[str], new: list[tuple[str, str]], *, at: datetime
) -> PlaylistChange | None:
    """A change row for `playlist` going from `old` uris to `new` (uri, added_by) items; None
    when nothing changed or the playlist was never mirrored before."""
    if playlist.mirrored_snapshot_id == "" and not old:
        return None  # the first read: nothing to compare with
    if old == [uri for uri, _ in new]:
        return None
    return PlaylistChange.objects.create(
        playlist=playlist, seen_at=at, snapshot_id=playlist.snapshot_id, **change_fields(old, new)
    )


def change_fields(old: list[str], new: list[tuple[str, str]]) -> dict:
    """What a PlaylistChange from `old` uris to `new` (uri, added_by) items holds."""
    new_uris = [uri for uri, _ in new]
    removed, added = diff(old, new_uris)
    in_order = _kept_in_order(old, new_uris, set(removed), set(added))
    return {
        "items_before": len(old),
        "items_after": len(new_uris),
        "added": [[position, new[position][0], new[position][1]] for position in added],
        "removed": [[position, old[position]] for position in removed],
        "before": None if in_order else old,
    }


def undo(after: list[str], change: PlaylistChange) -> list[str]:
    """The list before `change`, given the list right after it."""
    if change.before is not None:
        return list(change.before)
    items = list(after)
    for position, _uri, *_ in sorted(change.added, reverse=True):
        del items[position]
    for position, uri in sorted(change.removed):
        items.insert(position, uri)
    return items


def current_uris(playlist: Playlist) -> list[str]:
    return list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("uri", flat=True)
    )


def as_of(playlist: Playlist, change: PlaylistChange) -> list[str]:
    """The playlist's items just before `change` was seen, rebuilt from today's items."""
    items = current_uris(playlist)
    for later in playlist.changes.filter(seen_at__gte=change.seen_at).order_by("-seen_at", "-pk"):
        items = undo(items, later)
        if later.pk == change.pk:
            break
    return items
