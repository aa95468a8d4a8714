"""Undo is remembered: what a person unticked or rolled back becomes a kept exception of the
blocklist that every later run — manual or automatic — respects; automatic runs apply only
approved entries; every automatic run is listed with what it removed and a rollback button.
Against the sandbox Spotify, in this process."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from bench.worlds.enforcement import block_artists, expected_after, library_state
from core import clock
from enforcement.automatic import approve_plan, first_plan, run_automatic
from enforcement.executor import execute
from enforcement.keep import approve_entries
from enforcement.models import (
    BatchOrigin,
    BlockEntry,
    EnforcementSettings,
    ItemKind,
    ItemStatus,
    KeptBecause,
    KeptItem,
)
from enforcement.planner import plan, refresh_estimate
from enforcement.rollback import rollback
from ops.jobs import JobStatus
from playlists.refresh import refresh_library
from tests.enforcement.conftest import make_scene

pytestmark = pytest.mark.django_db(transaction=True)

SMALL = {
    "tracks": 400,
    "blocked_artists": 4,
    "liked_blocked": 12,
    "liked_clean": 8,
    "albums_blocked": 3,
    "albums_clean": 2,
    "playlists": ((20, 6), (15, 4)),
}


@pytest.fixture
def small(sandbox_site, transactional_db):
    return make_scene("undoer", **SMALL)


def untick(batch, item) -> None:
    batch.items.filter(pk=item.pk).update(selected=False)
    refresh_estimate(batch)


def next_day(user) -> None:
    EnforcementSettings.objects.filter(user=user).update(
        last_automatic_at=clock.now() - timedelta(days=1)
    )


def test_an_unticked_item_is_kept_by_every_later_run(small):
    first = plan(small.user)
    spared = first.items.filter(kind=ItemKind.PLAYLIST_ITEM).order_by("id").first()
    untick(first, spared)
    execute(first)

    kept = KeptItem.objects.get()
    assert (kept.kind, kept.uri, kept.playlist_spotify_id) == (
        spared.kind,
        spared.uri,
        spared.playlist_spotify_id,
    )
    assert kept.because == KeptBecause.UNTICKED and kept.blocklist == spared.entry.blocklist

    refresh_library(small.user)
    second = plan(small.user)
    again = second.items.get(uri=spared.uri, playlist_spotify_id=spared.playlist_spotify_id)
    assert again.status == ItemStatus.SKIPPED and not again.selected
    assert again.reason.startswith("Kept: you unticked it")
    execute(second)
    assert spared.uri in library_state(small.owner).playlists[spared.playlist_spotify_id]


def test_everything_rolled_back_stays_through_manual_and_automatic_runs(small):
    done = execute(plan(small.user))
    assert library_state(small.owner) == expected_after(small.original, small.world)
    rollback(done)
    assert library_state(small.owner) == small.original
    assert KeptItem.objects.filter(because=KeptBecause.ROLLED_BACK).count() == done.done

    refresh_library(small.user)
    manual = plan(small.user)
    assert manual.total == 0
    assert not manual.items.exclude(status=ItemStatus.SKIPPED).exists()

    # Turning automatic on: the first plan removes nothing, and neither does tomorrow's run.
    approval = first_plan(small.user)
    assert approval.total == 0
    approve_plan(execute(approval))
    next_day(small.user)
    tomorrow = run_automatic(small.user)
    assert tomorrow is not None and tomorrow.total == 0
    assert library_state(small.owner) == small.original


def test_removing_a_kept_exception_lets_the_next_plan_remove_it(small):
    first = plan(small.user)
    spared = first.items.filter(kind=ItemKind.LIKED_TRACK).order_by("id").first()
    untick(first, spared)
    execute(first)
    client = Client()
    client.force_login(small.user)
    page = client.get(reverse("blocklist")).content.decode()
    assert "Kept exceptions: 1" in page and spared.label in page

    client.post(reverse("blocklist_kept_delete", args=[KeptItem.objects.get().pk]))
    assert not KeptItem.objects.exists()
    refresh_library(small.user)
    again = plan(small.user)
    assert again.items.get(uri=spared.uri, kind=ItemKind.LIKED_TRACK).selected


def test_automatic_runs_leave_new_entries_alone_until_approved(small):
    blocked = small.world.blocked_artists
    BlockEntry.objects.filter(spotify_id=blocked[-1]).delete()
    approve_plan(execute(first_plan(small.user)))  # approves the first three artists
    block_artists(small.user, [blocked[-1]])  # added after the approval
    newcomer = BlockEntry.objects.get(spotify_id=blocked[-1])
    assert newcomer.approved_at is None

    next_day(small.user)
    run = run_automatic(small.user)
    touched = run.items.exclude(status=ItemStatus.SKIPPED)
    assert not touched.filter(entry=newcomer).exists()
    assert any("1 new blocklist entry waits for your approval" in w for w in run.warnings)

    # Chosen "apply new entries without asking": the next run applies it.
    EnforcementSettings.objects.filter(user=small.user).update(apply_new_entries=True)
    next_day(small.user)
    later = run_automatic(small.user)
    assert later.items.filter(entry=newcomer, status=ItemStatus.DONE).exists()
    assert library_state(small.owner) == expected_after(small.original, small.world)


def test_executing_a_plan_approves_only_entries_it_was_made_with(small):
    made = plan(small.user)
    block_artists(small.user, ["0" * 22])
    approve_entries(small.user, as_of=made.created_at)
    assert set(
        BlockEntry.objects.filter(approved_at__isnull=True).values_list("spotify_id", flat=True)
    ) == {"0" * 22}


def test_every_automatic_run_is_listed_with_what_it_removed_and_a_rollback(small):
    approval = execute(first_plan(small.user))
    approve_plan(approval)
    assert approval.origin == BatchOrigin.AUTOMATIC and approval.status == JobStatus.COMPLETED
    client = Client()
    client.force_login(small.user)
    for page in (reverse("dashboard"), reverse("blocklist")):
        body = client.get(page).content.decode()
        assert 'data-testid="automatic-runs"' in body
        assert f"removed {approval.done}" in body
        some = approval.items.filter(status=ItemStatus.DONE).order_by("id").first()
        assert some.label in body
        assert reverse("enforcement_rollback", args=[approval.pk]) in body
    # The rollback button asks first, then puts everything back.
    url = reverse("enforcement_rollback", args=[approval.pk])
    assert "Put back" in client.post(url).content.decode()
    client.post(url, {"confirmed": "yes"})
    assert approval.rollbacks.count() == 1


def test_a_run_with_nothing_to_remove_is_listed_too(small):
    EnforcementSettings.objects.create(user=small.user, automatic=True, apply_new_entries=True)
    BlockEntry.objects.all().delete()
    run = run_automatic(small.user)
    assert run.total == 0
    client = Client()
    client.force_login(small.user)
    assert "nothing to remove" in client.get(reverse("blocklist")).content.decode()
