"""One sync at a time per base, decided by the database; edits refused while one runs.

`start_sync` inserts a SyncEvent. The partial unique constraint `one_active_sync_per_base`
lets exactly one active event per base exist, so of twenty simultaneous triggers one insert
succeeds and nineteen get the running event back. Nothing here checks first and inserts
second: the constraint is the lock.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from core import clock
from ops.jobs import ACTIVE_STATUSES, JobStatus
from sync.models import BasePlaylist, SyncEvent, Trigger

STALE_AFTER = timedelta(minutes=10)
STALE_MESSAGE = (
    "No sign of life from the worker for 10 minutes (it was stopped or crashed). "
    "Nothing written so far is lost: Retry continues from where it stopped."
)


class SyncRunning(Exception):
    """A change to a base or its children was refused because a sync of it is in progress."""

    def __init__(self, base: BasePlaylist, event: SyncEvent | None = None):
        super().__init__(
            f"“{base.name}” is syncing right now. Wait until the sync finishes, then try again."
        )
        self.base = base
        self.event = event


def start_sync(
    base: BasePlaylist, *, trigger: str = Trigger.MANUAL, force: bool = False, enqueue=True
) -> tuple[SyncEvent, bool]:
    """Queue a sync of `base`, or return the one in progress. Returns (event, created).

    The task is sent after the transaction commits; `enqueue=False` only creates the event
    (the management command and the benchmarks run it in-process).
    """
    try:
        with transaction.atomic():
            event = SyncEvent.objects.create(
                user_id=base.user_id, base=base, trigger=trigger, force=force, step="Queued"
            )
            if enqueue:
                from sync.tasks import sync_task

                transaction.on_commit(lambda: sync_task.delay(event.pk))
            return event, True
    except IntegrityError:
        active = SyncEvent.objects.filter(base=base, status__in=ACTIVE_STATUSES).first()
        if active is None:  # it finished between our insert and this read: try again
            return start_sync(base, trigger=trigger, force=force, enqueue=enqueue)
        return active, False


def ensure_idle(base: BasePlaylist) -> None:
    """Raise SyncRunning when a sync of `base` is in progress (call before changing it)."""
    active = base.active_event()
    if active is not None:
        raise SyncRunning(base, active)


@transaction.atomic
def locked_base(base_pk: int) -> BasePlaylist:
    """The base row, locked for the rest of the caller's transaction, refused while syncing.

    Edits take this lock and a trigger's insert conflicts on the constraint, so an edit and a
    sync of the same base cannot interleave on PostgreSQL (SQLite serialises all writes).
    """
    base = BasePlaylist.objects.select_for_update().get(pk=base_pk)
    ensure_idle(base)
    return base


def fail_stale_syncs(now=None) -> int:
    """Mark failed every sync with no heartbeat for STALE_AFTER (running), or never started
    that long after it was queued. Called at worker start and by beat; returns how many."""
    now = now or clock.now()
    cutoff = now - STALE_AFTER
    stale = SyncEvent.objects.filter(
        Q(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=JobStatus.RUNNING, heartbeat_at__isnull=True, created_at__lt=cutoff)
        # Never picked up (a lost message). Resumed or retried events have started before.
        | Q(status=JobStatus.QUEUED, started_at__isnull=True, created_at__lt=cutoff)
    )
    return stale.update(
        status=JobStatus.FAILED, finished_at=now, heartbeat_at=now, error=STALE_MESSAGE
    )
