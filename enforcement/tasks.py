"""Celery tasks: thin wrappers around enforcement's plain functions.

`run_batch_task` runs an enforcement or rollback batch (the ops sweep re-sends it by name after a
pause). `enforcement_sweep` (beat, every 5 minutes) re-sends batches whose worker died and starts
the daily automatic enforcement of users who opted in.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q

from core import clock
from core.retry import RETRY_TRANSIENT
from enforcement.models import ActionBatch
from ops.jobs import JobStatus, requeued_if_database_drops

logger = logging.getLogger(__name__)

# A queued batch nobody picked up for this long lost its message (broker restart): re-send it.
LOST_MESSAGE_AFTER = timedelta(minutes=15)


@shared_task(queue="bulk", **RETRY_TRANSIENT)
def run_batch_task(self, batch_pk: int) -> None:
    from enforcement.executor import run

    batch = ActionBatch.objects.filter(pk=batch_pk, dry_run=False).first()
    if batch is None:
        return  # deleted, or still a plan: nothing to run
    with requeued_if_database_drops(batch, self):  # run() has put it back in the queue
        run(batch)


def enqueue(batch: ActionBatch) -> None:
    """Send the batch to a worker once the current transaction commits."""
    transaction.on_commit(lambda: run_batch_task.delay(batch.pk))


def queue_rollback(batch: ActionBatch, items=None) -> tuple[ActionBatch, bool]:
    """Prepare the rollback of `batch` (enforcement.rollback.prepare_rollback) and send it to a
    worker once it is committed. Returns (rollback batch, created now)."""
    from enforcement.rollback import prepare_rollback

    with transaction.atomic():
        rollback_batch, created = prepare_rollback(batch, items)
        if created:
            enqueue(rollback_batch)
    return rollback_batch, created


def queue_resume(batch: ActionBatch) -> ActionBatch:
    """A failed batch back in the queue (enforcement.executor.resume), sent to a worker once
    that is committed. Returns the batch re-read."""
    from enforcement.executor import resume

    with transaction.atomic():
        resumed = resume(batch)
        if resumed.status == JobStatus.QUEUED:
            enqueue(resumed)
    return resumed


def orphaned_batches() -> list[int]:
    """Batches a worker should be running but none is: RUNNING with a dead runner (same host)
    or a silent one, and QUEUED ones whose message seems lost."""
    from enforcement.executor import STALE_AFTER, runner_is_gone

    now = clock.now()
    found = []
    for pk, runner, heartbeat in ActionBatch.objects.filter(
        dry_run=False, status=JobStatus.RUNNING
    ).values_list("pk", "runner", "heartbeat_at"):
        if heartbeat is None or heartbeat < now - STALE_AFTER or runner_is_gone(runner):
            found.append(pk)
    lost = ActionBatch.objects.filter(
        dry_run=False, status=JobStatus.QUEUED, executed_at__lt=now - LOST_MESSAGE_AFTER
    ).filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - LOST_MESSAGE_AFTER))
    found += list(lost.values_list("pk", flat=True))
    return found


@shared_task(queue="default")
def enforcement_sweep() -> dict:
    """Every 5 minutes: re-send orphaned batches; start automatic runs for users who are due."""
    from enforcement.automatic import due_users

    orphans = orphaned_batches()
    for pk in orphans:
        run_batch_task.delay(pk)
    due = due_users()
    for user_pk in due:
        automatic_enforcement_task.delay(user_pk)
    return {"resent": len(orphans), "automatic": len(due)}


@shared_task(queue="bulk")
def automatic_enforcement_task(user_pk: int) -> None:
    from django.contrib.auth import get_user_model

    from enforcement.automatic import run_automatic

    user = get_user_model().objects.filter(pk=user_pk).first()
    if user is not None:
        run_automatic(user)
