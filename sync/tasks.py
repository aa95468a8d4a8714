"""Celery tasks: thin wrappers that take primary keys and call sync's plain functions.

A sync goes to the `default` queue (a person pressed Sync and watches the progress bar);
scheduled ones too, since one unchanged sync costs a single call (CELERY_TASK_ROUTES).
"""

from __future__ import annotations

from celery import shared_task

from core.retry import RETRY_TRANSIENT
from ops.jobs import requeued_if_database_drops
from sync.models import BasePlaylist, SyncEvent, Trigger


@shared_task(**RETRY_TRANSIENT)
def sync_task(self, event_pk: int) -> None:
    from sync.engine import run_sync

    # A queued event, or a running one whose worker died (its heartbeat went stale): the run
    # goes on from the children's checkpoints (sync.engine).
    event = SyncEvent.claim_for_worker(event_pk)
    if event is None:
        return  # gone, finished, paused, or another live worker has it
    with requeued_if_database_drops(event, self):
        run_sync(event)


@shared_task
def scheduled_sync_task(base_pk: int) -> None:
    """Beat, per base with a schedule: start a sync unless one is in progress."""
    from sync.locks import start_sync

    base = BasePlaylist.objects.filter(pk=base_pk).first()
    if base is not None:
        start_sync(base, trigger=Trigger.SCHEDULE)
