"""The sandbox slskd itself: the demo's catalog, and the slskd behaviours clients trip over."""

import uuid
from datetime import timedelta

import pytest

from downloads import engine, matching
from downloads.client import SlskdClient
from downloads.errors import BadRequest, NotFound, Unauthorized
from downloads.http import Endpoint
from downloads.models import Download, SlskdSettings, Status
from sandbox.slskd import network
from tests.downloads.conftest import publish

pytestmark = pytest.mark.django_db


def client_for(slskd, key=None):
    return SlskdClient(Endpoint(slskd.base_url, key or slskd.API_KEY))


def test_the_demo_finds_the_sandbox_spotify_catalog(slskd, fake_clock):
    """Nothing published: the sandbox shares what the sandbox Spotify's catalog holds."""
    from sandbox.spotify.models import Album, Artist, Track, TrackArtist

    artist = Artist.objects.create(spotify_id="sbxartist0000000000001", name="Velvet Static")
    album = Album.objects.create(
        spotify_id="sbxalbum00000000000001",
        name="Night Drive",
        album_type="album",
        artist=artist,
        release_date="1998-05-01",
        release_date_precision="day",
        total_tracks=9,
    )
    track = Track.objects.create(
        spotify_id="sbxtrack00000000000001",
        name="Neon Harbour",
        album=album,
        track_number=3,
        duration_ms=241_000,
        isrc="USABC9800001",
    )
    TrackArtist.objects.create(track=track, artist=artist, position=0)

    files = network.search("velvet static neon harbour")
    assert files and all("Neon Harbour" in f.filename for f in files)
    lengths = {f.peer.username: f.length for f in files}
    assert lengths["mp3_collector"] == 241 and lengths["mislabeled"] == 241 + 47
    assert network.search("velvet static some other song") == []


def test_a_search_that_never_settles_is_stopped_and_read(slskd, worker, fake_clock):
    user = Download._meta.get_field("user").related_model.objects.create(username="ada")
    publish("Nina Simone", "Feeling Good", duration_s=173, peers=("mp3_collector",))
    slskd.configure(search_seconds=600)  # responses keep trickling in
    download = engine.request_download(
        user, matching.Wanted("Nina Simone", "Feeling Good", duration_s=173)
    ).download
    began = fake_clock.now()
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.COMPLETED
    # Stopped after the engine's hard timeout, not the ten minutes slskd would have taken.
    search_done = download.transfer_started_at - began
    assert timedelta(seconds=engine.SEARCH_HARD_TIMEOUT_SECONDS) <= search_done
    assert search_done < timedelta(seconds=engine.SEARCH_HARD_TIMEOUT_SECONDS + 10)


def test_unreachable_slskd_pauses_searching_and_keeps_the_track_queued(
    slskd, worker, fake_clock, django_user_model
):
    user = django_user_model.objects.create(username="ada")
    SlskdSettings.objects.create(user=user, base_url="http://127.0.0.1:9")  # nothing listens
    download = engine.request_download(user, matching.Wanted("A", "Song", duration_s=100)).download
    worker.run(until=fake_clock.now() + timedelta(seconds=30))
    download.refresh_from_db()
    assert download.status == Status.QUEUED
    instance = engine.instance_of(user)
    from downloads import throttle

    paused = throttle.paused_until(instance)
    assert paused is not None and "unreachable" in paused[1]
    throttle.reset(instance)
    engine.forget_pump(instance)


def test_the_api_refuses_what_slskd_refuses(slskd):
    client = client_for(slskd)
    with pytest.raises(Unauthorized):
        client_for(slskd, key="x" * 20).server()
    with pytest.raises(BadRequest):
        client.create_search(str(uuid.uuid4()), "   ")
    with pytest.raises(NotFound):
        client.transfer("mp3_collector", str(uuid.uuid4()))
    with pytest.raises(BadRequest):  # 0.26: a path that escapes the download folder
        client.enqueue(str(uuid.uuid4()), "mp3_collector", "@@x\\..\\..\\etc\\passwd", 10)
    with pytest.raises(NotFound):  # an offline peer
        slskd.configure(offline_users={"mp3_collector"})
        client.enqueue(str(uuid.uuid4()), "mp3_collector", "@@x\\a.mp3", 10)


def test_an_offline_peer_is_skipped_for_the_next_candidate(slskd, worker, django_user_model):
    user = django_user_model.objects.create(username="ada")
    publish("Nina Simone", "Feeling Good", duration_s=173, peers=("flac_hoarder", "cd_ripper"))
    slskd.configure(offline_users={"flac_hoarder"})
    download = engine.request_download(
        user, matching.Wanted("Nina Simone", "Feeling Good", duration_s=173)
    ).download
    worker.run()
    download.refresh_from_db()
    assert (download.status, download.chosen["username"]) == (Status.COMPLETED, "cd_ripper")
