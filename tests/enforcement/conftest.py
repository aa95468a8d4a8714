"""A sandbox library with known blocked content, mirrored into Tunekeeper, ready to plan."""

import contextlib
import os
import signal
import time
from dataclasses import dataclass

import pytest

from bench.scenarios.common import connect, sandbox_user
from bench.worlds.enforcement import World, block_artists, library_state, seed_world
from playlists.refresh import refresh_library
from tests.conftest import worker_process as shared_worker_process


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
    from sandbox.spotify import faults

    faults.reset()
    yield faults
    faults.reset()


@contextlib.contextmanager
def worker_process(live_server_url: str, name: str = "enforcement"):
    """A real Celery worker that reaches the sandbox at the live server (tests.conftest)."""
    with shared_worker_process(name, site_url=live_server_url) as process:
        yield process


def kill(process) -> None:
    """SIGKILL the worker (no clean shutdown, no ack) and reap it."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def drive_to_end(batch, *, timeout: float = 180.0):
    """Wait for a batch run by a worker to finish. A paused batch is resumed the way the ops
    sweep would, without waiting out the pause: the pause and breaker are forgotten and
    `resume_paused_jobs` re-sends it (time is what the sweep waits for; it is not under test)."""
    from core import clock
    from enforcement.models import ActionBatch
    from ops.jobs import JobStatus
    from ops.tasks import resume_paused_jobs
    from spotify import state

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
