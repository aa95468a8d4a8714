"""Recently played (ms cursors, only the newest 50 reachable, after/before) and the catalog:
one track/album/artist, 400 for malformed ids, 404 for unknown ones, search."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.spotify import faults
from sandbox.spotify.models import Album, Artist, Play, Track, TrackArtist


def ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def newest_plays(user, count=50):
    return list(Play.objects.filter(user=user).order_by("-played_at", "-id")[:count])


# --- Recently played ----------------------------------------------------------------------------


def test_newest_first_with_ms_cursors(api, library):
    page = api.get("/me/player/recently-played", limit=10).json()
    plays = newest_plays(library, 10)
    assert [row["track"]["id"] for row in page["items"]] == [p.track.spotify_id for p in plays]
    assert page["cursors"] == {
        "after": str(ms(plays[0].played_at)),
        "before": str(ms(plays[-1].played_at)),
    }
    assert page["items"][0]["played_at"].endswith("Z") and "." in page["items"][0]["played_at"]
    assert parse_qs(urlsplit(page["next"]).query) == {
        "before": [page["cursors"]["before"]],
        "limit": ["10"],
    }


def test_only_the_newest_50_are_reachable(api, library):
    rows, requests = api.walk("/me/player/recently-played", limit=20)
    assert len(rows) == 50 and requests == 3  # 80 plays exist; 30 are out of reach
    oldest_reachable = newest_plays(library)[-1]
    beyond = api.get("/me/player/recently-played", before=ms(oldest_reachable.played_at)).json()
    assert beyond["items"] == [] and beyond["next"] is None and beyond["cursors"] is None


def test_after_returns_plays_strictly_newer_than_the_cursor(api, library):
    plays = newest_plays(library)
    cursor = ms(plays[5].played_at)
    page = api.get("/me/player/recently-played", after=cursor, limit=50).json()
    assert [row["track"]["id"] for row in page["items"]] == [p.track.spotify_id for p in plays[:5]]


def test_after_with_more_than_limit_newer_plays_is_a_knob(api, library):
    plays = newest_plays(library)
    cursor = ms(plays[-1].played_at)
    newest = api.get("/me/player/recently-played", after=cursor, limit=3).json()
    assert [row["track"]["id"] for row in newest["items"]] == [
        p.track.spotify_id for p in plays[:3]
    ]
    faults.configure(recently_played_after="oldest")
    oldest = api.get("/me/player/recently-played", after=cursor, limit=3).json()
    assert [row["track"]["id"] for row in oldest["items"]] == [
        p.track.spotify_id for p in plays[-4:-1]
    ]


def test_after_and_before_together_are_400(api, library):
    response = api.get("/me/player/recently-played", after=1, before=2)
    assert response.status_code == 400
    assert api.get("/me/player/recently-played", limit=51).status_code == 400
    assert api.get("/me/player/recently-played", after="soon").status_code == 400


def test_a_new_play_shows_up_and_its_context(api, library):
    track = Track.objects.first()
    latest = newest_plays(library, 1)[0].played_at
    Play.objects.create(
        user=library,
        track=track,
        played_at=latest + timedelta(minutes=4),
        context_type="album",
        context_uri=track.album.uri,
    )
    page = api.get("/me/player/recently-played", after=ms(latest)).json()
    [row] = page["items"]
    assert row["track"]["id"] == track.spotify_id
    assert row["context"]["uri"] == track.album.uri
    assert row["context"]["href"].endswith(f"/v1/albums/{track.album.spotify_id}")


# --- Catalog ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tracks", "albums", "artists"])
def test_one_object_by_id(api, library, kind):
    model = {"tracks": Track, "albums": Album, "artists": Artist}[kind]
    row = model.objects.order_by("pk").first()
    data = api.get(f"/{kind}/{row.spotify_id}").json()
    assert data["id"] == row.spotify_id and data["uri"] == row.uri and data["name"] == row.name
    unknown = api.get(f"/{kind}/0000000000000000000000")
    assert unknown.status_code == 404
    malformed = api.get(f"/{kind}/abc")
    assert malformed.status_code == 400
    assert malformed.json()["error"]["message"] == "Invalid base62 id"


def test_a_track_lists_its_artists_in_order_with_featured_ones_after(api, library):
    credit = TrackArtist.objects.filter(role="featured").select_related("track").first()
    assert credit is not None, "the seed features guest artists"
    data = api.get(f"/tracks/{credit.track.spotify_id}").json()
    assert [a["id"] for a in data["artists"]] == list(
        credit.track.credits.order_by("position").values_list("artist__spotify_id", flat=True)
    )
    assert data["artists"][credit.position]["id"] == credit.artist.spotify_id
    assert data["external_ids"]["isrc"] == credit.track.isrc


def test_album_tracks_are_paged(api, library):
    album = Album.objects.filter(total_tracks__gte=10).first()
    page = api.get(f"/albums/{album.spotify_id}/tracks", limit=5).json()
    assert page["total"] == album.total_tracks and len(page["items"]) == 5
    assert page["next"]


def test_search_tracks_by_isrc_artist_and_words(api, library):
    track = Track.objects.select_related("album").first()
    artist = track.credits.first().artist
    by_isrc = api.get("/search", q=f"isrc:{track.isrc}", type="track").json()["tracks"]
    assert track.spotify_id in [t["id"] for t in by_isrc["items"]]
    assert all(t["external_ids"]["isrc"] == track.isrc for t in by_isrc["items"])

    by_artist = api.get("/search", q=f'artist:"{artist.name}"', type="track", limit=10).json()
    assert by_artist["tracks"]["total"] >= 1
    assert all(
        artist.name in [a["name"] for a in t["artists"]] for t in by_artist["tracks"]["items"]
    )

    word = track.name.split()[0].lower()
    by_word = api.get("/search", q=word, type="track,artist,album").json()
    assert set(by_word) == {"tracks", "artists", "albums"}
    assert by_word["tracks"]["limit"] == 5  # the development-mode default


def test_search_limits_by_mode(api, library, settings):
    assert api.get("/search", q="the", type="track", limit=10).status_code == 200
    assert api.get("/search", q="the", type="track", limit=11).status_code == 400
    settings.SPOTIFY_API_MODE = "extended"
    assert api.get("/search", q="the", type="track", limit=50).status_code == 200
    assert api.get("/search", q="the", type="track", offset=1001).status_code == 400


def test_search_needs_a_query_and_known_types(api, library):
    assert api.get("/search", type="track").status_code == 400
    assert api.get("/search", q="x", type="song").status_code == 400
    empty = api.get("/search", q="x", type="playlist").json()
    assert empty["playlists"]["items"] == [] and empty["playlists"]["total"] == 0


def test_unknown_api_paths_answer_in_spotify_shape(api, library):
    response = api.get("/browse/new-releases")
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "Service not found"}}


def test_cover_images_are_served_by_the_sandbox(client, api, library):
    album = Album.objects.first()
    url = api.get(f"/albums/{album.spotify_id}").json()["images"][0]["url"]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
