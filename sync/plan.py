"""The fewest Spotify write calls that turn what a playlist holds into what it should hold.

Operations (each one call, JSON-able so a run can checkpoint them):

    {"op": "remove", "uris": [...]}                       DELETE …/items (≤100; EVERY occurrence)
    {"op": "add", "uris": [...], "position": 12 | None}   POST …/items (≤100, one block)
    {"op": "move", "start": 3, "length": 2, "before": 9}  PUT …/items reorder (one block)
    {"op": "replace", "uris": [...]}                      PUT …/items (≤100; clears the rest)

The delta plan:
1. Remove every URI the playlist holds more often than it should. A DELETE takes *all* its
   occurrences, so a URI that must stay twice but is there three times goes, and comes back
   twice in step 3.
2. Of what is left (all of it wanted), keep the longest run already in the right relative order
   (a longest increasing subsequence) and move the rest, a contiguous block per call.
3. Insert the missing tracks where they belong: one call per contiguous gap (per 100).

A rebuild is one PUT of the first 100 and a POST per further 100: every track it writes gets
a new `added_at`. So the person's write mode decides, never the call count alone:

    "delta"     Minimal changes: never rebuilds; every surviving track keeps its added date
                (the one exception Spotify forces: a URI held more often than wanted is
                removed and re-added, see step 1 — `summary()` counts those).
    "rebuild"   Always rebuilds.
    "cheapest"  The delta unless a rebuild is strictly cheaper (a shuffled child gaining 300
                scattered tracks); its label says added dates may reset.

`apply()` simulates an operation; tests and the engine check every plan with it.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict, deque

CHUNK = 100


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def apply(state: list[str], op: dict) -> list[str]:
    """What `op` does to a playlist holding `state`, as Spotify does it."""
    kind = op["op"]
    if kind == "remove":
        gone = set(op["uris"])
        return [uri for uri in state if uri not in gone]
    if kind == "add":
        position = op.get("position")
        if position is None:
            return [*state, *op["uris"]]
        return [*state[:position], *op["uris"], *state[position:]]
    if kind == "move":
        start, length, before = op["start"], op["length"], op["before"]
        block = state[start : start + length]
        rest = state[:start] + state[start + length :]
        # `before` counts positions in the list as it was before the move.
        at = before if before <= start else before - length
        return [*rest[:at], *block, *rest[at:]]
    if kind == "replace":
        return list(op["uris"])
    raise ValueError(f"unknown op {kind}")


def apply_all(state: list[str], ops: list[dict]) -> list[str]:
    for op in ops:
        state = apply(state, op)
    return state


def rebuild(desired: list[str]) -> list[dict]:
    ops = [{"op": "replace", "uris": list(desired[:CHUNK])}]
    ops += [
        {"op": "add", "uris": list(batch), "position": None} for batch in chunks(desired[CHUNK:])
    ]
    return ops


def rebuild_cost(desired: list[str]) -> int:
    return max(1, math.ceil(len(desired) / CHUNK))


def _longest_increasing(ranks: list[int]) -> set[int]:
    """Indices of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []  # rank at the end of the best run of each length
    tail_index: list[int] = []
    previous = [-1] * len(ranks)
    for index, rank in enumerate(ranks):
        slot = bisect_left(tails, rank)
        if slot == len(tails):
            tails.append(rank)
            tail_index.append(index)
        else:
            tails[slot] = rank
            tail_index[slot] = index
        previous[index] = tail_index[slot - 1] if slot else -1
    keep: set[int] = set()
    index = tail_index[-1] if tail_index else -1
    while index != -1:
        keep.add(index)
        index = previous[index]
    return keep


def delta(current: list[str], desired: list[str], *, give_up_after: int | None = None):
    """The delta plan, or None when it would take more than `give_up_after` calls."""
    have, want = Counter(current), Counter(desired)
    excess = [uri for uri in dict.fromkeys(current) if have[uri] > want[uri]]
    ops: list[dict] = [{"op": "remove", "uris": batch} for batch in chunks(excess)]
    gone = set(excess)
    state = [uri for uri in current if uri not in gone]

    # Match what is left to desired positions: the k-th occurrence of a URI to its k-th slot.
    slots: dict[str, deque[int]] = defaultdict(deque)
    for index, uri in enumerate(desired):
        slots[uri].append(index)
    ranks = [slots[uri].popleft() for uri in state]
    matched = set(ranks)

    keep = _longest_increasing(ranks)
    misplaced = [index for index in range(len(ranks)) if index not in keep]
    if misplaced:
        order = sorted(ranks)
        place = {rank: n for n, rank in enumerate(order)}  # rank → place among present ranks
        # Runs: neighbours in the playlist that are also neighbours in the wanted order move
        # together in one call.
        runs: list[list[int]] = []
        for index in misplaced:
            if (
                runs
                and runs[-1][-1] == index - 1
                and place[ranks[index]] == place[ranks[index - 1]] + 1
            ):
                runs[-1].append(index)
            else:
                runs.append([index])
        if give_up_after is not None and len(ops) + len(runs) > give_up_after:
            return None
        # Settle each run right after its predecessor in the wanted order, smallest first:
        # everything before it is then already in its final relative place.
        runs.sort(key=lambda run: ranks[run[0]])
        current_ranks = list(ranks)
        for run in runs:
            first_rank = ranks[run[0]]
            start = current_ranks.index(first_rank)
            length = len(run)
            before = 0
            if place[first_rank]:
                before = current_ranks.index(order[place[first_rank] - 1]) + 1
            if start <= before <= start + length:
                continue  # already where it belongs
            move = {"op": "move", "start": start, "length": length, "before": before}
            ops.append(move)
            current_ranks = apply(current_ranks, move)
            state = apply(state, move)

    # Insert the missing, gap by gap, in final positions (earlier gaps are filled first).
    gap: list[str] = []
    gap_start = 0
    adds: list[dict] = []

    def flush_gap():
        for offset, batch in enumerate(chunks(gap)):
            position = gap_start + offset * CHUNK
            adds.append({"op": "add", "uris": batch, "position": position})

    for index, uri in enumerate(desired):
        if index in matched:
            if gap:
                flush_gap()
                gap = []
            continue
        if not gap:
            gap_start = index
        gap.append(uri)
    if gap:
        flush_gap()
    length = len(state)
    for op in adds:
        if op["position"] == length:
            op["position"] = None  # appending: the plainest request there is
        length += len(op["uris"])
    ops += adds
    if give_up_after is not None and len(ops) > give_up_after:
        return None
    return ops


MODES = ("delta", "rebuild", "cheapest")


def plan(current: list[str], desired: list[str], *, mode: str = "delta") -> list[dict]:
    """The plan the write mode asks for (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"unknown write mode {mode}")
    if current == desired:
        return []
    if mode == "rebuild":
        return rebuild(desired)
    if mode == "delta":
        return delta(current, desired)
    ops = delta(current, desired, give_up_after=rebuild_cost(desired))
    return rebuild(desired) if ops is None else ops


def unordered(current: list[str], desired: list[str]) -> list[dict]:
    """Removes and appends only, no positions: for a playlist holding items without a URI
    (unavailable tracks still take a position on Spotify, so a positioned write would land in
    the wrong place). Keeps every surviving track's added date; the order may differ from
    `desired` — the result is `apply_all(current, ops)`."""
    have, want = Counter(current), Counter(desired)
    excess = [uri for uri in dict.fromkeys(current) if have[uri] > want[uri]]
    ops: list[dict] = [{"op": "remove", "uris": batch} for batch in chunks(excess)]
    gone = set(excess)
    left = Counter(uri for uri in current if uri not in gone)
    missing = []
    for uri in desired:
        if left[uri]:
            left[uri] -= 1
        else:
            missing.append(uri)
    ops += [{"op": "add", "uris": batch, "position": None} for batch in chunks(missing)]
    return ops


def summary(current: list[str], ops: list[dict]) -> dict:
    """What a plan writes, for the preview and the run's report: calls, tracks added and
    removed, move calls, whether it rebuilds, and how many tracks that stay lose their added
    date (a rebuild: all of them; a delta: only URIs removed for being held too often)."""
    after = apply_all(current, ops)
    stay = Counter(current) & Counter(after)
    rebuilds = any(op["op"] == "replace" for op in ops)
    if rebuilds:
        reset = sum(stay.values())
    else:
        removed = {uri for op in ops if op["op"] == "remove" for uri in op["uris"]}
        reset = sum(count for uri, count in stay.items() if uri in removed)
    kept = sum(stay.values())
    return {
        "calls": len(ops),
        "added": len(after) - kept,
        "removed": len(current) - kept,
        "moves": sum(1 for op in ops if op["op"] == "move"),
        "rebuild": rebuilds,
        "dates_reset": reset,
        "dates_kept": kept - reset,
    }
