"""One sync at a time per base, decided by the database; edits refused while one runs.

`start_sync` inserts a SyncEvent. The partial unique constraint `one_active_sync_per_base`
lets exactly one active event per base exist, so of twenty simultaneous triggers one insert
succeeds and nineteen get the running event back. Nothing here checks first and inserts
second: the constraint is the lock.
"""

from __future__ import annotations

from django.db import transaction

from sync.models import BasePlaylist, SyncEvent, Trigger


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
    return SyncEvent.start_or_get_active(
        enqueue=enqueue,
        active={"base": base},
        user_id=base.user_id,
        base=base,
        trigger=trigger,
        force=force,
    )


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
