from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from ops.health import BEAT_HEARTBEAT_KEY


@shared_task
def beat_heartbeat() -> str:
    """Run by beat every minute, so health checks can tell how long ago beat last ticked."""
    stamp = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, stamp, timeout=None)
    return stamp
