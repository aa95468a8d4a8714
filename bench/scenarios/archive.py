"""The listening archive: a poll with nothing new, a 500k-record history import, stats over 1M."""

from __future__ import annotations

import statistics
import tempfile
import time
import zlib
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from archive import conf
from archive.models import DailyListening, HistoryProfile, ImportJob, PlayEvent
from archive.sample_history import write_history_files
from bench.harness import Outcome, Stopwatch, scenario
from bench.scenarios.common import calls, connect, sandbox_user
from core import clock

HISTORY_RECORDS = 500_000
STATS_PLAYS = 1_000_000
STATS_REQUESTS = 20


def _archive_user(label: str):
    user = get_user_model().objects.create(username=f"bench-{label}")
    HistoryProfile.objects.create(
        user=user, time_zone="Europe/Berlin", rollup_time_zone="Europe/Berlin"
    )
    return user


def _import(user, records: int, *, min_ms_played: int | None = None) -> tuple[ImportJob, float]:
    from archive.importer import create_job, run_import_job
    from archive.tasks import claim

    with tempfile.TemporaryDirectory() as folder:
        # Written by a child process, so making the JSON does not count in this one's memory.
        files = write_history_files(Path(folder), records, 20_000)
        options = {} if min_ms_played is None else {"min_ms_played": min_ms_played}
        with Stopwatch() as watch:
            job = claim(create_job(user, files, enqueue=False, **options).pk)
            original = conf.import_slice_seconds
            conf.import_slice_seconds = lambda: (
                10**9
            )  # one slice: measure the import, not re-queues
            try:
                run_import_job(job)
            finally:
                conf.import_slice_seconds = original
    job.refresh_from_db()
    return job, watch.seconds


@scenario("poll_nothing_new")
def poll_nothing_new(server) -> Outcome:
    from archive.poller import poll_user

    listener = sandbox_user("bench-listener")
    from sandbox.spotify.seed import seed_library

    seed_library(
        listener, tracks=200, playlists=[], liked=0, saved_albums=0, followed_artists=0, plays=30
    )
    user = connect(listener)
    first = poll_user(user.pk, clock.now().replace(microsecond=0))
    stored = PlayEvent.objects.filter(user=user).count()
    with Stopwatch() as watch:
        second = poll_user(user.pk, clock.now().replace(microsecond=1))
    return Outcome(
        spotify_calls=calls(f"history-poll-{second.pk}"),
        minimum_calls=1,
        ok=first.stored == 30 and stored == 30 and second.stored == 0,
        wall_s=watch.seconds,
        extra={"first_poll_calls": calls(f"history-poll-{first.pk}")},
    )


@scenario("history_import_500k")
def history_import(server) -> Outcome:
    user = _archive_user("history-import")
    job, seconds = _import(user, HISTORY_RECORDS)
    totals = job.totals()
    return Outcome(
        spotify_calls=0,
        minimum_calls=0,
        ok=job.status == "completed"
        and totals["imported"] + totals["too_short"] + totals["podcasts"] > 0,
        rows=HISTORY_RECORDS,
        wall_s=seconds,
        extra={
            "imported": totals["imported"],
            "too_short": totals["too_short"],
            "podcasts": totals["podcasts"],
        },
    )


@scenario("stats_1m")
def stats_1m(server) -> Outcome:
    user = _archive_user("stats")
    job, _ = _import(user, STATS_PLAYS, min_ms_played=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    stored = sum(DailyListening.objects.filter(user=user).values_list("plays", flat=True))
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host: the bench runs with DEBUG off
    client.force_login(user)
    urls = [
        "/history/stats/?range=all",
        "/history/stats/?range=12m",
        "/history/stats/?range=30d",
        "/history/",
    ]
    timings = []
    original = conf.stats_cache_seconds
    conf.stats_cache_seconds = lambda: 0  # every request computes its page
    try:
        for url in urls:
            for _ in range(STATS_REQUESTS):
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200, url
    finally:
        conf.stats_cache_seconds = original
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    return Outcome(
        spotify_calls=0,
        minimum_calls=0,
        ok=job.status == "completed" and stored >= STATS_PLAYS * 0.9 and p95 <= 0.3,
        wall_s=p95,
        notes="wall_s is the p95 page time",
        extra={"plays": stored, "p50_s": round(statistics.median(timings), 3), "pages": urls},
    )


ARTISTS_IN_WORLD = 2_000
ARTIST_PAGES = 5


def _credit_artists(user) -> list[str]:
    """The import knows its tracks by id only (the export names no artist ids); give each a
    primary artist, as a library refresh would, so artist pages have something to add up.
    Returns artist ids, most played first."""
    from django.db.models import Sum

    from archive.models import TrackTotal
    from playlists.models import Artist, ArtistRole, TrackArtist

    now = clock.now()
    track_ids = list(TrackTotal.objects.filter(user=user).values_list("track_id", flat=True))
    artists = [
        Artist(id=f"benchartist{n:011d}", name=f"Bench Artist {n}", fetched_at=now)
        for n in range(ARTISTS_IN_WORLD)
    ]
    Artist.objects.bulk_create(artists, ignore_conflicts=True)
    TrackArtist.objects.bulk_create(
        [
            TrackArtist(
                track_id=track,
                artist_id=artists[zlib.crc32(track.encode()) % ARTISTS_IN_WORLD].id,
                position=0,
                role=ArtistRole.PRIMARY,
            )
            for track in track_ids
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    ranked = (
        TrackTotal.objects.filter(user=user)
        .values("track__artist_links__artist_id")
        .annotate(plays=Sum("plays"))
        .order_by("-plays")
        .values_list("track__artist_links__artist_id", flat=True)
    )
    return list(ranked)


@scenario("artist_page_1m")
def artist_page_1m(server) -> Outcome:
    user = get_user_model().objects.filter(username="bench-stats").first()
    if user is None:  # run alone: build the million plays
        user = _archive_user("stats")
        _import(user, STATS_PLAYS, min_ms_played=0)
    ranked = _credit_artists(user)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    plays_total = sum(DailyListening.objects.filter(user=user).values_list("plays", flat=True))
    # The top artist (the most rows to add up), one from the middle and the least played.
    picks = [ranked[0], ranked[len(ranked) // 2], ranked[-1]][:ARTIST_PAGES]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    timings = []
    for artist_id in picks:
        for _ in range(STATS_REQUESTS):
            started = time.perf_counter()
            response = client.get(f"/history/artists/{artist_id}/")
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, artist_id
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    return Outcome(
        spotify_calls=0,
        minimum_calls=0,
        ok=plays_total >= STATS_PLAYS * 0.9 and p95 <= 0.3,
        wall_s=p95,
        notes="wall_s is the p95 artist page time (top, middle and least played artist)",
        extra={
            "plays": plays_total,
            "artists": len(ranked),
            "p50_s": round(statistics.median(timings), 3),
        },
    )


HISTORY_BASE_TRACKS = 5_000
PREVIEWS = 20


def _stats_world():
    """The million-play user of stats_1m (built here when this scenario runs alone)."""
    user = get_user_model().objects.filter(username="bench-stats").first()
    if user is None:
        user = _archive_user("stats")
        _import(user, STATS_PLAYS, min_ms_played=0)
    return user


@scenario("history_rules_preview_1m")
def history_rules_preview_1m(server) -> Outcome:
    """The rule editor's preview of "Top 50 of the last 30 days" over a 5,000-track base, for a
    person with a million plays."""
    from archive.models import TrackTotal
    from playlists.models import Playlist, PlaylistItem
    from sync.models import BasePlaylist, ChildPlaylist, Order
    from sync.preview import build_preview

    user = _stats_world()
    newest = PlayEvent.objects.filter(user=user).order_by("-played_at").first().played_at
    track_ids = list(
        TrackTotal.objects.filter(user=user)
        .order_by("track_id")
        .values_list("track_id", flat=True)[:HISTORY_BASE_TRACKS]
    )
    playlist = Playlist.objects.create(
        user=user, spotify_id="benchhistorybase000001", name="Everything I play",
        is_owner=True, snapshot_id="s1", mirrored_snapshot_id="s1",
        item_count=len(track_ids), listed_at=newest,
    )  # fmt: skip
    PlaylistItem.objects.bulk_create(
        [
            PlaylistItem(playlist=playlist, position=n, track_id=t, uri=f"spotify:track:{t}")
            for n, t in enumerate(track_ids)
        ],
        batch_size=5000,
    )
    base = BasePlaylist.objects.create(
        user=user, playlist=playlist, spotify_id=playlist.spotify_id, name=playlist.name
    )
    rules = {
        "kind": "group",
        "match": "all",
        "rules": [
            {"kind": "condition", "field": "plays", "op": "gte", "value": 1, "mod": "30"},
        ],
    }
    child = ChildPlaylist.objects.create(
        base=base, name="Top 50 of the last 30 days", rules=rules,
        order=Order.MOST_PLAYED_30D, limit=50,
    )  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # "Now" is a day after the newest play, so the window holds a month of listening.
    clock.use(clock.FakeClock(newest + timedelta(days=1)))
    timings, preview = [], None
    try:
        for _ in range(PREVIEWS):
            started = time.perf_counter()
            preview = build_preview(child, rules)
            timings.append(time.perf_counter() - started)
    finally:
        clock.reset()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    in_window = preview.matched if preview else 0
    return Outcome(
        spotify_calls=0,
        minimum_calls=0,
        ok=bool(preview and preview.size == min(50, in_window) and in_window > 0 and p95 <= 0.3),
        wall_s=p95,
        notes="wall_s is the p95 preview time; base of 5,000 tracks, 1M plays",
        extra={"matched_in_window": in_window, "p50_s": round(statistics.median(timings), 3)},
    )
