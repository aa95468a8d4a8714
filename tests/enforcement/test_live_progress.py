"""Live progress and an honest mirror: the progress poll shows the Spotify calls made so far
and re-sends each row as its chunk lands; after Tunekeeper's own writes the library's mirror
column is right (not "up to date" at a stale count). Against the sandbox, in this process."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from bench.worlds.enforcement import library_state
from enforcement.executor import execute
from enforcement.models import ItemKind, ItemStatus
from enforcement.planner import plan
from enforcement.rollback import rollback
from ops.jobs import JobStatus
from playlists.models import Playlist
from spotify.models import ApiCall
from tests.enforcement.conftest import make_scene

pytestmark = pytest.mark.django_db(transaction=True)

SMALL = {
    "tracks": 400,
    "blocked_artists": 4,
    "liked_blocked": 90,
    "liked_clean": 8,
    "albums_blocked": 3,
    "albums_clean": 2,
    "playlists": ((20, 6), (15, 4)),
}


@pytest.fixture
def small(sandbox_site, transactional_db):
    return make_scene("watcher", **SMALL)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_calls_and_row_states_show_while_the_batch_is_paused_half_way(small, spotify_faults):
    batch = plan(small.user)
    started = batch.created_at
    spotify_faults.configure(daily_quota=2, quota_retry_after=3600)
    paused = execute(batch)
    assert paused.status == JobStatus.PAUSED  # still active: the page keeps polling

    made = ApiCall.objects.filter(job_id=paused.ledger_job_id).count()
    assert made > 0 and paused.calls_made == made
    done = list(paused.items.filter(status=ItemStatus.DONE).order_by("id"))
    assert 0 < len(done) < paused.total

    client = client_for(small.user)
    url = reverse("enforcement_progress", args=[paused.pk])
    since = (started - timedelta(seconds=1)).isoformat()
    response = client.get(url, {"since": since}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert f'<span data-testid="calls-made">{made}</span> Spotify calls so far' in body
    for item in done:
        assert f'id="item-status-{item.pk}" class="status-done" hx-swap-oob="true"' in body
    waiting = paused.items.filter(status=ItemStatus.PLANNED).first()
    assert f"item-status-{waiting.pk}" not in body
    # The next poll asks only for what landed after this one.
    assert "since=" in body

    page = client.get(reverse("enforcement_batch", args=[paused.pk])).content.decode()
    assert f'id="item-status-{done[0].pk}" class="status-done"' in page


def test_a_hostile_since_gets_the_progress_without_rows(small):
    batch = execute(plan(small.user))
    client = client_for(small.user)
    url = reverse("enforcement_progress", args=[batch.pk])
    for since in ("yesterday", "2026-13-45T99:00", "x" * 5000, "2026-01-01T00:00:00"):
        response = client.get(url, {"since": since})
        assert response.status_code == 200
        assert "hx-swap-oob" not in response.content.decode()


def test_the_mirror_is_right_after_tunekeepers_own_removals_and_restores(small):
    client = client_for(small.user)
    touched = set(small.world.playlist_blocked)
    batch = execute(plan(small.user))
    assert batch.status == JobStatus.COMPLETED
    after = library_state(small.owner)
    for spotify_id in touched:
        row = Playlist.objects.get(user=small.user, spotify_id=spotify_id)
        assert row.up_to_date
        assert row.item_count == row.items_total == len(after.playlists[spotify_id])
        mirrored = list(row.items.order_by("position").values_list("uri", "position"))
        assert [uri for uri, _ in mirrored] == after.playlists[spotify_id]
        assert [position for _, position in mirrored] == list(range(len(mirrored)))
    page = client.get(reverse("library")).content.decode()
    assert "changed since last read" not in page

    undo = rollback(batch)
    assert undo.status == JobStatus.COMPLETED
    restored = library_state(small.owner)
    for spotify_id in touched:
        row = Playlist.objects.get(user=small.user, spotify_id=spotify_id)
        # Inserted back: Tunekeeper does not claim to know the rows, but knows the count.
        assert not row.up_to_date
        assert row.items_total == len(restored.playlists[spotify_id])
    assert "changed since last read" in client.get(reverse("library")).content.decode()


def test_liked_songs_chunks_do_not_touch_playlist_rows(small):
    batch = plan(small.user)
    batch.items.filter(kind=ItemKind.PLAYLIST_ITEM).update(selected=False)
    before = {
        row.spotify_id: (row.snapshot_id, row.item_count)
        for row in Playlist.objects.filter(user=small.user)
    }
    execute(batch)
    after = {
        row.spotify_id: (row.snapshot_id, row.item_count)
        for row in Playlist.objects.filter(user=small.user)
    }
    assert after == before
