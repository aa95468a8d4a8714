"""Celery signals: failures land in the dead-letter list; beat and task activity are counted;
beat's ticks and a worker's task starts are stamped for the health check (ops.health)."""

from __future__ import annotations

import logging
import time
import traceback as tb

from celery.signals import (
    before_task_publish,
    task_failure,
    task_prerun,
    task_retry,
    task_success,
    worker_ready,
)
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

from ops.models import DeadLetter

logger = logging.getLogger(__name__)


def _minute_key(kind: str) -> str:
    return f"ops:tasks:{kind}:{timezone.now():%Y%m%d%H%M}"


def _count(kind: str) -> None:
    key = _minute_key(kind)
    try:
        if not cache.add(key, 1, timeout=3600):
            cache.incr(key)
    except Exception:  # counting must never break a task
        logger.debug("could not count a %s task", kind, exc_info=True)


# A worker stamps its liveness at most this often (each stamp is a cache write).
WORKER_STAMP_EVERY = 10.0
_last_worker_stamp = 0.0


def _stamp(key: str) -> None:
    try:
        cache.set(key, timezone.now().isoformat(), timeout=None)
    except Exception:  # health stamps must never break a task or a publish
        logger.debug("could not stamp %s", key, exc_info=True)


@before_task_publish.connect
def stamp_beat(sender=None, **kwargs) -> None:
    """Only beat sends `beat_heartbeat`: its publish is beat's tick, whether or not a worker
    ever runs it (a wedged worker must not make beat look late)."""
    from ops.health import BEAT_HEARTBEAT_KEY

    if sender == "config.tasks.beat_heartbeat":
        _stamp(BEAT_HEARTBEAT_KEY)


@task_prerun.connect
def stamp_worker(sender=None, **kwargs) -> None:
    """A task starting is the proof a worker is alive and taking work."""
    from ops.health import WORKER_HEARTBEAT_KEY

    global _last_worker_stamp
    now = time.monotonic()
    if now - _last_worker_stamp >= WORKER_STAMP_EVERY:
        _last_worker_stamp = now
        _stamp(WORKER_HEARTBEAT_KEY)


@task_success.connect
def count_success(sender=None, **kwargs) -> None:
    _count("succeeded")


@task_retry.connect
def count_retry(sender=None, **kwargs) -> None:
    _count("retried")


@task_failure.connect
def dead_letter(
    sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **extra
) -> None:
    """Called once a task has failed for good (a Retry is not a failure)."""
    _count("failed")
    close_old_connections()
    request = getattr(sender, "request", None)
    delivery = getattr(request, "delivery_info", None) or {}
    now = timezone.now()
    trace = str(einfo) if einfo else "".join(tb.format_exception(exception))
    letter, created = DeadLetter.objects.get_or_create(
        task_id=task_id or "",
        defaults={
            "task_name": getattr(sender, "name", "") or "",
            "args": list(args or []),
            "kwargs": dict(kwargs or {}),
            "queue": delivery.get("routing_key") or "",
            "error": f"{type(exception).__name__}: {exception}"[:5000],
            "traceback": trace[-20000:],
            "attempts": (getattr(request, "retries", 0) or 0) + 1,
            "first_failed_at": now,
            "last_failed_at": now,
        },
    )
    if not created:
        letter.attempts += 1
        letter.last_failed_at = now
        letter.error = f"{type(exception).__name__}: {exception}"[:5000]
        letter.save(update_fields=["attempts", "last_failed_at", "error"])


@worker_ready.connect
def rescue_at_worker_start(sender=None, **kwargs) -> None:
    """A worker that starts may be the replacement of one that died mid-job: rescue lost jobs
    now rather than at the next beat (ops.tasks.rescue_lost_jobs), and once more when the jobs
    its predecessor held are silent for long enough to be called lost (a supervisor restarts a
    crashed worker within seconds, before that)."""
    from ops.jobs import job_models
    from ops.tasks import rescue_lost_jobs, resend_lost_jobs

    close_old_connections()
    try:
        rescued = rescue_lost_jobs()
        longest = max(model.lost_after() for model in job_models())
        resend_lost_jobs.apply_async(countdown=longest.total_seconds() + 1)
    except Exception:  # a worker must start even when the database or broker is not there yet
        logger.warning("could not look for lost jobs at worker start", exc_info=True)
        return
    if rescued:
        logger.info("rescued %s lost jobs at worker start", rescued)
