"""Redis restarted during a sync, for real: a redis-server of the test's own (the suite's shared
one must stay up) is stopped while a worker syncs through it and started again, empty, as a
Redis without persistence comes back. It is the worker's broker, cache and pacing store at once.

What must hold: the sync finishes exactly once, with no write sent twice; the pace holds through
the outage and after the restart; the daily budget count is rebuilt from the ledger, not reset to
zero; a second Sync press meanwhile starts nothing; a message delivered again runs nothing.
"""

from __future__ import annotations

import itertools
import math
import shutil
import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from bench.scenarios.common import connect
from core import clock
from core import pacing as core_pacing
from ops.jobs import JobStatus
from sandbox.spotify import faults, mutations
from sandbox.spotify.seed import seed_playlist
from spotify import pacing, state
from spotify.models import ApiCall
from sync.locks import start_sync
from sync.models import SyncEvent
from sync.tasks import sync_task
from tests.chaos.scenes import (
    base_with_one_child,
    child_uris,
    every_base_track_once,
    playlist_uris,
)
from tests.conftest import require_service, wait_for, worker_process

pytestmark = [pytest.mark.chaos]

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there
CALLS_PER_SECOND = 12.0


class RedisServer:
    """A redis-server on a free port that a test may stop and start again (empty)."""

    def __init__(self, folder: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=15, interval=0.05, message="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        assert not self.answers()


@pytest.fixture
def own_redis(tmp_path):
    require_service(shutil.which("redis-server") is not None, "redis-server (to restart one)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


# --- the pace, step by step -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pace_holds_when_redis_goes_away_and_when_it_comes_back_empty(
    settings, fake_clock, monkeypatch
):
    require_service(bool(settings.REDIS_URL), "REDIS_URL")
    settings.SPOTIFY_CALLS_PER_SECOND = 1.0
    app = state.app_id()
    shared = core_pacing._redis()

    assert pacing.reserve(app, interactive=False) == pytest.approx(0)
    assert pacing.reserve(app, interactive=False) == pytest.approx(1)
    # Redis goes away: this process goes on from the last slot Redis gave it, not from zero.
    monkeypatch.setattr(core_pacing, "_redis_client", redis.Redis.from_url(DEAD_REDIS))
    assert pacing.reserve(app, interactive=False) == pytest.approx(2)
    # Redis comes back empty (restarted without persistence): still no slot sooner than the pace.
    shared.delete(core_pacing._key(app, "background"), core_pacing._key(app, "interactive"))
    monkeypatch.setattr(core_pacing, "_redis_client", shared)
    assert pacing.reserve(app, interactive=False) == pytest.approx(3)
    assert float(shared.get(core_pacing._key(app, "background"))) == pytest.approx(
        fake_clock.now().timestamp() + 4
    )


# --- a whole sync on a worker -----------------------------------------------------------------


def send_sync(event_pk: int, broker_url: str) -> None:
    with current_app.connection_for_write(broker_url) as connection:
        sync_task.apply_async(args=[event_pk], connection=connection)


def send_times(job_id: str) -> list[float]:
    """When each call left (its ledger row is written when the answer came back)."""
    rows = ApiCall.objects.filter(job_id=job_id).values_list("at", "duration_ms")
    return sorted(at.timestamp() - duration / 1000 for at, duration in rows)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_sync_through_a_redis_restart_finishes_once_at_the_pace_with_nothing_sent_twice(
    sandbox_site, sandbox_users, own_redis
):
    require_service(bool(settings.REDIS_URL), "REDIS_URL")
    faults.configure(latency_ms=0)
    # 1,500 base rows: 30 reads, then the child's writes.
    _, base, remote = base_with_one_child(sandbox_users[0], items=1500, tracks=1600)
    event, _ = start_sync(base, enqueue=False)
    calls = ApiCall.objects.filter(job_id=event.ledger_job_id)
    env = {"REDIS_URL": own_redis.url, "TUNEKEEPER_TEST_CALLS_PER_SECOND": str(CALLS_PER_SECOND)}

    with worker_process("redis-restart", site_url=sandbox_site.url, env=env):
        send_sync(event.pk, own_redis.url)
        wait_for(lambda: calls.count() >= 10, timeout=90, interval=0.02, message="10 calls")
        own_redis.stop()
        during_outage = calls.count()

        # A second Sync press while Redis is down finds the sync in progress.
        again, created = start_sync(base, enqueue=False)
        assert not created and again.pk == event.pk

        wait_for(
            lambda: calls.count() >= during_outage + 8, timeout=60, message="calls without Redis"
        )
        own_redis.start()
        wait_for(
            lambda: not SyncEvent.objects.get(pk=event.pk).is_active,
            timeout=120,
            message="the sync to end",
        )
        event.refresh_from_db()
        finished_at = event.finished_at

        # The message again (what a broker that kept it would do), then a new sync behind it on
        # the same queue: when the new one is done, the worker has dealt with the repeat.
        send_sync(event.pk, own_redis.url)
        later, created = start_sync(base, enqueue=False)
        assert created
        send_sync(later.pk, own_redis.url)
        wait_for(
            lambda: not SyncEvent.objects.get(pk=later.pk).is_active,
            timeout=90,
            message="the sync after the restart",
        )

    assert event.status == JobStatus.COMPLETED, (event.status, event.error, event.step)
    assert during_outage < calls.count()  # work went on while Redis was gone
    wanted = every_base_track_once(remote)
    assert child_uris(base) == wanted
    assert mutations.duplicates() == []
    writes = [m["endpoint"] for m in mutations.log(include_sandbox=False)]
    # The child created once, its tracks added in chunks of 100, each chunk sent once.
    assert writes == ["POST /me/playlists"] + ["POST /playlists/{id}/items"] * math.ceil(
        len(wanted) / 100
    ), writes

    # The repeated message ran nothing; the later sync found nothing to do.
    assert SyncEvent.objects.get(pk=event.pk).finished_at == finished_at
    later.refresh_from_db()
    assert later.status == JobStatus.COMPLETED, later.error
    assert ApiCall.objects.filter(job_id=later.ledger_job_id).count() == 1

    # The pace held before, during and after the outage: slots 1/12 s apart. A call leaves its
    # slot after a token read whose time varies, hence half an interval of slack; a pace lost at
    # the switch sent calls 28 ms apart.
    sent = send_times(event.ledger_job_id)
    gaps = [later_send - send for send, later_send in itertools.pairwise(sent)]
    assert min(gaps) >= 0.5 / CALLS_PER_SECOND, sorted(gaps)[:5]

    # Today's budget count came back from the ledger after the restart, not from zero.
    cache = RedisCache(own_redis.url, {"KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]})
    budget_key = state._budget_key(state.app_id(), clock.now().date().isoformat())
    assert cache.get(budget_key) == ApiCall.objects.count()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_message_died_with_redis_is_sent_again_by_the_sweep(
    sandbox_site, sandbox_users, own_redis
):
    from ops.tasks import resend_lost_jobs
    from playlists.models import LibraryRefresh, Playlist
    from playlists.tasks import refresh_library_task

    # The worker's broker is the Redis this test restarts; a run on the filesystem broker and
    # the database cache has no Redis of its own to hand the worker, so it runs where CI does.
    require_service(bool(settings.REDIS_URL), "REDIS_URL (a Redis-backed run)")
    ada = sandbox_users[0]
    remote = seed_playlist(ada, items=120, tracks=300)
    user = connect(ada)
    job = LibraryRefresh.objects.create(user=user, step="Queued")
    with current_app.connection_for_write(own_redis.url) as connection:
        refresh_library_task.apply_async(args=[job.pk], connection=connection)
    assert redis.Redis.from_url(own_redis.url).dbsize() > 0  # the message waits in Redis

    own_redis.stop()
    own_redis.start()  # empty: a Redis without persistence lost the queue
    assert redis.Redis.from_url(own_redis.url).dbsize() == 0
    # The sweep's view a few minutes later: still queued, nobody claimed it.
    LibraryRefresh.objects.filter(pk=job.pk).update(
        created_at=clock.now() - LibraryRefresh.lost_after() - timedelta(minutes=1)
    )

    env = {"REDIS_URL": own_redis.url}
    with worker_process("redis-lost", site_url=sandbox_site.url, env=env):
        with current_app.connection_for_write(own_redis.url) as connection:
            resend_lost_jobs.apply_async(connection=connection)  # what beat sends
        wait_for(
            lambda: not LibraryRefresh.objects.get(pk=job.pk).is_active,
            timeout=90,
            message="the refresh to run",
        )

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, (job.status, job.error)
    mirrored = Playlist.objects.get(user=user, spotify_id=remote.spotify_id)
    assert list(mirrored.items.values_list("uri", flat=True)) == playlist_uris(remote)


@pytest.mark.django_db
def test_the_musicbrainz_pace_holds_when_redis_goes_away_and_when_it_comes_back_empty(
    settings, fake_clock, monkeypatch
):
    from playlists.musicbrainz import http as musicbrainz

    require_service(bool(settings.REDIS_URL), "REDIS_URL")
    musicbrainz.reset()
    shared = core_pacing._redis()
    gap = musicbrainz.INTERVAL_SECONDS
    try:
        assert musicbrainz.reserve() == pytest.approx(0)
        assert musicbrainz.reserve() == pytest.approx(gap)
        monkeypatch.setattr(core_pacing, "_redis_client", redis.Redis.from_url(DEAD_REDIS))
        assert musicbrainz.reserve() == pytest.approx(2 * gap)
        shared.delete(core_pacing._key(musicbrainz.APP, "background"))  # back, and empty
        monkeypatch.setattr(core_pacing, "_redis_client", shared)
        assert musicbrainz.reserve() == pytest.approx(3 * gap)
    finally:
        musicbrainz.reset()
