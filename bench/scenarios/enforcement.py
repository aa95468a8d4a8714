"""Enforcement against the sandbox with its 30-second rate window on: 10,000 actions (6,000 liked
songs, 3,000 items across 40 playlists, 500 albums, 500 artists), then the rollback."""

from __future__ import annotations

from bench.harness import Outcome, scenario
from bench.worlds.enforcement import BENCH_PACE, BENCH_RATE_LIMIT

_run: dict = {}


def _result() -> dict:
    if not _run:
        from bench.worlds.enforcement import run_10k

        _run.update(run_10k())
    return _run


@scenario("enforce_10k")
def enforce_10k(server) -> Outcome:
    result = _result()
    ok = (
        result["planned_as_seeded"]
        and result["after_as_planned"]
        and result["calls"] == result["minimum_calls"]
        and result["ratio_to_pace"] <= 1.1
        and result["duplicate_writes"] == 0
    )
    return Outcome(
        spotify_calls=result["calls"],
        minimum_calls=result["minimum_calls"],
        ok=ok,
        rows=result["actions"],
        wall_s=result["execute_seconds"],
        notes=(
            f"{result['ratio_to_pace']}x the time the pace allows ({BENCH_PACE} calls/s, "
            f"sandbox window {BENCH_RATE_LIMIT}/30 s); {result['rate_limited_answers']} 429s"
        ),
        extra=result,
    )


@scenario("rollback_10k")
def rollback_10k(server) -> Outcome:
    result = _result()
    return Outcome(
        spotify_calls=result["rollback_calls"],
        minimum_calls=result["rollback_minimum_calls"],
        ok=result["restored_equal"] and result["duplicate_writes"] == 0,
        rows=result["actions"],
        wall_s=result["rollback_seconds"],
        notes="ok: the library equals the original (sets and playlist order)",
    )
