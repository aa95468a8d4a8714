"""Sync against the sandbox Spotify: a cold sync of a 5,000-track base with 10 children, an
unchanged re-sync, 100 changed base tracks, 10,000 tracks by 20 children for memory, and the
seed design's wipe-and-replace sync as a baseline. The engine is called as a shell would:
`sync.engine.sync_base(base)`.
"""

from __future__ import annotations

import math

from bench import harness
from bench.harness import Outcome, Stopwatch, scenario

BASE_ITEMS = 5_000
CHILDREN = 10
CHANGED = 100
BIG_ITEMS = 10_000
BIG_CHILDREN = 20
MEMORY_LIMIT_MB = 200

_state: dict = {}


def _rules(index: int) -> tuple[dict, dict]:
    """A varied child: (rules, settings). Album years, since the sandbox has no MusicBrainz."""

    def cond(field, op, value, **extra):
        return {"kind": "condition", "field": field, "op": op, "value": value, **extra}

    def group(match, *rules):
        return {"kind": "group", "match": match, "rules": list(rules)}

    recipes = [
        (group("all", cond("year", "gte", 2010, mod="album")), {}),
        (group("all", cond("decade", "is", 1990, mod="album")), {}),
        (group("all", cond("explicit", "is", True)), {"order": "added_newest"}),
        (group("none", cond("explicit", "is", True)), {}),
        (group("all", cond("duration", "lt", 180)), {"order": "year_oldest"}),
        (group("any", cond("isrc_country", "is", "GB"), cond("isrc_country", "is", "SE")), {}),
        (group("all", cond("title", "contains", "heart")), {}),
        (
            group(
                "all",
                cond("year", "lt", 2000, mod="album"),
                group("none", cond("explicit", "is", True)),
            ),
            {"one_per_artist": True},
        ),
        (group("all", cond("duration", "gt", 240)), {"limit": 500}),
        (group("all"), {"dedupe": False}),
    ]
    return recipes[index % len(recipes)]


def _setup(owner_name: str, items: int, children: int, catalog: int):
    from bench.scenarios.common import connect, sandbox_user
    from sandbox.spotify.seed import seed_playlist
    from sync.models import BasePlaylist, ChildPlaylist

    owner = sandbox_user(owner_name)
    playlist = seed_playlist(owner, items=items, tracks=catalog, name=f"Base {items}")
    user = connect(owner)
    base = BasePlaylist.objects.create(
        user=user, spotify_id=playlist.spotify_id, name=playlist.name
    )
    for index in range(children):
        rules, settings = _rules(index)
        ChildPlaylist.objects.create(base=base, name=f"Child {index + 1}", rules=rules, **settings)
    return owner, playlist, base


def _sandbox_content(spotify_id: str) -> list[str]:
    from sandbox.spotify.models import PlaylistItem

    return list(
        PlaylistItem.objects.filter(playlist__spotify_id=spotify_id)
        .order_by("position")
        .values_list("uri", flat=True)
    )


def _children_correct(base) -> bool:
    from sync.preview import wanted_uris

    wrong = []
    for child in base.children.all():
        have, want = _sandbox_content(child.spotify_id), wanted_uris(child)
        if have != want:
            first = next(
                (i for i, (a, b) in enumerate(zip(have, want, strict=False)) if a != b), None
            )
            wrong.append(f"{child.name} ({len(have)} vs {len(want)}, first difference {first})")
    if wrong:
        print(f"  children whose content is not what the rules want: {wrong}", flush=True)
    return not wrong


@scenario("sync_cold")
def cold_5k_10_children(server) -> Outcome:
    from sync.engine import sync_base

    owner, playlist, base = _setup("bench-sync", BASE_ITEMS, CHILDREN, BASE_ITEMS + 500)
    with Stopwatch() as watch:
        event, result = sync_base(base)
    sizes = [report.size for report in result.children.values()]
    minimum = math.ceil(BASE_ITEMS / 50) + sum(1 + math.ceil(size / 100) for size in sizes)
    _state.update(owner=owner, playlist=playlist, base=base)
    ok = event.status == "completed" and result.calls <= 1.05 * minimum and _children_correct(base)
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=minimum,
        ok=ok,
        rows=BASE_ITEMS,
        wall_s=watch.seconds,
        notes=f"{result.calls / minimum:.3f}× minimum; children {sizes}",
        extra={"calls_by_endpoint": result.calls_by_endpoint},
    )


@scenario("sync_unchanged")
def unchanged_resync(server) -> Outcome:
    from sync.engine import sync_base

    base = _state["base"]
    with Stopwatch() as watch:
        event, result = sync_base(base)
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=1,
        ok=event.status == "completed" and result.calls == 1,
        wall_s=watch.seconds,
        notes=str(result.calls_by_endpoint),
    )


def _least_writes(old: list[str], new: list[str], mode: str = "cheapest") -> int:
    """The fewest writes the API allows when nothing needs reordering, in the child's write
    mode: one DELETE per 100 URIs that must go (a DELETE takes every occurrence) and one POST
    per contiguous run of arriving tracks (per 100) for *Minimal changes*, which never
    rebuilds (it keeps added dates); a rebuild (one call per 100) for *Rebuild*; whichever is
    fewer for *Fewest calls*."""
    from collections import Counter

    from sync.models import WriteMode

    if old == new:
        return 0
    have, want = Counter(old), Counter(new)
    must_go = {uri for uri in have if have[uri] > want[uri]}
    delta = math.ceil(len(must_go) / 100) + sum(math.ceil(run / 100) for run in _gaps(old, new))
    rebuild = max(1, math.ceil(len(new) / 100))
    if mode == WriteMode.DELTA:
        return delta
    if mode == WriteMode.REBUILD:
        return rebuild
    return min(delta, rebuild)


def _gaps(old: list[str], new: list[str]) -> list[int]:
    """Lengths of the runs of `new` that are not kept from `old` (matched in order, the k-th
    occurrence of a URI to its k-th), after every over-represented URI went."""
    from collections import Counter, defaultdict, deque

    have, want = Counter(old), Counter(new)
    must_go = {uri for uri in have if have[uri] > want[uri]}
    slots = defaultdict(deque)
    for index, uri in enumerate(new):
        slots[uri].append(index)
    kept = {slots[uri].popleft() for uri in old if uri not in must_go}
    runs, run = [], 0
    for index in range(len(new)):
        if index in kept:
            if run:
                runs.append(run)
            run = 0
        else:
            run += 1
    return [*runs, run] if run else runs


@scenario("sync_100_changes")
def changed_100(server) -> Outcome:
    from sandbox.spotify import ops
    from sandbox.spotify.models import Playlist, PlaylistItem, Track
    from sync.engine import sync_base
    from sync.models import ChildPlaylist

    playlist = Playlist.objects.get(pk=_state["playlist"].pk)
    base = _state["base"]
    before = {child.pk: list(child.synced_uris) for child in base.children.all()}
    # 100 tracks swapped: 50 distinct tracks removed (every occurrence), 100 new ones added.
    present = list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("uri", flat=True)
    )
    gone = list(dict.fromkeys(present[1000:]))[: CHANGED // 2]
    used = PlaylistItem.objects.filter(playlist=playlist).values("track_id")
    new = list(Track.objects.exclude(pk__in=used).order_by("pk")[:CHANGED])
    ops.remove_items(playlist, gone)
    playlist.refresh_from_db()
    ops.add_items(playlist, playlist.owner, new, None)
    items = PlaylistItem.objects.filter(playlist=playlist).count()

    with Stopwatch() as watch:
        event, result = sync_base(base)

    minimal_writes = sum(
        _least_writes(before[child.pk], child.synced_uris, child.write_mode)
        for child in ChildPlaylist.objects.filter(base=base)
    )
    reads = 1 + math.ceil(items / 50)
    checks = result.calls_by_endpoint.get("GET /me/playlists", 0) + max(
        0, result.calls_by_endpoint.get("GET /playlists/{id}", 0) - 1
    )
    writes = sum(
        count
        for endpoint, count in result.calls_by_endpoint.items()
        if not endpoint.startswith("GET")
    )
    ok = event.status == "completed" and writes == minimal_writes and _children_correct(base)
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=reads + minimal_writes,
        ok=ok,
        wall_s=watch.seconds,
        notes=(
            f"base reads {reads} + writes {writes} (minimal {minimal_writes}) + child checks "
            f"{checks}"
        ),
        extra={"calls_by_endpoint": result.calls_by_endpoint},
    )


def _rss_mb() -> float:
    from pathlib import Path

    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@scenario("sync_memory_10k_20_children")
def memory_10k_20_children(server) -> Outcome:
    from sync.engine import sync_base

    _, _, base = _setup("bench-sync-big", BIG_ITEMS, BIG_CHILDREN, BIG_ITEMS)
    harness.reset_peak_rss()
    at_start = _rss_mb()
    with Stopwatch() as watch:
        event, result = sync_base(base)
    peak = harness.peak_rss_mb()
    sizes = [report.size for report in result.children.values()]
    minimum = math.ceil(BIG_ITEMS / 50) + sum(1 + math.ceil(size / 100) for size in sizes)
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=minimum,
        ok=event.status == "completed" and peak < MEMORY_LIMIT_MB,
        rows=BIG_ITEMS,
        wall_s=watch.seconds,
        notes=(
            f"peak RSS {peak:.0f} MB during the sync (limit {MEMORY_LIMIT_MB}); the process "
            f"held {at_start:.0f} MB before it started"
        ),
    )


@scenario("baseline_sync_wipe_and_replace")
def wipe_and_replace(server) -> Outcome:
    """The seed design: read the whole base, look up every track (one call each in development
    mode, where batch reads are gone), then replace every child's content wholesale."""
    from bench.scenarios.common import calls, connect, sandbox_user
    from spotify.client import SpotifyClient
    from spotify.models import Purpose
    from sync.engine import sync_base

    owner = sandbox_user("bench-sync")
    base = _state.get("base")
    if base is None:
        _, _, base = _setup("bench-sync", BASE_ITEMS, CHILDREN, BASE_ITEMS + 500)
        sync_base(base)
    client = SpotifyClient(connect(owner), purpose=Purpose.SYNC, job_id="baseline-sync")
    children = list(base.children.exclude(spotify_id=""))
    with Stopwatch() as watch:
        uris = [
            item.track.uri
            for page in client.playlist_items(base.spotify_id)
            for item in page.items
            if item.track
        ]
        for uri in dict.fromkeys(uris):
            client.track(uri.rsplit(":", 1)[-1])
        for child in children:
            client.replace_items(child.spotify_id, list(child.synced_uris))
    sizes = [len(child.synced_uris) for child in children]
    tunekeeper_minimum = math.ceil(BASE_ITEMS / 50) + sum(1 + math.ceil(n / 100) for n in sizes)
    return Outcome(
        spotify_calls=calls("baseline-sync"),
        minimum_calls=tunekeeper_minimum,
        ok=_children_correct(base),
        wall_s=watch.seconds,
        notes="baseline: re-read everything, look up each track, replace every child",
    )


QUOTA_ITEMS = 5_716  # the base of the issue that never finished under a quota
QUOTA_WINDOW = 60  # calls per quota window: about half of one read of that base
QUOTA_CHILDREN = 3


@scenario("sync_under_quota")
def sync_under_quota(server) -> Outcome:
    """A sync whose base read is larger than one quota window: it pauses, and each new
    window goes on from the checkpointed page (no page is read twice). Compared with a clean
    sync of an identical base and children."""
    from bench.scenarios.common import calls
    from sandbox.spotify import faults
    from spotify import state
    from sync.engine import run_sync, sync_base
    from sync.models import SyncEvent

    catalog = QUOTA_ITEMS + 500
    _, _, clean_base = _setup("bench-quota-clean", QUOTA_ITEMS, QUOTA_CHILDREN, catalog)
    _, _, base = _setup("bench-quota", QUOTA_ITEMS, QUOTA_CHILDREN, catalog)
    clean_event, _ = sync_base(clean_base)
    clean = calls(clean_event.ledger_job_id)

    def new_window(number: int) -> None:
        # A new `seed` is a new generation in the sandbox server: its quota count restarts,
        # as on Spotify's next day. Our own pause is lifted as the resume sweep would.
        faults.configure(daily_quota=QUOTA_WINDOW, quota_retry_after=3600, seed=number)
        state.clear_pause()

    windows = 1
    new_window(windows)
    try:
        with Stopwatch() as watch:
            event, _ = sync_base(base)
            while event.status == "paused" and windows < 50:
                windows += 1
                new_window(windows)
                SyncEvent.objects.filter(pk=event.pk).update(status="queued")
                event.refresh_from_db()
                event.claim()
                run_sync(event)
                event.refresh_from_db()
    finally:
        faults.reset()
        state.clear_pause()
    spent = calls(event.ledger_job_id)
    ok = (
        event.status == "completed"
        and windows > 1
        and spent <= 1.1 * clean
        and _children_correct(base)
    )
    return Outcome(
        spotify_calls=spent,
        minimum_calls=clean,
        ok=ok,
        rows=QUOTA_ITEMS,
        wall_s=watch.seconds,
        notes=(
            f"{spent / clean:.3f}× the clean run's {clean} calls over {windows} quota windows "
            f"of {QUOTA_WINDOW} calls (limit 1.1×)"
        ),
    )


LIKED_SONGS = 10_000
LIKED_CHILDREN = 5


@scenario("sync_liked_10k_cold")
def liked_10k_cold(server) -> Outcome:
    """A 10,000-song Liked Songs base with 5 children, synced cold: Liked Songs read once (50 a
    page), then each child created and filled (100 a call)."""
    from bench.scenarios.common import connect, sandbox_user
    from sandbox.spotify.seed import seed_library
    from sync.engine import sync_base
    from sync.models import LIKED_SONGS_ID, BasePlaylist, BaseSource, ChildPlaylist

    owner = sandbox_user("bench-liked")
    seed_library(
        owner, tracks=LIKED_SONGS + 500, playlists=[], liked=LIKED_SONGS, saved_albums=0,
        followed_artists=0, plays=0,
    )  # fmt: skip
    user = connect(owner)
    base = BasePlaylist.objects.create(
        user=user, spotify_id=LIKED_SONGS_ID, source=BaseSource.LIKED, name="Liked Songs"
    )
    for index in range(LIKED_CHILDREN):
        rules, settings = _rules(index)
        ChildPlaylist.objects.create(base=base, name=f"Liked {index + 1}", rules=rules, **settings)
    with Stopwatch() as watch:
        event, result = sync_base(base)
    sizes = [report.size for report in result.children.values()]
    minimum = math.ceil(LIKED_SONGS / 50) + sum(1 + math.ceil(size / 100) for size in sizes)
    _state["liked_base"] = base
    ok = event.status == "completed" and result.calls <= 1.05 * minimum and _children_correct(base)
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=minimum,
        ok=ok,
        rows=LIKED_SONGS,
        wall_s=watch.seconds,
        notes=f"{result.calls / minimum:.3f}× minimum; children {sizes}",
        extra={"calls_by_endpoint": result.calls_by_endpoint},
    )


@scenario("sync_liked_unchanged")
def liked_unchanged(server) -> Outcome:
    from sync.engine import sync_base

    base = _state["liked_base"]
    with Stopwatch() as watch:
        event, result = sync_base(base)
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=1,
        ok=event.status == "completed" and result.calls == 1 and _children_correct(base),
        wall_s=watch.seconds,
        notes=str(result.calls_by_endpoint),
    )
