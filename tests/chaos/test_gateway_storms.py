"""The gateway against the sandbox under fault storms: every call ends well or truthfully,
and the sandbox's mutation log shows no write twice."""

import pytest

from bench.scenarios.common import connect
from sandbox.spotify import faults, mutations
from sandbox.spotify.models import PlaylistItem, SavedTrack
from sandbox.spotify.seed import seed_library, seed_playlist
from spotify import state
from spotify.client import SpotifyClient
from spotify.errors import QuotaExceeded, ServerError
from spotify.models import AppState, Purpose

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox_faults():
    faults.reset()
    yield faults
    faults.reset()


@pytest.fixture
def ada(sandbox_site, sandbox_users):
    return sandbox_users[0]


def test_a_30_percent_429_storm_every_call_succeeds_and_no_write_is_doubled(
    ada, sandbox_faults, fake_clock
):
    playlist = seed_playlist(ada, items=1000, tracks=1200)
    seed_library(
        ada, tracks=1200, playlists=[], liked=200, saved_albums=0, followed_artists=0, plays=0
    )
    client = SpotifyClient(connect(ada), purpose=Purpose.LIBRARY, job_id="storm")
    sandbox_faults.configure(storm_rate=0.3, storm_retry_after=1, seed=11)

    read = [
        item.track.uri
        for page in client.playlist_items(playlist.spotify_id)
        for item in page.items
        if item.track
    ]
    assert len(read) == 1000
    new = [
        f"spotify:track:{tid}"
        for tid in SavedTrack.objects.filter(user=ada).values_list("track__spotify_id", flat=True)[
            :150
        ]
    ]
    client.add_items(playlist.spotify_id, new)
    client.library_remove(new)

    assert PlaylistItem.objects.filter(playlist=playlist).count() == 1150
    assert (
        SavedTrack.objects.filter(
            user=ada, track__spotify_id__in=[u.split(":")[-1] for u in new]
        ).count()
        == 0
    )
    assert mutations.duplicates() == []
    writes = [m["endpoint"] for m in mutations.log(include_sandbox=False)]
    assert writes == ["POST /playlists/{id}/items"] * 2 + ["DELETE /me/library"] * 4
    assert len(sandbox_faults.requests()) > 20 + 2 + 4  # the storm really answered some with 429


def test_a_5xx_storm_retries_reads_and_never_resends_an_add(ada, sandbox_faults, fake_clock):
    playlist = seed_playlist(ada, items=500, tracks=600)
    client = SpotifyClient(connect(ada), purpose=Purpose.SYNC, job_id="5xx")
    sandbox_faults.configure(server_error_rate=0.3, seed=3, only=("GET /playlists/{id}/items",))
    assert sum(len(page.items) for page in client.playlist_items(playlist.spotify_id)) == 500

    sandbox_faults.reset()
    sandbox_faults.fail_next(502, only=("POST /playlists/{id}/items",), after_apply=True)
    existing = PlaylistItem.objects.filter(playlist=playlist).values_list("uri", flat=True).first()
    with pytest.raises(ServerError):
        client.add_items(playlist.spotify_id, [existing])
    posts = mutations.log(endpoint="POST /playlists/{id}/items")
    assert len(posts) == 1  # it landed once, and the gateway did not send it again


def test_quota_exceeded_pauses_everything_until_the_clock_passes_it(
    ada, sandbox_faults, fake_clock
):
    client = SpotifyClient(connect(ada), purpose=Purpose.ARCHIVE, job_id="quota")
    sandbox_faults.configure(daily_quota=3, quota_retry_after=20 * 3600)
    for _ in range(3):
        client.current_user()
    with pytest.raises(QuotaExceeded) as raised:
        client.current_user()
    assert AppState.objects.get().pause_reason == "daily quota"
    sent = len(sandbox_faults.requests())
    with pytest.raises(QuotaExceeded):
        client.current_user()  # refused before it leaves: retrying while limited makes it worse
    assert len(sandbox_faults.requests()) == sent

    fake_clock.advance((raised.value.until - fake_clock.now()).total_seconds() + 1)
    sandbox_faults.configure(daily_quota=None)
    assert state.current_pause() is None
    assert client.current_user().id == ada.spotify_id


def test_a_sync_meeting_a_20_hour_quota_pauses_persists_and_resumes_when_the_clock_passes(
    ada, sandbox_faults, fake_clock
):
    from datetime import timedelta

    from ops.jobs import JobStatus
    from ops.tasks import resume_paused_jobs
    from sync.engine import sync_base
    from sync.tasks import sync_task
    from tests.chaos.scenes import base_with_one_child, child_uris, every_base_track_once

    _, base, remote = base_with_one_child(ada, items=300, tracks=400)
    sandbox_faults.configure(daily_quota=4, quota_retry_after=20 * 3600)

    event, _ = sync_base(base)

    assert event.status == JobStatus.PAUSED and event.pause_reason == "daily quota"
    assert event.paused_until >= fake_clock.now() + timedelta(hours=20)
    assert AppState.objects.get().paused_until == event.paused_until  # survives a restart
    assert resume_paused_jobs() == 0  # nothing before its time

    fake_clock.advance(20 * 3600 + 60)
    sandbox_faults.configure(daily_quota=None)  # Spotify's new day
    assert resume_paused_jobs() == 1
    event.refresh_from_db()
    assert event.status == JobStatus.QUEUED
    sync_task(event.pk)  # what the sweep's message runs on a worker

    event.refresh_from_db()
    assert event.status == JobStatus.COMPLETED, event.error
    assert child_uris(base) == every_base_track_once(remote)
    assert mutations.duplicates() == []
