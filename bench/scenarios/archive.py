"""The listening archive: a poll with nothing new, a 500k-record history import, stats over 1M."""

from __future__ import annotations

import statistics
import tempfile
import time
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
    from spotify.emulator.seed import seed_library

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
