"""Celery tasks: thin wrappers around enforcement's plain functions.

`run_batch_task` runs an enforcement or rollback batch (ops.jobs re-sends it by name after a
pause, or when its worker died). `enforcement_sweep` (beat, every 5 minutes) starts the daily
automatic enforcement of users who opted in.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from core.retry import RETRY_TRANSIENT
from enforcement.models import ActionBatch
from ops.jobs import JobStatus, requeued_if_database_drops

logger = logging.getLogger(__name__)


@shared_task(**RETRY_TRANSIENT)
def run_batch_task(self, batch_pk: int) -> None:
    from enforcement.executor import run

    batch = ActionBatch.objects.filter(pk=batch_pk, dry_run=False).first()
    if batch is None:
        return  # deleted, or still a plan: nothing to run
    with requeued_if_database_drops(batch, self):  # run() has put it back in the queue
        run(batch)


def enqueue(batch: ActionBatch) -> None:
    """Send the batch to a worker once the current transaction commits."""
    batch.enqueue()


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


@shared_task
def enforcement_sweep() -> dict:
    """Every 5 minutes: start automatic runs for users who are due. (Batches whose worker died
    are ops.jobs' rescue's, like every job.)"""
    from enforcement.automatic import due_users

    due = due_users()
    for user_pk in due:
        automatic_enforcement_task.delay(user_pk)
    return {"automatic": len(due)}


@shared_task
def automatic_enforcement_task(user_pk: int) -> None:
    from django.contrib.auth import get_user_model

    from enforcement.automatic import run_automatic

    user = get_user_model().objects.filter(pk=user_pk).first()
    if user is not None:
        run_automatic(user)
