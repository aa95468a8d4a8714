"""How a batch meets Spotify's refusals, in this process against the sandbox: artist URIs the
library endpoint will not take, a bad chunk split down to its bad item, a playlist gone, the
daily quota, a lost grant — and automatic enforcement catching a new like."""

from datetime import timedelta

import pytest

from bench.worlds.enforcement import expected_after, library_state
from core import clock
from enforcement.automatic import approve_plan, due_users, first_plan, run_automatic
from enforcement.executor import execute, resume, run
from enforcement.models import (
    ActionChunk,
    ArtistMethod,
    BatchOrigin,
    ChunkStatus,
    EnforcementSettings,
    ErrorKind,
    ItemKind,
    ItemStatus,
)
from enforcement.planner import plan
from enforcement.rollback import rollback
from ops.jobs import JobStatus
from sandbox.spotify import mutations
from sandbox.spotify.models import Playlist as SandboxPlaylist
from sandbox.spotify.models import SavedTrack, Track, TrackArtist
from spotify import state
from spotify.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)


def calls(batch, **filters) -> int:
    return ApiCall.objects.filter(job_id=batch.ledger_job_id, **filters).count()


def test_without_artist_uris_on_the_library_endpoint_development_mode_says_so(
    scene, spotify_faults
):
    spotify_faults.configure(library_artist_uris=False)

    batch = execute(plan(scene.user))

    assert batch.status == JobStatus.COMPLETED
    assert batch.artist_method == ArtistMethod.UNSUPPORTED
    artists = batch.items.filter(kind=ItemKind.FOLLOWED_ARTIST)
    assert set(artists.values_list("status", "error_kind")) == {
        (ItemStatus.FAILED, ErrorKind.PERMANENT)
    }
    assert "unfollow these artists in the Spotify app" in artists.first().error
    assert batch.failed == artists.count()
    state_now = library_state(scene.owner)
    expected = expected_after(scene.original, scene.world)
    assert (state_now.liked, state_now.albums, state_now.playlists) == (
        expected.liked,
        expected.albums,
        expected.playlists,
    )
    assert state_now.artists == scene.original.artists  # nothing unfollowed
    assert mutations.duplicates() == []


def test_extended_mode_unfollows_through_me_following_and_records_it(
    scene, spotify_faults, settings
):
    settings.SPOTIFY_API_MODE = "extended"
    spotify_faults.configure(library_artist_uris=False, api_mode="extended")

    batch = execute(plan(scene.user))

    assert batch.status == JobStatus.COMPLETED and batch.failed == 0
    assert batch.artist_method == ArtistMethod.FOLLOWING
    assert set(
        batch.items.filter(kind=ItemKind.FOLLOWED_ARTIST).values_list("method", flat=True)
    ) == {"following"}
    assert library_state(scene.owner) == expected_after(scene.original, scene.world)
    assert calls(batch, endpoint="DELETE /me/following") == 1  # 20 artists, 50 per call

    undo = rollback(batch)

    assert undo.status == JobStatus.COMPLETED and undo.failed == 0
    assert calls(undo, endpoint="PUT /me/following") == 1
    assert library_state(scene.owner) == scene.original


def test_a_refused_chunk_is_split_until_the_bad_item_stands_alone(scene, spotify_faults):
    """A 400 on a library chunk: the halves go separately (the first try applied nothing)."""
    spotify_faults.fail_next(
        400, only=("DELETE /me/library",), body={"error": {"status": 400, "message": "Invalid URI"}}
    )

    batch = execute(plan(scene.user))

    assert batch.status == JobStatus.COMPLETED and batch.failed == 0
    assert calls(batch) == scene.world.minimum_calls + 2  # the refused one, then two halves
    assert ActionChunk.objects.filter(batch=batch, status=ChunkStatus.SPLIT).count() == 1
    assert library_state(scene.owner) == expected_after(scene.original, scene.world)


def test_an_item_spotify_keeps_refusing_fails_alone(scene):
    """Rolling back a like of a track Spotify no longer has: that item fails, the rest return."""
    batch = execute(plan(scene.user))
    gone = batch.items.filter(kind=ItemKind.LIKED_TRACK).order_by("id").first()
    Track.objects.filter(spotify_id=gone.spotify_id).delete()  # withdrawn from the catalog

    undo = rollback(batch)

    assert undo.status == JobStatus.COMPLETED
    failed = undo.items.get(status=ItemStatus.FAILED)
    assert failed.origin_id == gone.pk and failed.error_kind == ErrorKind.PERMANENT
    assert undo.failed == 1
    assert undo.items.filter(status=ItemStatus.DONE).count() == undo.total - 1


def test_a_playlist_deleted_since_the_plan_fails_alone(scene):
    batch = plan(scene.user)
    doomed = next(iter(scene.world.playlist_blocked))
    SandboxPlaylist.objects.filter(spotify_id=doomed).delete()

    batch = execute(batch)

    assert batch.status == JobStatus.COMPLETED
    failed = batch.items.filter(status=ItemStatus.FAILED)
    assert set(failed.values_list("playlist_spotify_id", flat=True)) == {doomed}
    assert batch.failed == failed.count() == len(scene.world.playlist_blocked[doomed])
    assert batch.done == scene.world.actions - batch.failed
    assert calls(batch, status=404) == 1  # its other chunks were not even tried


def test_the_daily_quota_pauses_the_batch_and_it_resumes_where_it_stopped(scene, spotify_faults):
    spotify_faults.configure(daily_quota=6, quota_retry_after=3600)  # counted from now

    paused = execute(plan(scene.user))

    assert paused.status == JobStatus.PAUSED and paused.pause_reason == "daily quota"
    assert paused.paused_until > clock.now() + timedelta(minutes=50)
    sent = ActionChunk.objects.filter(batch=paused, status=ChunkStatus.DONE).count()
    assert 0 < sent < scene.world.minimum_calls

    # A day later (the sweep would re-queue it): the quota is back.
    spotify_faults.configure(daily_quota=None)
    state.clear_pause()
    paused.status = JobStatus.QUEUED
    paused.save(update_fields=["status"])
    finished = run(paused)

    assert finished.status == JobStatus.COMPLETED and finished.failed == 0
    assert library_state(scene.owner) == expected_after(scene.original, scene.world)
    assert mutations.duplicates() == []


def test_a_lost_grant_fails_the_batch_with_a_way_back(scene, spotify_faults):
    from sandbox.spotify import faults

    batch = plan(scene.user)
    faults.revoke(scene.owner, access_tokens=True)

    failed = execute(batch)

    assert failed.status == JobStatus.FAILED and "reconnect" in failed.error.lower()
    assert not ActionChunk.objects.filter(batch=failed, status=ChunkStatus.SENDING).exists()
    resumed = resume(failed)
    assert resumed.status == JobStatus.QUEUED


def test_automatic_enforcement_removes_a_newly_liked_blocked_track_by_the_next_run(scene):
    # Switched on by approving the first automatic plan: that plan is today's run.
    first = execute(first_plan(scene.user))
    approve_plan(first)
    assert EnforcementSettings.objects.get(user=scene.user).automatic

    assert first.origin == BatchOrigin.AUTOMATIC and first.status == JobStatus.COMPLETED
    assert library_state(scene.owner) == expected_after(scene.original, scene.world)
    assert run_automatic(scene.user) is None  # not due again the same day

    blocked_artist = scene.world.blocked_artists[0]
    fresh = (
        TrackArtist.objects.filter(artist__spotify_id=blocked_artist, position=0)
        .exclude(track__in=SavedTrack.objects.filter(user=scene.owner).values("track"))
        .first()
        .track
    )
    SavedTrack.objects.create(user=scene.owner, track=fresh, added_at=clock.now())
    EnforcementSettings.objects.filter(user=scene.user).update(
        last_automatic_at=clock.now() - timedelta(days=1)
    )

    second = run_automatic(scene.user)

    assert second.status == JobStatus.COMPLETED
    assert list(second.items.values_list("uri", flat=True)) == [fresh.uri]
    assert fresh.uri not in library_state(scene.owner).liked


def test_automatic_enforcement_is_off_by_default(scene):
    assert due_users() == []
    assert run_automatic(scene.user) is None


def test_a_playlist_removal_refused_once_is_retried_without_the_snapshot(scene, spotify_faults):
    spotify_faults.fail_next(
        400,
        only=("DELETE /playlists/{id}/items",),
        body={"error": {"status": 400, "message": "Invalid snapshot id"}},
    )

    batch = execute(plan(scene.user))

    assert batch.status == JobStatus.COMPLETED and batch.failed == 0
    assert calls(batch) == scene.world.minimum_calls + 1
    removals = mutations.log(endpoint="DELETE /playlists/{id}/items")
    refused_playlist = removals[0]["target_id"]  # the first one sent got the 400
    assert "snapshot_id" not in removals[0]["payload"]  # its retry went without the snapshot
    firsts = {}
    for write in removals:
        firsts.setdefault(write["target_id"], write)
    assert all(
        "snapshot_id" in write["payload"]
        for target, write in firsts.items()
        if target != refused_playlist
    )
    assert library_state(scene.owner) == expected_after(scene.original, scene.world)
