import pytest
from django.core.cache import cache

from ops.models import DeadLetter
from tests.conftest import wait_for
from tests.e2e.fixture_tasks import always_fails_transiently

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
