"""A sandbox library with known blocked content, and the enforcement benchmark built on it.

`seed_world(owner, ...)` fills a sandbox user's library (liked songs, saved albums, followed
artists, playlists) with content by a set of "blocked" artists and clean content, so the exact
plan is known in advance. `library_state(owner)` reads the sandbox library back for comparisons
(sets, and every playlist's order). Tests and the benchmark share them.

    python -m bench.worlds.enforcement     # the 10,000-action run against a rate-limited sandbox

The benchmark starts the sandbox in its own gunicorn process with a rolling 30-second window
(SANDBOX_FAULTS rate_limit), paces Tunekeeper at SPOTIFY_CALLS_PER_SECOND under it, and reports
calls against the chunk minimum, time against what the pace allows (calls / rate), and whether a
rollback restored the library exactly (sets, playlist order).
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction

from core import clock

LIBRARY_CHUNK = 40
PLAYLIST_CHUNK = 100


@dataclass
class World:
    blocked_artists: list[str]  # Spotify ids
    liked_blocked: set[str] = field(default_factory=set)  # track URIs
    albums_blocked: set[str] = field(default_factory=set)  # album URIs
    followed_blocked: set[str] = field(default_factory=set)  # artist URIs
    # playlist Spotify id → unique blocked URIs in it
    playlist_blocked: dict[str, set[str]] = field(default_factory=dict)

    @property
    def actions(self) -> int:
        return (
            len(self.liked_blocked)
            + len(self.albums_blocked)
            + len(self.followed_blocked)
            + sum(len(uris) for uris in self.playlist_blocked.values())
        )

    @property
    def minimum_calls(self) -> int:
        library = len(self.liked_blocked) + len(self.albums_blocked) + len(self.followed_blocked)
        return math.ceil(library / LIBRARY_CHUNK) + sum(
            math.ceil(len(uris) / PLAYLIST_CHUNK) for uris in self.playlist_blocked.values()
        )


def _tracks_by_primary_artist():
    from sandbox.spotify.models import TrackArtist

    by_artist: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for artist_id, track_id, spotify_id in TrackArtist.objects.filter(
        position=0, role=TrackArtist.Role.PRIMARY
    ).values_list("artist_id", "track_id", "track__spotify_id"):
        by_artist[artist_id].append((track_id, spotify_id))
    return by_artist


def seed_world(
    owner,
    *,
    tracks: int = 3000,
    blocked_artists: int = 20,
    liked_blocked: int = 200,
    liked_clean: int = 60,
    albums_blocked: int = 20,
    albums_clean: int = 10,
    followed_clean: int = 10,
    playlists: list[tuple[int, int]] | tuple = ((60, 30), (130, 20), (10, 40)),
    run_length: int = 5,
    duplicates: bool = True,
    collaborator=None,
    collaborative_every: int = 0,
    rng_seed: int = 7,
) -> World:
    """Fill `owner`'s sandbox library; `playlists` lists (blocked items, clean items) each.

    Blocked artists are those with the most primary tracks (so there are enough); clean tracks
    have no credit by a blocked artist at all. Blocked items sit in runs of `run_length` (people
    add whole albums), and with `duplicates` a blocked track appears twice in some playlists.
    """
    from sandbox.spotify.models import (
        Album,
        Artist,
        FollowedArtist,
        Playlist,
        PlaylistFollow,
        PlaylistItem,
        SavedAlbum,
        SavedTrack,
        Track,
        TrackArtist,
    )
    from sandbox.spotify.seed import build_catalog

    rng = random.Random(f"world:{rng_seed}:{owner.spotify_id}")
    build_catalog(tracks, rng_seed=rng_seed)
    by_artist = _tracks_by_primary_artist()
    ranked = sorted(by_artist, key=lambda pk: (-len(by_artist[pk]), pk))
    various = set(
        Album.objects.filter(album_type="compilation").values_list("artist_id", flat=True)
    )
    ranked = [pk for pk in ranked if pk not in various]
    blocked = ranked[:blocked_artists]
    blocked_set = set(blocked)
    tainted = set(
        TrackArtist.objects.filter(artist_id__in=blocked).values_list("track_id", flat=True)
    )
    blocked_tracks = [t for pk in blocked for t in by_artist[pk]]
    rng.shuffle(blocked_tracks)
    clean_tracks = [
        (pk, sid)
        for pk, sid in Track.objects.exclude(pk__in=tainted)
        .order_by("pk")
        .values_list("pk", "spotify_id")
    ]
    rng.shuffle(clean_tracks)
    needed = max(liked_blocked, max((b for b, _ in playlists), default=0))
    if len(blocked_tracks) < needed:
        raise ValueError(f"the catalog has {len(blocked_tracks)} blocked tracks, {needed} needed")

    artist_ids = dict(Artist.objects.values_list("pk", "spotify_id"))
    world = World(blocked_artists=[artist_ids[pk] for pk in blocked])
    now = clock.now().replace(microsecond=0)
    anchor = now - timedelta(days=2)

    def moment(index: int):
        return anchor - timedelta(minutes=index)

    with transaction.atomic():
        liked_rows = blocked_tracks[:liked_blocked] + clean_tracks[:liked_clean]
        rng.shuffle(liked_rows)
        SavedTrack.objects.bulk_create(
            [
                SavedTrack(user=owner, track_id=pk, added_at=moment(i))
                for i, (pk, _) in enumerate(liked_rows)
            ],
            batch_size=2000,
        )
        world.liked_blocked = {f"spotify:track:{sid}" for _, sid in blocked_tracks[:liked_blocked]}

        albums = list(
            Album.objects.exclude(album_type="compilation")
            .order_by("pk")
            .values_list("pk", "spotify_id", "artist_id")
        )
        rng.shuffle(albums)
        bad = [a for a in albums if a[2] in blocked_set][:albums_blocked]
        good = [a for a in albums if a[2] not in blocked_set][:albums_clean]
        if len(bad) < albums_blocked:
            raise ValueError(f"only {len(bad)} albums by blocked artists, {albums_blocked} needed")
        SavedAlbum.objects.bulk_create(
            [
                SavedAlbum(user=owner, album_id=pk, added_at=moment(i))
                for i, (pk, _, _) in enumerate(bad + good)
            ],
            batch_size=2000,
        )
        world.albums_blocked = {f"spotify:album:{sid}" for _, sid, _ in bad}

        clean_artists = [pk for pk in ranked[blocked_artists:] if pk not in blocked_set]
        followed = blocked + clean_artists[:followed_clean]
        FollowedArtist.objects.bulk_create(
            [
                FollowedArtist(user=owner, artist_id=pk, followed_at=moment(i))
                for i, pk in enumerate(followed)
            ],
            batch_size=2000,
        )
        world.followed_blocked = {f"spotify:artist:{artist_ids[pk]}" for pk in blocked}

        for number, (n_blocked, n_clean) in enumerate(playlists):
            collaborative = bool(
                collaborator and collaborative_every and number % collaborative_every == 0
            )
            spotify_id = "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(22)
            )
            playlist = Playlist.objects.create(
                spotify_id=spotify_id,
                owner=owner,
                name=f"Enforcement {number + 1}",
                public=not collaborative,
                collaborative=collaborative,
                version=3,
            )
            PlaylistFollow.objects.create(user=owner, playlist=playlist, followed_at=now)
            if collaborative:
                playlist.collaborators.set([collaborator])
                PlaylistFollow.objects.create(user=collaborator, playlist=playlist, followed_at=now)
            bad_tracks = rng.sample(blocked_tracks, n_blocked)
            good_tracks = rng.sample(clean_tracks, min(n_clean, len(clean_tracks)))
            # Runs of blocked tracks between clean ones.
            order: list[tuple[int, str]] = []
            bad_iter, good_iter = iter(bad_tracks), iter(good_tracks)
            remaining_bad, remaining_good = n_blocked, len(good_tracks)
            while remaining_bad or remaining_good:
                take = min(run_length, remaining_bad)
                for _ in range(take):
                    order.append(next(bad_iter))
                remaining_bad -= take
                if remaining_good:
                    order.append(next(good_iter))
                    remaining_good -= 1
            if duplicates and bad_tracks and len(order) > 3:
                order.insert(len(order) // 2, bad_tracks[0])  # the same blocked track twice
            PlaylistItem.objects.bulk_create(
                [
                    PlaylistItem(
                        playlist=playlist,
                        position=position,
                        uri=f"spotify:track:{sid}",
                        track_id=pk,
                        added_at=moment(position),
                        added_by=owner,
                    )
                    for position, (pk, sid) in enumerate(order)
                ],
                batch_size=2000,
            )
            world.playlist_blocked[spotify_id] = {f"spotify:track:{sid}" for _, sid in bad_tracks}
    return world


@dataclass
class LibraryState:
    liked: set[str]
    albums: set[str]
    artists: set[str]
    playlists: dict[str, list[str]]  # Spotify id → URIs in order


def library_state(owner) -> LibraryState:
    """What the sandbox holds for `owner` now."""
    from sandbox.spotify.models import (
        FollowedArtist,
        PlaylistItem,
        SavedAlbum,
        SavedTrack,
    )

    playlists: dict[str, list[str]] = defaultdict(list)
    for spotify_id, uri in (
        PlaylistItem.objects.filter(playlist__owner=owner)
        .order_by("playlist_id", "position")
        .values_list("playlist__spotify_id", "uri")
    ):
        playlists[spotify_id].append(uri)
    return LibraryState(
        liked={
            f"spotify:track:{sid}"
            for sid in SavedTrack.objects.filter(user=owner).values_list(
                "track__spotify_id", flat=True
            )
        },
        albums={
            f"spotify:album:{sid}"
            for sid in SavedAlbum.objects.filter(user=owner).values_list(
                "album__spotify_id", flat=True
            )
        },
        artists={
            f"spotify:artist:{sid}"
            for sid in FollowedArtist.objects.filter(user=owner).values_list(
                "artist__spotify_id", flat=True
            )
        },
        playlists=dict(playlists),
    )


def expected_after(before: LibraryState, world: World) -> LibraryState:
    """The library once every blocked thing is gone (all occurrences in playlists)."""
    playlists = {}
    for spotify_id, uris in before.playlists.items():
        gone = world.playlist_blocked.get(spotify_id, set())
        playlists[spotify_id] = [uri for uri in uris if uri not in gone]
    return LibraryState(
        liked=before.liked - world.liked_blocked,
        albums=before.albums - world.albums_blocked,
        artists=before.artists - world.followed_blocked,
        playlists=playlists,
    )


def block_artists(user, artist_ids: list[str]) -> None:
    from enforcement.blocklist import own_blocklist
    from enforcement.models import BlockEntry, EntryKind, EntrySource

    blocklist = own_blocklist(user)
    BlockEntry.objects.bulk_create(
        [
            BlockEntry(
                blocklist=blocklist, kind=EntryKind.ARTIST, spotify_id=sid, source=EntrySource.LINK
            )
            for sid in artist_ids
        ],
        ignore_conflicts=True,
    )


# --- the 10,000-action benchmark ----------------------------------------------------------------

BENCH_PLAYLISTS = [(75, 25)] * 40  # 40 playlists, 75 blocked items each: 3,000
BENCH_RUN_LENGTH = 25  # blocked items come in runs (whole albums added at once)
BENCH_RATE_LIMIT = 100  # sandbox window: 100 calls per rolling 30 s
BENCH_PACE = 3.0  # Tunekeeper's pace, calls per second (under the window)


def run_10k(*, pace: float = BENCH_PACE, rate_limit: int | None = BENCH_RATE_LIMIT) -> dict:
    """Seed 10,000 blocked actions, mirror, plan, then — with the sandbox's 30-second window
    on (`rate_limit` calls) and Tunekeeper paced at `pace` calls/s — execute, check, roll back,
    check. Expects the sandbox to be served already (settings point at it)."""
    from django.conf import settings

    from bench.scenarios.common import connect, sandbox_user
    from enforcement.executor import execute
    from enforcement.planner import plan
    from enforcement.rollback import rollback
    from playlists.refresh import refresh_library
    from sandbox.spotify import faults, mutations
    from spotify import pacing, state
    from spotify.models import ApiCall

    owner = sandbox_user("enforcement-bench")
    started = time.perf_counter()
    world = seed_world(
        owner,
        tracks=30_000,
        blocked_artists=500,
        liked_blocked=6000,
        liked_clean=1000,
        albums_blocked=500,
        albums_clean=100,
        followed_clean=100,
        playlists=BENCH_PLAYLISTS,
        run_length=BENCH_RUN_LENGTH,
        duplicates=False,
    )
    seed_seconds = time.perf_counter() - started
    original = library_state(owner)
    user = connect(owner)
    refresh_library(user)  # at the bench's own (fast) pace: not part of the measurement
    block_artists(user, world.blocked_artists)

    started = time.perf_counter()
    batch = plan(user)
    plan_seconds = time.perf_counter() - started

    old_pace = settings.SPOTIFY_CALLS_PER_SECOND
    settings.SPOTIFY_CALLS_PER_SECOND = pace
    pacing.reset(state.app_id())
    if rate_limit:
        faults.configure(rate_limit=rate_limit, rate_window_seconds=30.0)
    mutations_before = len(mutations.log(include_sandbox=False))
    try:
        started = time.perf_counter()
        batch = execute(batch)
        execute_seconds = time.perf_counter() - started
        after = library_state(owner)
        calls = ApiCall.objects.filter(job_id=batch.ledger_job_id).count()

        started = time.perf_counter()
        undo = rollback(batch)
        rollback_seconds = time.perf_counter() - started
        rollback_calls = ApiCall.objects.filter(job_id=undo.ledger_job_id).count()
    finally:
        settings.SPOTIFY_CALLS_PER_SECOND = old_pace
        if rate_limit:
            faults.configure(rate_limit=None)
    limited = ApiCall.objects.filter(
        job_id__in=[batch.ledger_job_id, undo.ledger_job_id], status=429
    ).count()
    restored = library_state(owner)
    expected = expected_after(original, world)
    allowed = world.minimum_calls / pace
    return {
        "actions": batch.total,
        "planned_as_seeded": batch.total == world.actions,
        "calls": calls,
        "minimum_calls": world.minimum_calls,
        "execute_seconds": round(execute_seconds, 2),
        "pace_seconds": round(allowed, 2),
        "ratio_to_pace": round(execute_seconds / allowed, 3) if allowed else None,
        "after_as_planned": after == expected,
        "failed": batch.failed,
        "rate_limited_answers": limited,
        "rollback_calls": rollback_calls,
        "rollback_minimum_calls": undo.calls_estimated,
        "rollback_seconds": round(rollback_seconds, 2),
        "restored_equal": restored == original,
        "duplicate_writes": len(mutations.duplicates()),
        "writes": len(mutations.log(include_sandbox=False)) - mutations_before,
        "plan_seconds": round(plan_seconds, 2),
        "seed_seconds": round(seed_seconds, 2),
    }


def main() -> int:
    """Run the benchmark with its own sandbox server (rate window on)."""
    import json

    from bench import harness

    env = harness.configure_environment()
    import django

    django.setup()
    database = harness.reset_database()
    with harness.SandboxServer(env):
        result = run_10k()
    result["database"] = database
    result["sandbox_rate_limit"] = f"{BENCH_RATE_LIMIT} calls / 30 s"
    result["pace"] = f"{BENCH_PACE} calls/s"
    print(json.dumps(result, indent=2))
    ok = (
        result["calls"] == result["minimum_calls"]
        and result["ratio_to_pace"] is not None
        and result["ratio_to_pace"] <= 1.1
        and result["after_as_planned"]
        and result["restored_equal"]
        and result["duplicate_writes"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
