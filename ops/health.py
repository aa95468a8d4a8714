"""Health and operator status: plain functions the views, admin and tests call."""

from __future__ import annotations

import contextlib
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from ops.jobs import JobStatus, job_models

# Two stamps, so a health check can tell a late beat from a wedged worker: beat stamps
# BEAT_HEARTBEAT_KEY when it *sends* `config.tasks.beat_heartbeat` (ops.celery_signals, on
# publish), a worker stamps WORKER_HEARTBEAT_KEY when it *runs* a task (that one every minute,
# any other task too). Here, so ops needs nothing from config.
BEAT_HEARTBEAT_KEY = "ops:beat-heartbeat"
WORKER_HEARTBEAT_KEY = "ops:worker-heartbeat"


QUEUES = ("interactive", "default", "bulk")
BEAT_STALE_SECONDS = 300


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure is "down"; details stay out of a public answer
        return False


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def redis_ok() -> bool | None:
    """None when no Redis is configured (the embedded defaults need none)."""
    if not settings.REDIS_URL:
        return None
    try:
        return bool(_redis().ping())
    except Exception:  # unreachable, refused, timed out
        return False


def broker_ok() -> bool:
    # current_app is config.celery's app (config/__init__.py loads it at start).
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return True
    except Exception:  # the broker is down or unreachable
        return False


def _seconds_since(key: str) -> int | None:
    try:
        stamp = cache.get(key)
    except Exception:  # the cache itself is down
        return None
    if not stamp:
        return None
    return max(0, int((timezone.now() - datetime.fromisoformat(stamp)).total_seconds()))


def beat_seconds_since_tick() -> int | None:
    """Since beat last sent its heartbeat task (stamped on publish, in beat's process)."""
    return _seconds_since(BEAT_HEARTBEAT_KEY)


def worker_seconds_since_heartbeat() -> int | None:
    """Since a worker last showed it takes work: it started a task (the beat heartbeat runs
    every minute) or a job it runs beat its heartbeat (a long job keeps a one-task worker
    busy without starting anything new)."""
    ages = [_seconds_since(WORKER_HEARTBEAT_KEY)]
    try:
        beats = [
            model.objects.filter(status=JobStatus.RUNNING, heartbeat_at__isnull=False)
            .order_by("-heartbeat_at")
            .values_list("heartbeat_at", flat=True)
            .first()
            for model in job_models()
        ]
        newest = max((at for at in beats if at is not None), default=None)
    except Exception:  # the database is down: database_ok says so
        newest = None
    if newest is not None:
        ages.append(max(0, int((timezone.now() - newest).total_seconds())))
    known = [age for age in ages if age is not None]
    return min(known) if known else None


def health() -> tuple[bool, dict]:
    database, redis_state, broker = database_ok(), redis_ok(), broker_ok()
    beat_age = beat_seconds_since_tick()
    worker_age = worker_seconds_since_heartbeat()
    # A worker that took no work for a while is wedged or gone: "not ok" — even when beat
    # is late too (then nothing asked it for a heartbeat, and both say so).
    worker = worker_age is not None and worker_age < settings.WORKER_STALE_SECONDS
    healthy = database and broker and redis_state is not False and worker
    return healthy, {
        "ok": healthy,
        "database": database,
        "redis": redis_state,
        "broker": broker,
        "worker": {"seconds_since_heartbeat": worker_age, "ok": worker},
        "beat": {
            "seconds_since_tick": beat_age,
            "ok": beat_age is not None and beat_age < BEAT_STALE_SECONDS,
        },
    }


def queue_lengths() -> dict[str, int | None]:
    if not settings.REDIS_URL:
        return dict.fromkeys(QUEUES)  # the filesystem broker cannot say cheaply
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    try:
        client = _redis()
        return {queue: client.llen(f"{prefix}{queue}") for queue in QUEUES}
    except Exception:  # Redis down: unknown, not zero
        return dict.fromkeys(QUEUES)


WORKERS_KEY = "ops:workers-online"
WORKERS_FRESH_SECONDS = 30


def workers_online() -> list[str]:
    """The workers that answer a ping. A broadcast ping waits its whole timeout for answers
    unless it knows how many to expect, so the last answer is kept for 30 seconds and its
    length is the next ping's `limit`: with every worker up the ping returns at once."""
    try:
        known = cache.get(WORKERS_KEY)
    except Exception:  # the cache itself is down
        known = None
    if known is not None and known.get("fresh_until", 0) > timezone.now().timestamp():
        return known["workers"]
    limit = len(known["workers"]) if known and known.get("workers") else None
    try:
        replies = current_app.control.inspect(timeout=1.0, limit=limit).ping() or {}
    except Exception:  # no broadcast support (filesystem broker) or broker down
        return []
    workers = sorted(replies)
    # Not cached (the cache is down): the next page asks again.
    with contextlib.suppress(Exception):
        cache.set(
            WORKERS_KEY,
            {
                "workers": workers,
                "fresh_until": timezone.now().timestamp() + WORKERS_FRESH_SECONDS,
            },
            timeout=86400,
        )
    return workers


def tasks_per_minute(kind: str, minutes: int = 5) -> float:
    now = timezone.now()
    keys = [
        f"ops:tasks:{kind}:{(now - timezone.timedelta(minutes=m)):%Y%m%d%H%M}"
        for m in range(1, minutes + 1)
    ]
    try:
        counts = cache.get_many(keys)
    except Exception:  # cache down
        return 0.0
    return sum(counts.values()) / minutes
