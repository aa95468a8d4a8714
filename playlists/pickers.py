"""How playlists are named in pickers: two playlists called “Chill” (yours and one you follow)
must not look the same, so a name that appears more than once gets its owner beside it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def picker_label(name: str, owner_name: str, owner_id: str, duplicated: bool) -> str:
    if not duplicated:
        return name
    return f"{name} (by {owner_name or owner_id or 'unknown owner'})"


def labelled(rows: Iterable[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """(spotify_id, name, owner_name, owner_id) rows → (spotify_id, label) choices."""
    rows = list(rows)
    counts = Counter(name.casefold() for _, name, _, _ in rows)
    return [
        (spotify_id, picker_label(name, owner_name, owner_id, counts[name.casefold()] > 1))
        for spotify_id, name, owner_name, owner_id in rows
    ]


def duplicated_names(names: Iterable[str]) -> set[str]:
    counts = Counter(name.casefold() for name in names)
    return {name for name, count in counts.items() if count > 1}
