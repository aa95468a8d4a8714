"""A worker SIGKILLed mid-sync, as the kernel or an operator's `kill -9` would: at a random page
of the base read, and with a child write in flight. Nobody presses anything: the worker's
supervisor starts a replacement (here, the test), whose start-up rescue (ops.jobs) re-sends the
sync once its heartbeat is older than a sync's limit; the claim takes it over and it goes on
from its checkpoints. It completes within 2 minutes, the child exact, no write sent twice.

Runs on the embedded default (SQLite, filesystem broker) and on PostgreSQL + Redis alike.
"""

from __future__ import annotations

import math
import random
import signal
import time

import pytest
from django.conf import settings

from ops.jobs import JobStatus
from sandbox.spotify import faults, mutations
from spotify.models import ApiCall
from sync.locks import start_sync
from sync.models import SyncEvent
from tests.chaos.scenes import base_with_one_child, child_uris, every_base_track_once
from tests.conftest import require_service, wait_for, worker_process

pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RESCUE_WITHIN_SECONDS = 120


@pytest.fixture(autouse=True)
def broker():
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        require_service(bool(settings.REDIS_URL), "REDIS_URL (a Redis broker for the worker)")


def child_writes(base) -> int:
    child_id = base.children.get().spotify_id
    posts = mutations.log(endpoint="POST /playlists/{id}/items", include_sandbox=False)
    return sum(1 for m in posts if child_id and m["target_id"] == child_id)


def kill_then_let_it_heal(sandbox_site, base, kill_when, name: str) -> SyncEvent:
    """Start a sync on a worker, SIGKILL the worker once `kill_when(event)` holds, start a
    replacement and wait for the sync to end by itself. Returns the event, re-read."""
    with worker_process(f"{name}-doomed", site_url=sandbox_site.url) as doomed:
        event, created = start_sync(base)
        assert created
        wait_for(lambda: kill_when(event), timeout=90, interval=0.01, message="the kill point")
        doomed.send_signal(signal.SIGKILL)
        assert doomed.wait(timeout=30) == -signal.SIGKILL
    killed_at = time.monotonic()
    stuck = SyncEvent.objects.get(pk=event.pk)
    assert stuck.status == JobStatus.RUNNING, (stuck.status, stuck.error)  # killed mid-run

    with worker_process(f"{name}-replacement", site_url=sandbox_site.url):
        wait_for(
            lambda: not SyncEvent.objects.get(pk=event.pk).is_active,
            timeout=RESCUE_WITHIN_SECONDS,
            message="the sync to finish by itself",
        )
    assert time.monotonic() - killed_at < RESCUE_WITHIN_SECONDS
    return SyncEvent.objects.get(pk=event.pk)


def assert_healed(event, base, remote) -> None:
    assert event.status == JobStatus.COMPLETED, (event.status, event.error, event.step)
    assert event.worker_losses == 0  # the takeover made progress: not a poison job
    assert SyncEvent.objects.filter(base=base).count() == 1  # the same event, not a new one
    assert child_uris(base) == every_base_track_once(remote)
    assert mutations.duplicates() == []  # no write sent twice


def test_a_worker_killed_at_a_random_page_of_the_base_read_is_taken_over_and_the_sync_ends_exact(
    sandbox_site, sandbox_users
):
    faults.configure(latency_ms=60)  # a clean run: 30 base pages + 15 writes, a few seconds
    _, base, remote = base_with_one_child(sandbox_users[0], items=1500, tracks=1600)
    page = random.Random().randint(3, 25)

    def reading_page(event) -> bool:
        reads = ApiCall.objects.filter(job_id=event.ledger_job_id, method="GET")
        return reads.count() >= page

    event = kill_then_let_it_heal(sandbox_site, base, reading_page, "page-kill")

    assert_healed(event, base, remote)


def test_a_worker_killed_with_a_child_write_in_flight_is_taken_over_and_sends_nothing_twice(
    sandbox_site, sandbox_users
):
    faults.configure(latency_ms=60)
    _, base, remote = base_with_one_child(sandbox_users[1], items=1500, tracks=1600)
    chunks = math.ceil(len(every_base_track_once(remote)) / 100)  # the new child's POSTs
    write = random.Random().randint(1, chunks - 1)

    def writing(event) -> bool:
        # The chunk landed on Spotify; its answer is still on the way (the sandbox's latency
        # comes before the next request): the checkpoint does not know about it.
        return child_writes(base) >= write

    event = kill_then_let_it_heal(sandbox_site, base, writing, "write-kill")

    assert_healed(event, base, remote)
    assert child_writes(base) == chunks  # every chunk exactly once
