"""In Chromium, with a real Celery worker and the sandbox slskd on the live server: a person
opens a playlist, clicks "Download missing" and watches the tracks arrive."""

import pytest
from django.test import Client

from core import clock
from downloads import engine, throttle
from downloads.models import Download, SlskdSettings, Status
from sandbox.slskd import network
from sandbox.slskd import state as sandbox

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SHARED = [
    ("Nina Simone", "Feeling Good", "I Put a Spell on You", 173),
    ("Nina Simone", "Sinnerman", "Pastel Blues", 620),
]
NOBODY_HAS = ("Nina Simone", "A Song Nobody Shares", "Unreleased", 200)


def make_playlist(user):
    from playlists.models import (
        Album,
        Artist,
        ArtistRole,
        Playlist,
        PlaylistItem,
        Track,
        TrackArtist,
    )

    now = clock.now()
    artist = Artist.objects.create(id="browserartist000000001", name="Nina Simone", fetched_at=now)
    playlist = Playlist.objects.create(
        user=user, spotify_id="browserplaylist0000001", name="Evening", listed_at=now
    )
    for position, (_, title, album_name, seconds) in enumerate([*SHARED, NOBODY_HAS]):
        album = Album.objects.create(
            id=f"browseralbum{position:010d}", name=album_name, fetched_at=now
        )
        track = Track.objects.create(
            id=f"browsertrack{position:010d}",
            name=title,
            album=album,
            duration_ms=seconds * 1000,
            artist_names="Nina Simone",
            fetched_at=now,
        )
        TrackArtist.objects.create(track=track, artist=artist, position=0, role=ArtistRole.PRIMARY)
        PlaylistItem.objects.create(
            playlist=playlist, position=position, track=track, uri=track.uri
        )
    return playlist


def test_download_missing_tracks_and_watch_them_complete(
    page, live_server, celery_worker_process, django_user_model
):
    sandbox.reset()
    sandbox.configure(speed_factor=25, search_seconds=1.5)
    for artist, title, album, seconds in SHARED:
        network.publish(
            network.Song(artist, title, album, seconds),
            peers=("flac_hoarder", "cd_ripper", "mp3_collector", "bootlegger", "mislabeled"),
        )
    user = django_user_model.objects.create(username="nina-fan")
    # The worker is another process: it finds the sandbox through the person's settings.
    SlskdSettings.objects.create(
        user=user, base_url=f"{live_server.url}/sandbox-slskd", api_key=sandbox.API_KEY
    )
    instance = engine.instance_of(user)
    throttle.reset(instance)
    engine.forget_pump(instance)
    playlist = make_playlist(user)

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/downloads/playlists/{playlist.pk}/")
    assert page.get_by_role("heading", name="Evening").is_visible()
    page.get_by_role("button", name="Download missing (3)").click()

    rows = page.locator("#playlist-tracks tbody tr")
    rows.first.wait_for()
    for index in range(len(SHARED)):
        row = rows.nth(index)
        page.wait_for_function(
            "i => document.querySelectorAll('#playlist-tracks tbody tr')[i]"
            ".dataset.status === 'completed'",
            arg=index,
            timeout=90_000,
        )
        assert "Downloaded · FLAC 24/96" in row.inner_text()
    page.wait_for_function(
        "() => document.querySelectorAll('#playlist-tracks tbody tr')[2]"
        ".dataset.status === 'not_found'",
        timeout=90_000,
    )
    assert "On the wishlist" in rows.nth(2).inner_text()
    progress = page.locator(".job").first
    progress.get_by_text("Completed").wait_for(timeout=30_000)
    assert "2 downloaded, 1 on the wishlist" in progress.inner_text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Downloads").click()
    page.get_by_role("link", name="Nina Simone – Feeling Good").click()
    assert page.get_by_role("heading", name="Why this file").is_visible()
    assert page.get_by_text("from a complete album folder (10 tracks)").is_visible()

    statuses = dict(Download.objects.filter(user=user).values_list("title", "status"))
    assert statuses == {
        "Feeling Good": Status.COMPLETED,
        "Sinnerman": Status.COMPLETED,
        "A Song Nobody Shares": Status.NOT_FOUND,
    }
    assert sandbox.all_searches() == []  # every search read and deleted
    throttle.reset(instance)
