"""From a base's content and a child's settings to the exact list of URIs the child should hold.

Steps, in order: the rules; blocked tracks out (when the child skips them); duplicates out
(when the child dedupes: the first occurrence stays); the order; at most one track per primary
artist; the limit. Pure functions over `BaseContent`: the preview and the engine share them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from enforcement import blocklist
from sync import rules
from sync.facts import BaseContent, HistoryNeeds, Occurrence
from sync.models import HISTORY_ORDERS, Order
from sync.rules import TrackFacts, compile_rules, conditions_in


def blocked_track_ids(user) -> set[str]:
    """Tracks the user's blocklist (enforcement) keeps out."""
    return set(blocklist.blocked_track_ids(user))


def playlists_referenced(trees) -> set[str]:
    return {
        cond["value"]
        for tree in trees
        for cond in conditions_in(tree)
        if cond["field"] == "in_playlist"
    }


@dataclass
class Selection:
    matched: set[str] = field(default_factory=set)  # distinct tracks the rules accept
    blocked: int = 0  # matched, but kept out by the blocklist
    occurrences: list[Occurrence] = field(default_factory=list)  # the child, in order

    @property
    def uris(self) -> list[str]:
        return [f"spotify:track:{occurrence.track_id}" for occurrence in self.occurrences]


def _shuffle_key(seed: str, occurrence: Occurrence, index: int) -> bytes:
    # A track keeps its place relative to the others however the base changes around it.
    text = f"{seed}:{occurrence.track_id}:{index}"
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def _sort(occurrences: list[Occurrence], facts: dict[str, TrackFacts], child) -> list:
    order = child.order
    if order == Order.BASE:
        return occurrences
    if order in (Order.ADDED_NEWEST, Order.ADDED_OLDEST):
        dated = [o for o in occurrences if o.added_at is not None]
        undated = [o for o in occurrences if o.added_at is None]
        # Stable (reverse=True too): equal dates keep the base order.
        dated.sort(key=lambda o: o.added_at, reverse=order == Order.ADDED_NEWEST)
        return dated + undated
    if order in (Order.YEAR_OLDEST, Order.YEAR_NEWEST):
        known = [o for o in occurrences if facts[o.track_id].year]
        unknown = [o for o in occurrences if not facts[o.track_id].year]
        known.sort(
            key=lambda o: facts[o.track_id].year,  # stable: base order among equal years
            reverse=order == Order.YEAR_NEWEST,
        )
        return known + unknown
    if order in (Order.MOST_PLAYED, Order.MOST_PLAYED_30D):

        def plays(o):
            f = facts[o.track_id]
            return f.plays if order == Order.MOST_PLAYED else (f.play_windows or {}).get(30, 0)

        return sorted(occurrences, key=plays, reverse=True)  # stable: base order among equals
    if order in (Order.LAST_PLAYED, Order.LEAST_RECENT):
        played = [o for o in occurrences if facts[o.track_id].last_played_at]
        never = [o for o in occurrences if not facts[o.track_id].last_played_at]
        played.sort(
            key=lambda o: facts[o.track_id].last_played_at, reverse=order == Order.LAST_PLAYED
        )
        return played + never if order == Order.LAST_PLAYED else never + played
    seen: dict[str, int] = {}
    keyed = []
    for occurrence in occurrences:
        index = seen.get(occurrence.track_id, 0)
        seen[occurrence.track_id] = index + 1
        keyed.append((_shuffle_key(child.shuffle_seed, occurrence, index), occurrence))
    keyed.sort(key=lambda pair: pair[0])
    return [occurrence for _, occurrence in keyed]


def select(
    content: BaseContent,
    child,
    tree: dict,
    *,
    now: datetime,
    blocked: set[str] | frozenset = frozenset(),
    predicate: Callable[[TrackFacts], bool] | None = None,
) -> Selection:
    """What `child` should hold, given its (normalised) rules `tree`."""
    predicate = predicate or compile_rules(tree, now=now)
    selection = Selection()
    selection.matched = {tid for tid, facts in content.facts.items() if predicate(facts)}
    allowed = selection.matched
    if child.skip_blocked and blocked:
        allowed = selection.matched - blocked
        selection.blocked = len(selection.matched) - len(allowed)
    occurrences = [o for o in content.sequence if o.track_id in allowed]
    if child.dedupe:
        first: dict[str, Occurrence] = {}
        for occurrence in occurrences:
            first.setdefault(occurrence.track_id, occurrence)
        occurrences = list(first.values())
    occurrences = _sort(occurrences, content.facts, child)
    if child.one_per_artist:
        seen_artists: set[str] = set()
        kept = []
        for occurrence in occurrences:
            artist = content.facts[occurrence.track_id].primary_artist
            if artist and artist in seen_artists:
                continue
            seen_artists.add(artist)
            kept.append(occurrence)
        occurrences = kept
    if child.limit:
        occurrences = occurrences[: child.limit]
    selection.occurrences = occurrences
    return selection


def history_needs(trees, children, *, now: datetime) -> HistoryNeeds | None:
    """What the children's rules and orders read from the listening archive; None: nothing."""
    used, windows, skips, dates = rules.history_needs(trees)
    for child in children:
        if child.order in HISTORY_ORDERS:
            used = True
            if HISTORY_ORDERS[child.order]:
                windows.add(HISTORY_ORDERS[child.order])
            dates = dates or child.order in (Order.LAST_PLAYED, Order.LEAST_RECENT)
    if not used:
        return None
    return HistoryNeeds(windows=frozenset(windows), skips=skips, dates=dates, now=now)
