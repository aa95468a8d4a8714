"""What the person undid is remembered: kept exceptions, and approval of entries.

    remember(items, KeptBecause.ROLLED_BACK, batch)   # these stay from now on
    kept_items(user)                                   # {(kind, uri, playlist): KeptItem}
    approve_entries(user, as_of=plan.created_at)       # automatic runs may apply these

An exception belongs to the blocklist whose entry matched the item (the user's own list when
that entry is gone), so it is shown there, removed there, and goes with the list when the list
is deleted (and comes back when it is restored).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from core import clock
from enforcement.blocklist import own_blocklist
from enforcement.models import ActionBatch, ActionItem, BlockEntry, KeptItem


def _key(item) -> tuple[str, str, str]:
    return (item.kind, item.uri, item.playlist_spotify_id or "")


def remember(items: Iterable[ActionItem], because: str, batch: ActionBatch | None) -> int:
    """Make each item a kept exception of its entry's blocklist (already kept: unchanged);
    returns how many items were remembered."""
    rows, seen = [], set()
    own = None
    for item in items:
        if _key(item) in seen:
            continue  # a rollback has one item per restored position
        seen.add(_key(item))
        entry = item.entry if item.entry_id else None
        if entry is not None and entry.blocklist.deleted_at is None:
            blocklist = entry.blocklist
        else:
            own = own or own_blocklist(batch.user if batch else item.batch.user)
            blocklist = own
        rows.append(
            KeptItem(
                blocklist=blocklist,
                kind=item.kind,
                uri=item.uri,
                playlist_spotify_id=item.playlist_spotify_id or "",
                playlist_name=item.playlist_name,
                label=item.label,
                because=because,
                batch=batch,
            )
        )
    KeptItem.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def kept_items(user) -> dict[tuple[str, str, str], KeptItem]:
    """The exceptions of the user's live lists, by (kind, uri, playlist id or "")."""
    rows = (
        KeptItem.objects.filter(blocklist__user=user, blocklist__deleted_at__isnull=True)
        .select_related("blocklist")
        .order_by("created_at")
    )
    return {row.key: row for row in rows}


def unapproved_entries(user):
    """Entries of the user's live, enabled lists that automatic runs leave alone for now."""
    return BlockEntry.objects.filter(
        blocklist__user=user,
        blocklist__enabled=True,
        blocklist__deleted_at__isnull=True,
        approved_at__isnull=True,
    )


def approve_entries(user, *, as_of) -> int:
    """The person executed a plan made at `as_of`: every entry it was made with is approved
    for automatic runs (entries added later still wait)."""
    return unapproved_entries(user).filter(Q(created_at__lte=as_of)).update(approved_at=clock.now())
