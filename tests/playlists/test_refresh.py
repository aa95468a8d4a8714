"""The library refresh against Spotify's exact shapes: what it mirrors, what it costs, and what a
half-read list leaves behind (nothing deleted)."""

import json

import pytest
import responses

from ops.jobs import JobStatus
from playlists.models import (
    Album,
    AlbumArtist,
    Artist,
    FollowedArtist,
    LibraryRefresh,
    LibraryTrack,
    LikedSong,
    Playlist,
    PlaylistItem,
    SavedAlbum,
    Track,
    TrackArtist,
)
from playlists.refresh import refresh_library, run_refresh_job, start_refresh
from spotify.errors import ServerError
from spotify.models import ApiCall
from tests.playlists.fake_spotify import local_track_json, track_json

pytestmark = pytest.mark.django_db

ITEMS = "GET /playlists/{id}/items"


def calls(endpoint: str | None = None) -> int:
    rows = ApiCall.objects.all()
    if endpoint:
        rows = rows.filter(endpoint=endpoint)
    return rows.count()


@pytest.fixture
def library(spotify):
    spotify.add_playlist("pl-road", range(0, 120), name="Road trip")  # 3 pages
    spotify.add_playlist("pl-small", range(200, 210), name="Small")  # 1 page
    spotify.add_playlist("pl-theirs", range(300, 305), owner="grace")  # not readable
    spotify.add_playlist("pl-collab", range(400, 460), owner="grace", collaborative=True)
    spotify.liked = list(range(500, 560))  # 2 pages
    spotify.saved_albums = [1, 2, 3]
    spotify.followed = list(range(0, 60))  # 2 pages (cursor)
    return spotify


def test_it_mirrors_playlists_items_and_library_lists_at_the_page_minimum(ada, library):
    result = refresh_library(ada)

    # 1 list page + (3 + 1 + 2) item pages + 2 liked + 1 albums + 2 artists; none for the
    # playlist owned by someone else (development mode would answer 403).
    assert calls() == 12 == result.calls
    assert calls(ITEMS) == 6
    assert result.items_seen == 120 + 10 + 60 + 60 + 3 + 60
    assert result.playlists_read == 3
    assert result.playlists_unreadable == 1

    road = Playlist.objects.get(user=ada, spotify_id="pl-road")
    assert road.is_owner and road.up_to_date and road.item_count == 120
    assert list(road.items.values_list("track_id", flat=True)[:3]) == [
        track_json(n)["id"] for n in range(3)
    ]
    theirs = Playlist.objects.get(spotify_id="pl-theirs")
    assert not theirs.is_owner and theirs.item_count == 0 and theirs.mirrored_snapshot_id == ""
    assert Playlist.objects.get(spotify_id="pl-collab").item_count == 60

    assert LikedSong.objects.filter(user=ada).count() == 60
    assert SavedAlbum.objects.filter(user=ada).count() == 3
    assert FollowedArtist.objects.filter(user=ada).count() == 60
    # The per-user index: every distinct track from the readable playlists and liked songs.
    assert LibraryTrack.objects.filter(user=ada).count() == 120 + 10 + 60 + 60
    assert LibraryTrack.objects.get(user=ada, track_id=track_json(500)["id"]).liked


def test_catalog_rows_come_from_the_embedded_objects(ada, spotify):
    playlist = spotify.add_playlist("pl-1", [])
    playlist.items = [
        {"added_at": "2026-01-01T00:00:00Z", "added_by": {"id": "ada"}, "is_local": False,
         "item": track_json(7, artists=(1, 2, 3))},
        {"added_at": None, "added_by": None, "is_local": True,
         "item": local_track_json("Demo", "Me")},
        {"added_at": "2026-01-01T00:00:00Z", "added_by": {"id": "ada"}, "is_local": False,
         "item": None},
    ]  # fmt: skip

    refresh_library(ada)

    track = Track.objects.get(pk=track_json(7)["id"])
    assert track.isrc == "USRC10000007"  # hyphens gone, as MusicBrainz wants it
    assert track.artist_names == "Artist 1, Artist 2, Artist 3"
    assert track.album.release_year == 1960 and track.album.release_date_precision == "day"
    links = list(TrackArtist.objects.filter(track=track).values_list("artist_id", "role"))
    assert links == [
        ("ar00000000000000000001", "primary"),
        ("ar00000000000000000002", "featured"),
        ("ar00000000000000000003", "featured"),
    ]
    assert AlbumArtist.objects.filter(album=track.album).count() == 1
    items = list(PlaylistItem.objects.order_by("position"))
    assert [i.track_id for i in items] == [track.pk, None, None]  # local and unavailable kept
    assert items[1].is_local and items[1].local_name == "Me – Demo"
    assert items[1].uri.startswith("spotify:local:")
    assert Track.objects.count() == 1 and Album.objects.count() == 1 and Artist.objects.count() == 3


def test_a_second_refresh_with_nothing_changed_reads_no_items(ada, library):
    refresh_library(ada)
    before = calls()

    result = refresh_library(ada)

    # One list page, plus the first page of each library list as its fingerprint.
    assert calls() - before == 1 + 3 == result.calls
    assert calls(ITEMS) == 6  # none added by the second refresh
    assert result.playlists_skipped == 3 and result.playlists_read == 0
    assert result.liked_songs is None and result.saved_albums is None
    assert LibraryTrack.objects.filter(user=ada).count() == 250


def test_only_the_playlist_whose_snapshot_changed_is_read_again(ada, library):
    refresh_library(ada)
    library.playlists[0].set_tracks(range(0, 60), snapshot="snap-2")
    library.liked = [999, *library.liked]
    before_items = calls(ITEMS)

    result = refresh_library(ada)

    assert calls(ITEMS) - before_items == 2  # pl-road's 60 items: two pages
    assert result.playlists_read == 1 and result.playlists_skipped == 2
    road = Playlist.objects.get(spotify_id="pl-road")
    assert road.item_count == 60 and road.mirrored_snapshot_id == "snap-2"
    assert PlaylistItem.objects.filter(playlist=road).count() == 60
    assert result.liked_songs == 61
    assert LikedSong.objects.filter(user=ada, track_id=track_json(999)["id"]).exists()


def test_a_failure_on_page_7_of_9_deletes_nothing(ada, spotify, fake_clock):
    big = spotify.add_playlist("pl-big", range(0, 450))  # 9 pages
    spotify.liked = list(range(1000, 1450))  # 9 pages
    refresh_library(ada)
    assert PlaylistItem.objects.filter(playlist__spotify_id="pl-big").count() == 450

    # Spotify now has fewer items, a new snapshot, one playlist fewer in the list... and
    # page 7 of each list fails.
    big.set_tracks(range(0, 400), snapshot="snap-2")
    spotify.add_playlist("pl-new", range(5000, 5010))
    spotify.liked = spotify.liked[:-50]
    spotify.fail_at["/playlists/pl-big/items"] = 300

    with pytest.raises(ServerError):
        refresh_library(ada)

    playlist = Playlist.objects.get(spotify_id="pl-big")
    assert playlist.mirrored_snapshot_id == "snap-1"  # still the old one: read again next time
    assert PlaylistItem.objects.filter(playlist=playlist).count() == 450
    assert LikedSong.objects.filter(user=ada).count() == 450

    # Liked songs fail on page 7 as well: still all 450 kept.
    fake_clock.advance(600)  # past the circuit breaker's cool-down after those 502s
    del spotify.fail_at["/playlists/pl-big/items"]
    spotify.fail_at["/me/tracks"] = 300
    with pytest.raises(ServerError):
        refresh_library(ada)
    assert LikedSong.objects.filter(user=ada).count() == 450
    assert PlaylistItem.objects.filter(playlist=playlist).count() == 400  # this one completed

    fake_clock.advance(600)
    del spotify.fail_at["/me/tracks"]
    refresh_library(ada)
    assert LikedSong.objects.filter(user=ada).count() == 400


def test_playlists_missing_from_a_half_read_list_are_not_pruned(ada, spotify, fake_clock):
    for n in range(120):  # 3 pages of playlists
        spotify.add_playlist(f"pl-{n:03d}", [n])
    refresh_library(ada)
    assert Playlist.objects.filter(user=ada).count() == 120

    del spotify.playlists[0]
    spotify.fail_at["/me/playlists"] = 100
    with pytest.raises(ServerError):
        refresh_library(ada)
    assert Playlist.objects.filter(user=ada).count() == 120

    fake_clock.advance(600)
    del spotify.fail_at["/me/playlists"]
    result = refresh_library(ada)
    assert result.playlists_pruned == 1
    assert not Playlist.objects.filter(spotify_id="pl-000").exists()
    assert not LibraryTrack.objects.filter(user=ada, track_id=track_json(0)["id"]).exists()


def test_a_forbidden_collaborative_playlist_is_marked_and_the_rest_goes_on(ada, library):
    library.forbidden.add("pl-collab")

    result = refresh_library(ada)

    collab = Playlist.objects.get(spotify_id="pl-collab")
    assert not collab.items_readable and "Forbidden" in collab.read_error
    assert result.playlists_read == 2
    assert LikedSong.objects.filter(user=ada).count() == 60


def test_refreshes_of_two_users_share_catalog_rows_and_keep_their_mirrors_apart(
    ada, outsider, library
):
    refresh_library(ada)
    library.me = "mallory"
    refresh_library(outsider)

    assert Playlist.objects.filter(user=outsider, is_owner=True).count() == 0
    assert Track.objects.count() == 120 + 10 + 60 + 60  # nothing duplicated
    assert LikedSong.objects.filter(user=outsider).count() == 60


def test_the_job_records_calls_and_items_and_completes(ada, library):
    job, created = start_refresh(ada)
    assert created
    again, created_again = start_refresh(ada)
    assert again.pk == job.pk and not created_again  # one active refresh per user

    job.claim()
    result = run_refresh_job(job)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.calls == result.calls == 12
    assert job.items_seen == job.done == 313
    assert job.total == 313
    assert ApiCall.objects.filter(job_id=job.ledger_job_id, purpose="library").count() == 12


def test_a_quota_lockout_pauses_the_job_instead_of_sleeping(ada, library, fake_clock):
    job, _ = start_refresh(ada)
    job.claim()
    library.rsps.replace(
        responses.GET,
        library.rsps.registered()[0].url,
        status=429,
        headers={"Retry-After": "86400"},
        body=json.dumps({"error": {"status": 429, "message": "x", "reason": "QUOTA_EXCEEDED"}}),
    )
    started = fake_clock.monotonic()

    assert run_refresh_job(job) is None

    job.refresh_from_db()
    assert job.status == JobStatus.PAUSED and job.pause_reason == "daily quota"
    assert job.paused_until > fake_clock.now()
    assert fake_clock.monotonic() - started < 60  # no long sleep
    assert not LibraryRefresh.objects.filter(status=JobStatus.RUNNING).exists()


def test_the_management_command_refreshes_and_prints_the_cost(ada, library, capsys):
    from django.core.management import call_command

    call_command("refresh_library", "--user", "ada", "--json")

    output = capsys.readouterr()
    printed = json.loads(output.out)
    assert printed["calls"] == 12 and printed["items_seen"] == 313
    assert "[##############################]  100%  313/313" in output.err  # the finished bar
    assert LibraryRefresh.objects.get(user=ada, full=False, status="completed")
    call_command("refresh_library", "--user", str(ada.pk))
    assert "4 calls" in capsys.readouterr().out  # list page + three fingerprints


def test_extended_mode_fills_spotify_genres_with_one_call_per_50_artists(ada, spotify, settings):
    settings.SPOTIFY_API_MODE = "extended"
    spotify.add_playlist("pl-1", range(0, 70))  # artists 0..6 (n % 7)
    spotify.artist_genres = {"ar00000000000000000003": ["dream pop", "shoegaze"]}

    refresh_library(ada)
    refresh_library(ada)  # known genres: nothing fetched again

    assert calls("GET /artists") == 1
    track = Track.objects.get(pk=track_json(3)["id"])
    assert track.spotify_genres == ["dream pop", "shoegaze"]
    assert Track.objects.get(pk=track_json(4)["id"]).spotify_genres == []
    assert Artist.objects.get(pk="ar00000000000000000003").popularity == 50


def test_development_mode_never_asks_for_artists(ada, library):
    refresh_library(ada)
    assert calls("GET /artists") == 0
    assert Track.objects.filter(spotify_genres__isnull=False).count() == 0


def test_a_playlist_listed_twice_while_paging_is_mirrored_once(ada, spotify):
    playlist = spotify.add_playlist("pl-twice", range(3))
    spotify.playlists.append(playlist)  # it moved between two list pages

    result = refresh_library(ada)

    assert result.playlists_listed == 1 and result.playlists_read == 1
    assert Playlist.objects.get(spotify_id="pl-twice").item_count == 3
