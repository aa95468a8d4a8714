import pytest
from django.core.cache import cache

from config.tasks import WORKER_HEARTBEAT_KEY, beat_heartbeat
from tests.conftest import wait_for

pytestmark = pytest.mark.worker


def test_a_real_worker_runs_a_task_end_to_end(celery_worker_process):
    cache.delete(WORKER_HEARTBEAT_KEY)
    beat_heartbeat.delay()
    stamp = wait_for(lambda: cache.get(WORKER_HEARTBEAT_KEY), timeout=90, message="the worker")
    assert stamp.startswith("20")
    assert celery_worker_process.poll() is None
