"""Every endpoint's answer validated against the component schemas of Spotify's OpenAPI file
(see schemas.py for how deprecated `required` fields and real-world nulls are treated), and the
development-mode rule that deprecated fields are absent (present again in extended mode)."""

import pytest
from jsonschema import ValidationError

from sandbox.spotify.models import Album, Artist, Track
from tests.sandbox import schemas

DEPRECATED_ARTIST = {"genres", "popularity", "followers"}
DEPRECATED_TRACK = {"popularity", "available_markets", "linked_from", "preview_url"}
DEPRECATED_ALBUM = {"label", "popularity", "available_markets", "genres"}


def assert_valid(data, component=None, *, response=None):
    schema = schemas.response_schema(response) if response else None
    schemas.validate(data, component, schema=schema)
    assert schemas.unknown_keys(data) == set(), "fields the spec does not know"


def test_the_validator_rejects_a_wrong_shape():
    with pytest.raises(ValidationError):
        schemas.validate({"id": 5, "type": "track"}, "TrackObject")
    with pytest.raises(ValidationError):
        schemas.validate({"href": "x", "items": [], "limit": 20}, "PagingObject")  # missing keys


def test_my_playlists_page(api, library):
    data = api.get("/me/playlists").json()
    assert_valid(data, "PagingPlaylistObject")
    assert data["total"] == 2
    assert all("tracks" not in playlist for playlist in data["items"])


def test_a_playlist_with_its_first_page_of_items(api, own_playlist):
    data = api.get(f"/playlists/{own_playlist.spotify_id}").json()
    non_local = {**data, "items": {**data["items"], "items": _without_local(data["items"])}}
    assert_valid(non_local, "PlaylistObject")
    assert data["items"]["total"] == 40 and len(data["items"]["items"]) == 40


def _without_local(page):
    return [row for row in page["items"] if not row["is_local"]]


def test_playlist_items_page_has_null_items_and_a_deprecated_track_key_absent(api, own_playlist):
    page = api.get(f"/playlists/{own_playlist.spotify_id}/items", limit=50).json()
    assert_valid({**page, "items": _without_local(page)}, "PagingPlaylistTrackObject")
    rows = page["items"]
    assert any(row["item"] is None for row in rows)
    assert all("track" not in row for row in rows)


def test_saved_tracks_albums_followed_artists_and_history(api, library):
    assert_valid(api.get("/me/tracks", limit=50).json(), "PagingSavedTrackObject")
    assert_valid(api.get("/me/albums", limit=50).json(), "PagingSavedAlbumObject")
    assert_valid(
        api.get("/me/following", type="artist", limit=50).json(), response="CursorPagedArtists"
    )
    assert_valid(
        api.get("/me/player/recently-played", limit=50).json(), "CursorPagingPlayHistoryObject"
    )


def test_catalog_objects(api, library):
    track = Track.objects.first()
    album = Album.objects.exclude(album_type="single").first()
    artist = Artist.objects.exclude(name="Various Artists").first()
    assert_valid(api.get(f"/tracks/{track.spotify_id}").json(), "TrackObject")
    assert_valid(api.get(f"/albums/{album.spotify_id}").json(), "AlbumObject")
    assert_valid(
        api.get(f"/albums/{album.spotify_id}/tracks").json(), "PagingSimplifiedTrackObject"
    )
    assert_valid(api.get(f"/artists/{artist.spotify_id}").json(), "ArtistObject")
    assert_valid(
        api.get("/search", q="the", type="track,artist,album").json(), response="SearchItems"
    )
    assert_valid(api.get("/me").json(), "PrivateUserObject")


def test_writes_answer_in_spotify_shapes(api, own_playlist):
    created = api.post("/me/playlists", {"name": "New", "public": False})
    assert created.status_code == 201
    assert_valid(created.json(), "PlaylistObject")
    track = Track.objects.first()
    added = api.post(f"/playlists/{own_playlist.spotify_id}/items", {"uris": [track.uri]})
    assert_valid(added.json(), response="PlaylistSnapshotId")
    assert set(added.json()) == {"snapshot_id"}


def test_errors_are_spotify_error_objects(api, library):
    for response in (
        api.get("/tracks/not-base62"),
        api.get("/tracks/0000000000000000000000"),
        api.get("/tracks", ids="x"),
        api.get("/me/tracks", limit=51),
    ):
        body = response.json()
        schemas.validate(body, schema=schemas.response_schema("BadRequest"))
        assert body["error"]["status"] == response.status_code >= 400


def test_development_mode_leaves_out_every_deprecated_field(api, library):
    track = api.get(f"/tracks/{Track.objects.first().spotify_id}").json()
    album_id = Album.objects.exclude(album_type="single").first().spotify_id
    album = api.get(f"/albums/{album_id}").json()
    artist = api.get(f"/artists/{Artist.objects.first().spotify_id}").json()
    assert DEPRECATED_TRACK.isdisjoint(track) and DEPRECATED_TRACK.isdisjoint(
        album["tracks"]["items"][0]
    )
    assert DEPRECATED_ALBUM.isdisjoint(album) and DEPRECATED_ALBUM.isdisjoint(track["album"])
    assert DEPRECATED_ARTIST.isdisjoint(artist)
    me = api.get("/me").json()
    assert {"email", "country", "product", "followers", "explicit_content"}.isdisjoint(me)
    # external_ids survived (the March 2026 reversal): ISRC and UPC are there.
    assert track["external_ids"]["isrc"] and album["external_ids"]["upc"]


def test_extended_mode_serves_the_deprecated_fields(api, library, own_playlist, extended):
    track = api.get(f"/tracks/{Track.objects.first().spotify_id}").json()
    album_id = Album.objects.exclude(album_type="single").first().spotify_id
    album = api.get(f"/albums/{album_id}").json()
    artist_row = Artist.objects.exclude(name="Various Artists").first()
    artist = api.get(f"/artists/{artist_row.spotify_id}").json()
    assert {"popularity", "available_markets"} <= set(track)
    assert {"label", "popularity", "genres"} <= set(album)
    assert artist["genres"] == artist_row.genres and artist["genres"]
    assert artist["followers"]["total"] == artist_row.followers
    assert_valid(track, "TrackObject")
    assert_valid(album, "AlbumObject")
    assert_valid(artist, "ArtistObject")
    page = api.get(f"/playlists/{own_playlist.spotify_id}/items").json()
    assert all(row["item"] == row["track"] for row in page["items"])
    playlists = api.get("/me/playlists").json()["items"]
    assert all(p["tracks"]["total"] == p["items"]["total"] for p in playlists)
