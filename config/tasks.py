from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

# Two stamps, so a health check can tell a late beat from a wedged worker: beat stamps
# BEAT_HEARTBEAT_KEY when it *sends* `beat_heartbeat` (ops.celery_signals, on publish), a
# worker stamps WORKER_HEARTBEAT_KEY when it *runs* a task (this one every minute, any other
# task too).
BEAT_HEARTBEAT_KEY = "ops:beat-heartbeat"
WORKER_HEARTBEAT_KEY = "ops:worker-heartbeat"


@shared_task
def beat_heartbeat() -> str:
    """Sent by beat every minute and run by a worker: proof that tasks still start."""
    stamp = timezone.now().isoformat()
    cache.set(WORKER_HEARTBEAT_KEY, stamp, timeout=None)
    return stamp
