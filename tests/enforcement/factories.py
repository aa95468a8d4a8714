"""Builders for enforcement tests: blocklists, entries, batches owned by a given user."""

from __future__ import annotations

from core import clock
from enforcement.blocklist import own_blocklist
from enforcement.models import (
    ActionBatch,
    AllowEntry,
    BlockEntry,
    Blocklist,
    BlocklistImport,
    EntryKind,
    EntrySource,
    KeptBecause,
    KeptItem,
)
from ops.jobs import JobStatus

ARTIST_ID = "0123456789abcdefghijAB"


def entry(owner, kind: str = EntryKind.ARTIST, spotify_id: str = ARTIST_ID) -> BlockEntry:
    entry, _ = BlockEntry.objects.get_or_create(
        blocklist=own_blocklist(owner),
        kind=kind,
        spotify_id=spotify_id,
        defaults={"name": "Someone", "source": EntrySource.LINK},
    )
    return entry


def finished_batch(owner) -> ActionBatch:
    """An executed enforcement batch, still inside its rollback window."""
    now = clock.now()
    return ActionBatch.objects.create(
        user=owner,
        dry_run=False,
        status=JobStatus.COMPLETED,
        executed_at=now,
        finished_at=now,
        total=0,
    )


def plan_batch(owner) -> ActionBatch:
    return ActionBatch.objects.create(user=owner, dry_run=True)


def deleted_blocklist(owner) -> Blocklist:
    blocklist = Blocklist.objects.create(user=owner, name=f"Old list {clock.now().timestamp()}")
    blocklist.soft_delete()
    return blocklist


def kept_item(owner) -> KeptItem:
    return KeptItem.objects.create(
        blocklist=own_blocklist(owner),
        kind="liked_track",
        uri=f"spotify:track:{ARTIST_ID}",
        because=KeptBecause.ROLLED_BACK,
    )


def staged_import(owner) -> BlocklistImport:
    return BlocklistImport.objects.create(
        user=owner, file_name="shared.json", name="Shared", version=2, entries=[]
    )


# Route name → factory(owner) → URL kwargs, for tests/security/test_ownership_and_csrf.py.
OWNED_OBJECTS = {
    "blocklist_entry_delete": lambda owner: {"pk": entry(owner).pk},
    "blocklist_entry_featured": lambda owner: {"pk": entry(owner).pk},
    "blocklist_allow_delete": lambda owner: {
        "pk": AllowEntry.objects.create(user=owner, kind=EntryKind.TRACK, spotify_id=ARTIST_ID).pk
    },
    "blocklist_export": lambda owner: {"pk": own_blocklist(owner).pk, "fmt": "json"},
    "blocklist_list_delete": lambda owner: {"pk": own_blocklist(owner).pk},
    "blocklist_list_toggle": lambda owner: {"pk": own_blocklist(owner).pk},
    "blocklist_list_restore": lambda owner: {"pk": deleted_blocklist(owner).pk},
    "blocklist_kept_delete": lambda owner: {"pk": kept_item(owner).pk},
    "blocklist_import_review": lambda owner: {"pk": staged_import(owner).pk},
    "enforcement_batch": lambda owner: {"pk": finished_batch(owner).pk},
    "enforcement_progress": lambda owner: {"pk": finished_batch(owner).pk},
    "enforcement_select": lambda owner: {"pk": plan_batch(owner).pk},
    "enforcement_execute": lambda owner: {"pk": plan_batch(owner).pk},
    "enforcement_discard": lambda owner: {"pk": plan_batch(owner).pk},
    "enforcement_rollback": lambda owner: {"pk": finished_batch(owner).pk},
    "enforcement_resume": lambda owner: {"pk": finished_batch(owner).pk},
}
