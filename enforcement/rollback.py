"""Undo an enforcement batch, whole or in part, as a batch of its own.

    rollback(batch)                 # restore everything it removed, here and now
    rollback(batch, items=[...])    # only these items

The rollback batch is linked to its parent and runs through the same executor, so it is just as
resumable. Asking for the same rollback twice returns the first (its idempotency key is made
from the parent and the items). Library items are saved again (`PUT /me/library`), artists
followed again the way they were unfollowed, and playlist items re-inserted at their original
positions in ascending order — each position counted against what is still missing, so a
partial rollback puts items back in the right order too.

What cannot be restored (Spotify offers no way): a liked song or saved album comes back with
today's date, so its place in Liked Songs changes; a re-inserted playlist item gets a new
added_at (and is "added by" the user).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from core import clock
from enforcement.executor import AlreadyRunning, run
from enforcement.keep import remember
from enforcement.models import (
    ActionBatch,
    ActionItem,
    BatchMode,
    ItemKind,
    ItemStatus,
    KeptBecause,
)
from enforcement.planner import estimate_calls
from ops.jobs import JobStatus

CANNOT_RESTORE = (
    "Liked songs and saved albums come back with today's date, so their order in your library "
    "changes.",
    "Playlist items go back to their original positions but get a new “added” date, and show "
    "you as the one who added them.",
)


class RollbackNotAllowed(Exception):
    """Not an executed enforcement batch, or older than ROLLBACK_DAYS."""


def _ids(items) -> list[int] | None:
    if items is None:
        return None
    return sorted({item.pk if isinstance(item, ActionItem) else int(item) for item in items})


def restorable(batch: ActionBatch):
    """Done items of `batch` not already restored (or being restored) by a rollback."""
    taken = ActionItem.objects.filter(
        origin__batch=batch,
        batch__mode=BatchMode.ROLLBACK,
        status__in=[ItemStatus.PLANNED, ItemStatus.DONE],
    ).exclude(batch__status=JobStatus.CANCELLED)
    return batch.items.filter(status=ItemStatus.DONE).exclude(pk__in=taken.values("origin_id"))


def _restored_positions(batch: ActionBatch) -> dict[str, set[int]]:
    """Per playlist: original positions earlier rollbacks already put back."""
    restored: dict[str, set[int]] = defaultdict(set)
    for playlist_id, before in ActionItem.objects.filter(
        origin__batch=batch,
        batch__mode=BatchMode.ROLLBACK,
        kind=ItemKind.PLAYLIST_ITEM,
        status__in=[ItemStatus.PLANNED, ItemStatus.DONE],
    ).values_list("playlist_spotify_id", "before"):
        restored[playlist_id].add(before["position"])
    return restored


def _removed_positions(batch: ActionBatch) -> dict[str, set[int]]:
    removed: dict[str, set[int]] = defaultdict(set)
    for playlist_id, before in batch.items.filter(
        kind=ItemKind.PLAYLIST_ITEM, status=ItemStatus.DONE
    ).values_list("playlist_spotify_id", "before"):
        removed[playlist_id].update(p["position"] for p in before.get("positions", []))
    return removed


def prepare_rollback(batch: ActionBatch, items: Iterable | None = None) -> tuple[ActionBatch, bool]:
    """The rollback batch for `batch` (all its done items, or `items`), queued — or the one
    already made for the same request. Returns (rollback batch, created now)."""
    if batch.mode != BatchMode.ENFORCE or batch.dry_run:
        raise RollbackNotAllowed("only an executed enforcement batch can be rolled back")
    if not batch.can_roll_back:
        raise RollbackNotAllowed(
            "this batch can no longer be rolled back"
            if batch.rollback_until
            else "this batch is still running"
        )
    wanted = _ids(items)
    origins = restorable(batch)
    if wanted is not None:
        origins = origins.filter(pk__in=wanted)
    origins = list(origins.select_related("entry__blocklist").order_by("id"))
    if not origins:
        existing = batch.rollbacks.order_by("-created_at").first()
        if existing is not None:
            return existing, False
        raise RollbackNotAllowed("nothing left to roll back")

    digest = hashlib.sha256(",".join(str(o.pk) for o in origins).encode()).hexdigest()[:20]
    key = f"rollback-{batch.pk}-{digest}"
    existing = ActionBatch.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False

    removed = _removed_positions(batch)
    restored = _restored_positions(batch)
    now_restoring: dict[str, set[int]] = defaultdict(set)
    for origin in origins:
        if origin.kind == ItemKind.PLAYLIST_ITEM:
            now_restoring[origin.playlist_spotify_id].update(origin.positions)

    def insert_at(playlist_id: str, position: int) -> int:
        # Count only what stays missing before this position once this rollback is done.
        missing = removed[playlist_id] - restored[playlist_id] - now_restoring[playlist_id]
        return position - sum(1 for q in missing if q < position)

    try:
        with transaction.atomic():
            rollback_batch = ActionBatch.objects.create(
                user=batch.user,
                mode=BatchMode.ROLLBACK,
                origin=batch.origin,
                parent=batch,
                dry_run=False,
                idempotency_key=key,
                executed_at=clock.now(),
                step="Queued",
                artist_method=batch.artist_method,
            )
            rows = []
            for origin in origins:
                common = {
                    "batch": rollback_batch,
                    "kind": origin.kind,
                    "uri": origin.uri,
                    "label": origin.label,
                    "playlist_id": origin.playlist_id,
                    "playlist_spotify_id": origin.playlist_spotify_id,
                    "playlist_name": origin.playlist_name,
                    "entry_id": origin.entry_id,
                    "reason": f"Undo: {origin.reason}",
                    "method": origin.method,
                    "origin": origin,
                }
                if origin.kind != ItemKind.PLAYLIST_ITEM:
                    rows.append(ActionItem(**common, before=dict(origin.before)))
                    continue
                for place in origin.before.get("positions", []):
                    rows.append(
                        ActionItem(
                            **common,
                            before={
                                **place,
                                "insert_at": insert_at(
                                    origin.playlist_spotify_id, place["position"]
                                ),
                                "snapshot_id": origin.after.get("snapshot_id", ""),
                            },
                        )
                    )
            ActionItem.objects.bulk_create(rows, batch_size=2000)
            # What the person put back stays: no later run, manual or automatic, removes it.
            remember(origins, KeptBecause.ROLLED_BACK, rollback_batch)
            rollback_batch.total = len(rows)
            rollback_batch.calls_estimated = estimate_calls(rollback_batch)
            rollback_batch.save(update_fields=["total", "calls_estimated"])
    except IntegrityError:
        existing = ActionBatch.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing, False
        raise AlreadyRunning(
            "another enforcement or rollback is still running; wait for it to finish"
        ) from None
    return rollback_batch, True


def rollback(batch: ActionBatch, items: Iterable | None = None) -> ActionBatch:
    """Prepare the rollback and run it here, to its end, a pause or a failure."""
    rollback_batch, _ = prepare_rollback(batch, items)
    return run(rollback_batch)
