"""The Refresh button's path with a real Celery worker: the job is queued after commit on the
bulk queue, claimed by the worker, read from the sandbox Spotify and completed with its cost."""

import pytest

from ops.jobs import JobStatus
from playlists.models import LibraryRefresh, Playlist
from playlists.refresh import start_refresh
from tests.conftest import wait_for
from tests.playlists.test_sandbox import page_minimum

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_on_sandbox(world, sandbox_site, monkeypatch, request):
    # The worker is another process: it learns where the sandbox is from its environment.
    monkeypatch.setenv("SANDBOX_BASE_URL", f"{sandbox_site.url}/sandbox-spotify")
    monkeypatch.setenv("SPOTIFY_CALLS_PER_SECOND", "1000")
    return request.getfixturevalue("celery_worker_process")


def test_a_queued_refresh_runs_on_a_worker_and_records_its_cost(world, worker_on_sandbox):
    user, ada_sandbox = world

    job, created = start_refresh(user)

    assert created
    wait_for(
        lambda: (
            LibraryRefresh.objects.get(pk=job.pk).status in (JobStatus.COMPLETED, JobStatus.FAILED)
        ),
        timeout=120,
        message="the refresh job",
    )
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    assert job.calls == page_minimum(ada_sandbox)
    assert job.items_seen == job.done > 0
    assert Playlist.objects.filter(user=user, mirrored_snapshot_id__gt="").count() == 5
    assert worker_on_sandbox.poll() is None
