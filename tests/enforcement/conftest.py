"""A sandbox library with known blocked content, mirrored into Tunekeeper, ready to plan."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

from bench.scenarios.common import connect, sandbox_user
from enforcement.benchmark import World, block_artists, library_state, seed_world
from playlists.refresh import refresh_library
from tests.conftest import ROOT


@dataclass
class Scene:
    owner: object  # the sandbox user
    user: object  # the Tunekeeper user
    world: World
    original: object  # library_state before anything ran


def make_scene(name: str = "enforcer", *, log_in=None, **world_options) -> Scene:
    """Seed the sandbox user `name`, connect a Tunekeeper user to it (or let `log_in(owner)`
    do it, e.g. through the browser, and return the user), mirror, block the artists."""
    owner = sandbox_user(name)
    world = seed_world(owner, **world_options)
    original = library_state(owner)
    user = log_in(owner) if log_in else connect(owner)
    refresh_library(user)
    block_artists(user, world.blocked_artists)
    return Scene(owner=owner, user=user, world=world, original=original)


@pytest.fixture
def scene(sandbox_site, transactional_db):
    """Three playlists (one with a duplicate), liked songs, albums, artists; mirrored."""
    return make_scene()


@pytest.fixture
def spotify_faults():
    from spotify.emulator import faults

    faults.reset()
    yield faults
    faults.reset()


@contextlib.contextmanager
def worker_process(live_server_url: str, name: str = "enforcement"):
    """A real Celery worker (own process group) that reaches the sandbox at the live server.
    Yields the Popen; stopping it is the caller's choice (SIGKILL mid-batch) or ours at exit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TUNEKEEPER_USE_TEST_DATABASE": "1",
        "SITE_URL": live_server_url,
    }
    log = (ROOT / "var" / f"test-worker-{name}.log").open("a")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "interactive,default,bulk",
            "--pool",
            "solo",
            "--loglevel",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def kill(process) -> None:
    """SIGKILL the worker (no clean shutdown, no ack) and reap it."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def drive_to_end(batch, *, timeout: float = 180.0):
    """Wait for a batch run by a worker to finish. A paused batch is resumed the way the ops
    sweep would, without waiting out the pause: the pause and breaker are forgotten and
    `resume_paused_jobs` re-sends it (time is what the sweep waits for; it is not under test)."""
    from enforcement.models import ActionBatch
    from ops.jobs import JobStatus
    from ops.tasks import resume_paused_jobs
    from spotify import clock, state

    deadline = time.monotonic() + timeout
    pauses = 0
    while time.monotonic() < deadline:
        current = ActionBatch.objects.get(pk=batch.pk)
        if current.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED):
            return current, pauses
        if current.status == JobStatus.PAUSED:
            pauses += 1
            state.clear_pause()
            state.forget()
            ActionBatch.objects.filter(pk=batch.pk).update(paused_until=clock.now())
            resume_paused_jobs()
        time.sleep(0.2)
    raise AssertionError(f"batch {batch.pk} did not finish in {timeout}s: {current.step}")
