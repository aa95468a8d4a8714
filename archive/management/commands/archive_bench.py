"""Measure the archive's targets on the configured database (use a throwaway one).

    manage.py archive_bench import --records 500000      # import speed and peak memory
    manage.py archive_bench stats --plays 1000000        # stats p95 over a million plays

Both create their own user ("bench-archive-…") and leave the rows behind for inspection.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client

from archive import conf
from archive.importer import create_job, run_import_job
from archive.models import DailyListening, HistoryProfile
from archive.sample_history import write_history_files
from archive.tasks import claim


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Benchmark the archive: history import speed/memory, stats page latency."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["import", "stats"])
        parser.add_argument("--records", type=int, default=500_000)
        parser.add_argument("--tracks", type=int, default=20_000)
        parser.add_argument("--plays", type=int, default=1_000_000)
        parser.add_argument("--requests", type=int, default=40)
        parser.add_argument(
            "--reuse", action="store_true", help="stats: use the last benchmark user's plays"
        )

    def handle(self, *args, what, **options):
        if what == "import":
            self.bench_import(options["records"], options["tracks"])
        else:
            self.bench_stats(
                options["plays"], options["tracks"], options["requests"], options["reuse"]
            )

    def _user(self, label: str):
        user = get_user_model().objects.create(username=f"bench-archive-{label}-{time.time_ns()}")
        HistoryProfile.objects.create(
            user=user, time_zone="Europe/Berlin", rollup_time_zone="Europe/Berlin"
        )
        return user

    def bench_import(self, records: int, tracks: int) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            files = write_history_files(Path(tmp), records, tracks)
            size = sum(f.path.stat().st_size for f in files)
            user = self._user("import")
            baseline = peak_rss_mb()
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            job = create_job(user, files, enqueue=False)
            job = claim(job.pk)
            conf_slice = conf.import_slice_seconds
            conf.import_slice_seconds = lambda: 10**9
            try:
                run_import_job(job)
            finally:
                conf.import_slice_seconds = conf_slice
            elapsed = time.perf_counter() - started
        job.refresh_from_db()
        totals = job.totals()
        self.stdout.write(
            f"import: {records:,} records ({size / 2**20:,.0f} MB in {len(files)} files) in "
            f"{elapsed:.1f} s = {records / elapsed:,.0f} records/s; "
            f"imported {totals['imported']:,}, too short {totals['too_short']:,}, "
            f"podcasts {totals['podcasts']:,}; status {job.status}; "
            f"peak RSS {peak_rss_mb():,.0f} MB (baseline before import {baseline:,.0f} MB); "
            f"this process's CPU {cpu_seconds() - cpu_before:.1f} s; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )

    def bench_stats(self, plays: int, tracks: int, requests: int, reuse: bool) -> None:
        user = None
        if reuse:
            user = (
                get_user_model()
                .objects.filter(username__startswith="bench-archive-stats")
                .order_by("-pk")
                .first()
            )
        if user is None:
            user = self._user("stats")
            with tempfile.TemporaryDirectory() as tmp:
                files = write_history_files(Path(tmp), plays, tracks)
                job = claim(create_job(user, files, min_ms_played=0, enqueue=False).pk)
                conf.import_slice_seconds = lambda: 10**9
                run_import_job(job)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
        stored = sum(DailyListening.objects.filter(user=user).values_list("plays", flat=True))
        client = Client()
        client.force_login(user)
        today = date.today()
        urls = [
            "/history/stats/?range=all",
            "/history/stats/?range=12m",
            "/history/stats/?range=30d",
            f"/history/stats/?range=custom&start=2018-03-15&end={today}",
            "/history/",
        ]
        for cached in (False, True):
            conf_cache = conf.stats_cache_seconds
            if not cached:  # every request computes the page from the rollups
                conf.stats_cache_seconds = lambda: 0
            try:
                for url in urls:
                    self._time(client, url, requests, stored, "warm cache" if cached else "cold")
            finally:
                conf.stats_cache_seconds = conf_cache

    def _time(self, client, url: str, requests: int, stored: int, label: str) -> None:
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings.sort()
        p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
        self.stdout.write(
            f"stats over {stored:,} plays ({label}): {url}: p50 "
            f"{statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {timings[-1]:.0f} ms"
        )
