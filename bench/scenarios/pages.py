"""Pages people (and operators) open often: how long the server takes to answer them."""

from __future__ import annotations

import statistics
import time

from django.contrib.auth import get_user_model
from django.test import Client

from bench.harness import Outcome, scenario

REQUESTS = 20
OPS_BUDGET_S = 0.5  # issue 20: /ops/ answers in under 500 ms


def _timed(client: Client, url: str) -> list[float]:
    client.get(url)  # warm: imports, first connections
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


@scenario("ops_page")
def ops_page(server) -> Outcome:
    """/ops/ for a staff member, and its workers fragment (loaded after the page; a broadcast
    ping whose answer is kept for 30 seconds)."""
    staff = get_user_model().objects.create(username="bench-ops", is_staff=True)
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host outside the test runner
    client.force_login(staff)
    page = _timed(client, "/ops/")
    workers = _timed(client, "/ops/workers/")
    median, worst = statistics.median(page), max(page)
    return Outcome(
        spotify_calls=0,
        minimum_calls=0,
        ok=worst < OPS_BUDGET_S,
        wall_s=median,
        notes=(
            f"/ops/ median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms over {REQUESTS}; "
            f"workers fragment median {statistics.median(workers) * 1000:.0f} ms"
        ),
    )
