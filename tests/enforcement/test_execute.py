"""Plan, execute and roll back against the sandbox Spotify, in this process (no worker)."""

import pytest

from bench.worlds.enforcement import expected_after, library_state
from enforcement.executor import execute
from enforcement.models import ActionChunk, ChunkStatus, ItemKind, ItemStatus
from enforcement.planner import plan
from enforcement.rollback import prepare_rollback, rollback
from ops.jobs import JobStatus
from sandbox.spotify import mutations
from spotify.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)


def calls(batch) -> int:
    return ApiCall.objects.filter(job_id=batch.ledger_job_id).count()


def test_it_plans_from_the_mirror_without_calling_spotify(scene):
    before = ApiCall.objects.count()
    batch = plan(scene.user)

    assert ApiCall.objects.count() == before
    assert batch.dry_run and batch.get_status_display() == "Dry run"
    assert batch.total == scene.world.actions
    assert batch.calls_estimated == scene.world.minimum_calls
    kinds = {kind: batch.items.filter(kind=kind).count() for kind in ItemKind.values}
    assert kinds[ItemKind.LIKED_TRACK] == len(scene.world.liked_blocked)
    assert kinds[ItemKind.SAVED_ALBUM] == len(scene.world.albums_blocked)
    assert kinds[ItemKind.FOLLOWED_ARTIST] == len(scene.world.followed_blocked)
    duplicate = [
        item for item in batch.items.filter(kind=ItemKind.PLAYLIST_ITEM) if len(item.positions) > 1
    ]
    assert len(duplicate) >= 1  # a track twice in a playlist: one item, every position kept
    item = duplicate[0]
    assert item.reason.startswith("Artist blocked:")
    assert item.before["snapshot_id"]
    assert all(place["added_at"] for place in item.before["positions"])


def test_it_executes_at_the_chunk_minimum_and_rolls_back_exactly(scene):
    batch = execute(plan(scene.user))

    assert batch.status == JobStatus.COMPLETED, batch.error
    assert batch.done == scene.world.actions and batch.failed == 0
    assert calls(batch) == scene.world.minimum_calls
    assert library_state(scene.owner) == expected_after(scene.original, scene.world)
    assert mutations.duplicates() == []
    assert not batch.items.exclude(status=ItemStatus.DONE).exists()
    assert set(batch.items.values_list("method", flat=True)) == {"library", "playlist"}

    undo = rollback(batch)

    assert undo.status == JobStatus.COMPLETED, undo.error
    assert undo.parent_id == batch.pk and undo.failed == 0
    assert library_state(scene.owner) == scene.original
    assert calls(undo) == undo.calls_estimated
    assert mutations.duplicates() == []


def test_executing_the_same_plan_twice_returns_the_first_run(scene):
    batch = plan(scene.user)
    first = execute(batch)
    writes = len(mutations.log())

    again = execute(batch)

    assert again.pk == first.pk and again.status == JobStatus.COMPLETED
    assert len(mutations.log()) == writes
    assert calls(again) == scene.world.minimum_calls


def test_asking_for_the_same_rollback_twice_returns_the_first(scene):
    batch = execute(plan(scene.user))
    first, created = prepare_rollback(batch)
    second, created_again = prepare_rollback(batch)

    assert created and not created_again and second.pk == first.pk


def test_a_partial_rollback_puts_items_back_in_their_relative_order(scene):
    batch = execute(plan(scene.user))
    playlist_items = list(batch.items.filter(kind=ItemKind.PLAYLIST_ITEM).order_by("id"))
    chosen = playlist_items[::3]

    rollback(batch, items=chosen)

    state = library_state(scene.owner)
    for spotify_id, uris in scene.original.playlists.items():
        restored_here = {i.uri for i in chosen if i.playlist_spotify_id == spotify_id}
        still_gone = scene.world.playlist_blocked.get(spotify_id, set()) - restored_here
        assert state.playlists[spotify_id] == [u for u in uris if u not in still_gone]
    # The rest can still be rolled back, and then everything is as it was.
    rollback(batch)
    assert library_state(scene.owner) == scene.original


def test_unticked_items_are_left_alone(scene):
    batch = plan(scene.user)
    kept = batch.items.filter(kind=ItemKind.LIKED_TRACK).order_by("id").first()
    kept.selected = False
    kept.save()

    batch = execute(batch)

    assert kept.uri in library_state(scene.owner).liked
    kept.refresh_from_db()
    assert kept.status == ItemStatus.SKIPPED
    assert batch.done == scene.world.actions - 1


def test_every_chunk_is_checkpointed(scene):
    batch = execute(plan(scene.user))

    chunks = ActionChunk.objects.filter(batch=batch)
    assert chunks.count() == scene.world.minimum_calls
    assert set(chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    assert all(c.attempts == 1 and not c.reconciled for c in chunks)
    assert all(0 < len(c.uris) <= 40 for c in chunks.filter(target="library"))
