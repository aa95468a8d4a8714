"""Celery tasks: thin wrappers that take primary keys and call sync's plain functions.

A sync goes to the `default` queue (a person pressed Sync and watches the progress bar);
scheduled ones too, since one unchanged sync costs a single call.
"""

from __future__ import annotations

from celery import shared_task

from core.retry import RETRY_TRANSIENT
from ops.jobs import requeued_if_database_drops
from sync.models import BasePlaylist, SyncEvent, Trigger


@shared_task(queue="default", **RETRY_TRANSIENT)
def sync_task(self, event_pk: int) -> None:
    from sync.engine import run_sync

    event = SyncEvent.objects.filter(pk=event_pk).select_related("base__user").first()
    if event is None or not event.claim():
        return  # gone, or another worker has it (or the stale sweep already failed it)
    with requeued_if_database_drops(event, self):
        run_sync(event)


@shared_task(queue="default")
def scheduled_sync_task(base_pk: int) -> None:
    """Beat, per base with a schedule: start a sync unless one is in progress."""
    from sync.locks import start_sync

    base = BasePlaylist.objects.filter(pk=base_pk).first()
    if base is not None:
        start_sync(base, trigger=Trigger.SCHEDULE)


@shared_task
def fail_stale_syncs_task() -> int:
    """Beat, every few minutes: syncs whose worker died stop blocking their base."""
    from sync.locks import fail_stale_syncs

    return fail_stale_syncs()
