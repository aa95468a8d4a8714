"""Children in one step: a template makes one or more children with their rules, order and limit,
each editable afterwards like any other child.

Templates that split by decade or genre look at the base as the mirror holds it now (no Spotify
call) and make one child per decade or per top genre found there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sync.facts import base_source, load_base
from sync.models import BasePlaylist, ChildPlaylist, Order


@dataclass(frozen=True)
class ChildTemplate:
    label: str
    description: str


TEMPLATES = {
    "top_30_days": ChildTemplate(
        "Top 50 of the last 30 days", "Your most played tracks of the base this month."
    ),
    "not_played_in_a_year": ChildTemplate(
        "Not played in a year", "Tracks you have not played in 365 days (or never)."
    ),
    "heavy_rotation": ChildTemplate(
        "Heavy rotation this week", "Tracks played 3 times or more in the last 7 days."
    ),
    "per_decade": ChildTemplate("One child per decade", "A child for each decade in the base."),
    "per_genre": ChildTemplate(
        "One child per top genre", "A child for each of the base's 5 most common genres."
    ),
}
TOP_GENRES = 5


def _condition(field: str, op: str, value, **extra) -> dict:
    return {"kind": "condition", "field": field, "op": op, "value": value, **extra}


def _all(*conditions: dict, match: str = "all") -> dict:
    return {"kind": "group", "match": match, "rules": list(conditions)}


def _single(base: BasePlaylist, key: str) -> list[ChildPlaylist]:
    name = TEMPLATES[key].label
    if key == "top_30_days":
        rules = _all(_condition("plays", "gte", 1, mod="30"))
        return [
            ChildPlaylist.objects.create(
                base=base, name=name, rules=rules, order=Order.MOST_PLAYED_30D, limit=50
            )
        ]
    if key == "not_played_in_a_year":
        rules = _all(_condition("last_played", "within", 365), match="none")
        return [
            ChildPlaylist.objects.create(
                base=base, name=name, rules=rules, order=Order.LEAST_RECENT
            )
        ]
    rules = _all(_condition("plays", "gte", 3, mod="7"))
    return [
        ChildPlaylist.objects.create(base=base, name=name, rules=rules, order=Order.MOST_PLAYED)
    ]


def _per_decade(base: BasePlaylist) -> list[ChildPlaylist]:
    content = load_base(base_source(base), base.user)
    decades = sorted({facts.year // 10 * 10 for facts in content.facts.values() if facts.year})
    return [
        ChildPlaylist.objects.create(
            base=base,
            name=f"{base.name[:80]}: {decade}s",
            rules=_all(_condition("decade", "is", decade, mod="original")),
            order=Order.YEAR_OLDEST,
        )
        for decade in decades
    ]


def _per_genre(base: BasePlaylist) -> list[ChildPlaylist]:
    content = load_base(base_source(base), base.user)
    counts = Counter(genre for facts in content.facts.values() for genre in facts.genres)
    return [
        ChildPlaylist.objects.create(
            base=base,
            name=f"{base.name[:80]}: {genre}"[:100],
            rules=_all(_condition("genre", "is", genre, mod="musicbrainz")),
        )
        for genre, _ in counts.most_common(TOP_GENRES)
    ]


def create_from_template(base: BasePlaylist, key: str) -> list[ChildPlaylist]:
    """The children `key` makes on `base` (none when the base has no decades or genres yet).
    The caller holds the base's lock."""
    if key not in TEMPLATES:
        raise KeyError(key)
    if key == "per_decade":
        return _per_decade(base)
    if key == "per_genre":
        return _per_genre(base)
    return _single(base, key)
