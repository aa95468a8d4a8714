import json
import signal
import time
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from archive import importer
from archive.models import PlayEvent
from ops.jobs import JobStatus
from ops.models import DeadLetter
from ops.tasks import rescue_lost_jobs
from tests.archive.factories import extended_record, make_user, raw_upload
from tests.conftest import require_service, wait_for, worker_process
from tests.e2e.fixture_tasks import KILLS_ITS_WORKER, always_fails_transiently

pytestmark = pytest.mark.worker


def test_a_transient_failure_retries_then_lands_in_dead_letters_and_admin_retry_reruns_it(
    celery_worker_process, admin_client
):
    marker = "dl-1"
    cache.delete(f"attempts:{marker}")
    result = always_fails_transiently.delay(marker)

    letter = wait_for(
        lambda: DeadLetter.objects.filter(task_id=result.id).first(),
        timeout=90,
        message="dead letter",
    )
    assert cache.get(f"attempts:{marker}") == 3  # the first try and two automatic retries
    assert letter.attempts == 3
    assert letter.task_name == "tests.e2e.fixture_tasks.always_fails_transiently"
    assert letter.args == [marker]
    assert "TransportError" in letter.error and "Traceback" in letter.traceback

    response = admin_client.post(
        "/admin/ops/deadletter/", {"action": "retry", "_selected_action": [letter.pk]}, follow=True
    )
    assert response.status_code == 200
    letter.refresh_from_db()
    assert letter.retried_as
    wait_for(
        lambda: DeadLetter.objects.filter(task_id=letter.retried_as).exists(),
        timeout=90,
        message="retried run",
    )
    assert cache.get(f"attempts:{marker}") == 6


@pytest.mark.django_db(transaction=True)
def test_a_job_that_kills_its_worker_twice_lands_in_dead_letters_and_is_not_run_again(settings):
    """The history file that took a worker down at once was re-delivered, and again at the next
    worker start, for ever. Now: two dead workers in a row, then Dead letters."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        require_service(bool(settings.REDIS_URL), "REDIS_URL (a Redis broker for the worker)")
    settings.JOBS_LOST_AFTER_HEARTBEATS = 0.05  # as the test workers have it
    record = extended_record(1, datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
    poison = raw_upload(
        f"Streaming_History_Audio_{KILLS_ITS_WORKER}.json", json.dumps([record]).encode()
    )
    job = importer.create_job(make_user("poisoned"), [poison])  # sent to the broker on commit

    for losses_before, name in enumerate(("poison-first", "poison-second")):
        # Each new worker's start-up rescue re-sends the job its predecessor died under.
        with worker_process(name) as worker:
            assert worker.wait(timeout=120) == -signal.SIGKILL
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and job.worker_losses == losses_before

    with worker_process("poison-survivor") as survivor:
        letter = wait_for(
            lambda: DeadLetter.objects.filter(job=job.public_id).first(),
            timeout=90,
            message="the quarantine",
        )
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED
        assert "died under it 2 times in a row" in job.error
        assert (letter.task_name, letter.args) == ("archive.tasks.run_import", [job.pk])
        assert rescue_lost_jobs() == 0  # nothing to re-send: it is not run again by itself
        time.sleep(3)
        assert survivor.poll() is None  # and it took no third worker with it
    assert PlayEvent.objects.count() == 0
