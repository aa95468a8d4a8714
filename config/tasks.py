from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from ops.health import WORKER_HEARTBEAT_KEY


@shared_task
def beat_heartbeat() -> str:
    """Sent by beat every minute and run by a worker: proof that tasks still start."""
    stamp = timezone.now().isoformat()
    cache.set(WORKER_HEARTBEAT_KEY, stamp, timeout=None)
    return stamp


@shared_task
def apply_retention_task() -> dict:
    """Beat, hourly: fold old ledger rows into daily rollups and prune finished jobs past the
    rollback window, in small batches (config.retention: it reaches into every app)."""
    from config.retention import apply_retention

    return apply_retention().as_dict()
