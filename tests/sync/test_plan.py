"""The write planner: every plan turns what a playlist holds into what it should hold, within
Spotify's limits, in no more calls than a rebuild — and in the obvious cases, in the minimum."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.plan import CHUNK, apply, apply_all, delta, plan, rebuild, summary, unordered

uris = st.lists(st.sampled_from([f"spotify:track:{n}" for n in range(40)]), max_size=60)


@settings(max_examples=500, deadline=None)
@given(uris, uris, st.sampled_from(["delta", "rebuild", "cheapest"]))
def test_every_plan_arrives_at_the_wanted_list_within_the_limits(current, desired, mode):
    ops = plan(current, desired, mode=mode)
    assert apply_all(current, ops) == desired
    assert all(len(op.get("uris", [])) <= CHUNK for op in ops)
    if mode == "cheapest":
        assert len(ops) <= max(1, math.ceil(len(desired) / CHUNK))  # never worse than a rebuild
    if mode == "delta":
        assert not [op for op in ops if op["op"] == "replace"]  # Minimal never rebuilds
        writes = summary(current, ops)
        # Only a URI held more often than wanted loses its date (a DELETE takes every copy).
        too_many = {uri for uri in current if current.count(uri) > desired.count(uri)}
        assert writes["dates_reset"] == sum(
            min(current.count(u), desired.count(u)) for u in too_many
        )
    if current == desired:
        assert ops == []


@settings(max_examples=300, deadline=None)
@given(uris, uris)
def test_the_unordered_plan_keeps_every_date_and_holds_the_wanted_tracks(current, desired):
    ops = unordered(current, desired)
    assert all(op["op"] in ("remove", "add") and op.get("position") is None for op in ops)
    assert sorted(apply_all(current, ops)) == sorted(desired)


@settings(max_examples=300, deadline=None)
@given(uris, uris)
def test_the_delta_alone_is_always_correct(current, desired):
    assert apply_all(current, delta(current, desired)) == desired


def track(n: int) -> str:
    return f"spotify:track:{n}"


def test_new_tracks_at_the_end_cost_one_post_per_100_without_a_position():
    current = [track(n) for n in range(500)]
    desired = current + [track(n) for n in range(500, 750)]
    ops = plan(current, desired)
    assert [op["op"] for op in ops] == ["add"] * 3
    assert all(op["position"] is None for op in ops)


def test_removed_tracks_cost_one_delete_per_100():
    current = [track(n) for n in range(500)]
    desired = [uri for n, uri in enumerate(current) if n % 4]
    ops = plan(current, desired)
    assert [op["op"] for op in ops] == ["remove"] * 2


def test_new_tracks_at_the_top_go_in_one_block_at_position_0():
    current = [track(n) for n in range(100)]
    desired = [track(n) for n in range(100, 130)] + current
    assert plan(current, desired) == [{"op": "add", "uris": desired[:30], "position": 0}]


def test_a_track_moved_is_one_reorder():
    current = [track(n) for n in range(300)]
    desired = current[:10] + current[11:200] + [current[10]] + current[200:]
    ops = plan(current, desired)
    assert ops == [{"op": "move", "start": 10, "length": 1, "before": 200}]  # before the list moved
    assert apply(current, ops[0]) == desired


def test_a_uri_that_must_stay_twice_but_is_there_three_times_goes_and_comes_back_twice():
    current = [track(1), track(2), track(1), track(3), track(1)]
    desired = [track(1), track(2), track(3), track(1)]
    ops = delta(current, desired)  # (Fewest calls would rebuild a list this short)
    assert ops[0] == {"op": "remove", "uris": [track(1)]}  # a DELETE takes every occurrence
    assert apply_all(current, ops) == desired


def test_scattered_inserts_rebuild_only_in_the_fewest_calls_mode():
    current = [track(n) for n in range(0, 400, 2)]
    desired = [track(n) for n in range(400)]  # 200 gaps of one track each
    ops = plan(current, desired, mode="cheapest")
    assert ops == rebuild(desired)
    assert len(ops) == 4
    assert summary(current, ops)["dates_reset"] == 200

    minimal = plan(current, desired, mode="delta")
    assert [op["op"] for op in minimal] == ["add"] * 200  # dearer, and says what it promised
    assert summary(current, minimal) == {
        "calls": 200,
        "added": 200,
        "removed": 0,
        "moves": 0,
        "rebuild": False,
        "dates_reset": 0,
        "dates_kept": 200,
    }


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        plan([track(1)], [track(2)], mode="fastest")


def test_a_rebuild_is_one_put_then_posts():
    desired = [track(n) for n in range(250)]
    ops = rebuild(desired)
    assert [op["op"] for op in ops] == ["replace", "add", "add"]
    assert apply_all([track(999)], ops) == desired
    assert rebuild([]) == [{"op": "replace", "uris": []}]
