"""The real thing: `manage.py sync_playlist` in its own process, SIGKILLed after its first write
chunk landed on Spotify. Once its heartbeat is older than a sync's lost_after(), the next runner
takes the same event over from its checkpoint (ops.jobs' one claim), converges to the right
content and sends no chunk twice."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from core import clock
from ops.jobs import JobStatus
from sandbox.spotify import faults, mutations
from sync.engine import sync_base
from sync.models import SyncEvent
from sync.tasks import sync_task
from tests.conftest import ROOT, wait_for
from tests.sync.conftest import add_to, make_base, make_child, unused_tracks, uris_of

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def child_posts(child) -> int:
    return sum(
        1
        for m in mutations.log(endpoint="POST /playlists/{id}/items", include_sandbox=False)
        if m["target_id"] == child.spotify_id
    )


def test_a_sync_process_killed_after_a_write_chunk_converges_on_the_next_run(
    ada, base_playlist, sandbox_site
):
    base = make_base(ada, base_playlist)
    child = make_child(base, "All", dedupe=False)
    assert sync_base(base)[0].status == JobStatus.COMPLETED
    child.refresh_from_db()
    add_to(base_playlist, unused_tracks(base_playlist, 280))  # three POSTs to the child
    posts_before = child_posts(child)
    faults.configure(latency_ms=300)  # slow enough to kill between two chunks

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TUNEKEEPER_USE_TEST_DATABASE": "1",
        "SANDBOX_BASE_URL": f"{sandbox_site.url}/sandbox-spotify",
        "SPOTIFY_CALLS_PER_SECOND": "1000",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sync_playlist", str(base.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: child_posts(child) > posts_before,
            timeout=60,
            interval=0.02,
            message="the first chunk",
        )
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.5)  # let a request the process had in flight finish on the server
    faults.configure(latency_ms=0)
    landed = child_posts(child) - posts_before
    assert 1 <= landed < 3, "killed too late to test anything"
    dead = SyncEvent.objects.get(base=base, status=JobStatus.RUNNING)

    assert SyncEvent.claim_for_worker(dead.pk) is None  # not silent long enough yet
    silent_since = clock.now() - SyncEvent.lost_after() - timedelta(seconds=1)
    SyncEvent.objects.filter(pk=dead.pk).update(heartbeat_at=silent_since)
    sync_task(dead.pk)  # the re-sent (or re-delivered) task takes it over
    event = SyncEvent.objects.get(pk=dead.pk)

    assert event.status == JobStatus.COMPLETED, event.error
    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    assert mutations.duplicates() == []
    assert child_posts(child) - posts_before == 3  # each chunk sent exactly once, in all
    assert event.pk == dead.pk and event.worker_losses == 0  # taken over, not failed
