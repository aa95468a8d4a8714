"""The library: /me/library (≤40 URIs, mixed types, the artist-URI knob), its contains check,
saved albums, and the deprecated per-type writes (403 in development mode, working in extended
mode — DELETE /me/following is the gateway's extended-mode fallback for artists)."""

import pytest

from sandbox.spotify import faults
from sandbox.spotify.models import (
    Album,
    Artist,
    FollowedArtist,
    Playlist,
    PlaylistFollow,
    SavedAlbum,
    SavedTrack,
    Track,
)
from tests.sandbox.conftest import SandboxApi


def liked_uris(user) -> list[str]:
    return [
        f"spotify:track:{spotify_id}"
        for spotify_id in SavedTrack.objects.filter(user=user).values_list(
            "track__spotify_id", flat=True
        )
    ]


def test_remove_and_save_mixed_types_in_one_request(api, library, grace):
    track = liked_uris(library)[0]
    album = SavedAlbum.objects.filter(user=library).first().album
    artist = FollowedArtist.objects.filter(user=library).first().artist
    graces = Playlist.objects.filter(owner=grace).first() or Playlist.objects.create(
        spotify_id="g" * 22, owner=grace, name="Grace's"
    )
    uris = [track, album.uri, artist.uri, graces.uri]

    assert api.get("/me/library/contains", uris=",".join(uris)).json() == [
        True,
        True,
        True,
        False,
    ]
    assert api.delete(f"/me/library?uris={','.join(uris[:3])}").status_code == 200
    assert api.put(f"/me/library?uris={graces.uri}").status_code == 200
    assert api.get("/me/library/contains", uris=",".join(uris)).json() == [
        False,
        False,
        False,
        True,
    ]
    assert PlaylistFollow.objects.filter(user=library, playlist=graces).exists()
    assert not SavedTrack.objects.filter(user=library, track__spotify_id=track[14:]).exists()
    assert not FollowedArtist.objects.filter(user=library, artist=artist).exists()


def test_saving_again_keeps_the_original_date(api, library):
    saved = SavedTrack.objects.filter(user=library).first()
    api.put(f"/me/library?uris={saved.track.uri}")
    assert SavedTrack.objects.get(pk=saved.pk).added_at == saved.added_at


def test_a_newly_liked_song_is_at_the_top(api, library):
    new = Track.objects.exclude(pk__in=SavedTrack.objects.values("track_id")).first()
    api.put(f"/me/library?uris={new.uri}")
    assert api.get("/me/tracks", limit=1).json()["items"][0]["track"]["id"] == new.spotify_id


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Missing required parameter: uris"),
        ("uris=", "Missing required parameter: uris"),
        ("uris=spotify:track", "Invalid URI"),
        ("uris=4iV5W9uYEdYUVa79Axb7Rh", "Invalid URI"),
        ("uris=spotify:genre:4iV5W9uYEdYUVa79Axb7Rh", "Unsupported URI type"),
        ("uris=spotify:episode:4iV5W9uYEdYUVa79Axb7Rh", "not emulated"),
        ("uris=spotify:track:short", "Invalid base62 id"),
    ],
)
@pytest.mark.parametrize("method", ["put", "delete"])
def test_library_writes_refuse_bad_uris(api, library, method, query, message):
    response = getattr(api, method)(f"/me/library?{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_at_most_40_uris(api, library):
    uris = liked_uris(library)
    assert len(uris) >= 41
    for method in ("put", "delete"):
        assert getattr(api, method)(f"/me/library?uris={','.join(uris[:41])}").status_code == 400
    assert api.get("/me/library/contains", uris=",".join(uris[:41])).status_code == 400
    assert api.delete(f"/me/library?uris={','.join(uris[:40])}").status_code == 200
    assert SavedTrack.objects.filter(user=library).count() == 45 - 40


def test_saving_an_unknown_id_is_400_and_saves_nothing(api, library):
    known = Track.objects.exclude(pk__in=SavedTrack.objects.values("track_id")).first()
    response = api.put(f"/me/library?uris={known.uri},spotify:track:0000000000000000000000")
    assert response.status_code == 400
    assert not SavedTrack.objects.filter(track=known).exists()


def test_artist_uris_are_a_knob_for_writes_but_always_fine_for_contains(api, library):
    artist = FollowedArtist.objects.filter(user=library).first().artist
    faults.configure(library_artist_uris=False)
    refused = api.delete(f"/me/library?uris={artist.uri}")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "Unsupported URI type: artist"
    assert api.get("/me/library/contains", uris=artist.uri).json() == [True]
    faults.configure(library_artist_uris=True)
    assert api.delete(f"/me/library?uris={artist.uri}").status_code == 200
    assert api.get("/me/library/contains", uris=artist.uri).json() == [False]


def test_library_writes_need_the_scope_of_each_type(client, library):
    api = SandboxApi(client, library, scope="user-library-modify")
    track = liked_uris(library)[0]
    artist = FollowedArtist.objects.filter(user=library).first().artist
    assert api.delete(f"/me/library?uris={track}").status_code == 200
    refused = api.delete(f"/me/library?uris={artist.uri}")
    assert refused.status_code == 403
    assert FollowedArtist.objects.filter(user=library, artist=artist).exists()


def test_saved_albums_carry_full_albums_with_their_tracks(api, library):
    page = api.get("/me/albums", limit=50).json()
    assert page["total"] == 6
    album = page["items"][0]["album"]
    row = Album.objects.get(spotify_id=album["id"])
    assert album["tracks"]["total"] == row.tracks.count() == album["total_tracks"]
    assert [t["track_number"] for t in album["tracks"]["items"]] == sorted(
        t["track_number"] for t in album["tracks"]["items"] if t["disc_number"] == 1
    ) + [t["track_number"] for t in album["tracks"]["items"] if t["disc_number"] == 2]


# --- Deprecated per-type endpoints ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/me/tracks?ids={track}"),
        ("delete", "/me/tracks?ids={track}"),
        ("put", "/me/albums?ids={album}"),
        ("delete", "/me/albums?ids={album}"),
        ("put", "/me/following?type=artist&ids={artist}"),
        ("delete", "/me/following?type=artist&ids={artist}"),
        ("get", "/me/tracks/contains?ids={track}"),
        ("get", "/tracks?ids={track}"),
        ("get", "/artists?ids={artist}"),
        ("get", "/albums?ids={album}"),
    ],
)
def test_removed_endpoints_are_403_in_development_mode(api, library, method, path):
    ids = {
        "track": Track.objects.first().spotify_id,
        "album": Album.objects.first().spotify_id,
        "artist": Artist.objects.first().spotify_id,
    }
    response = getattr(api, method)(path.format(**ids))
    assert response.status_code == 403
    assert response.json() == {"error": {"status": 403, "message": "Forbidden"}}


def test_deprecated_writes_work_in_extended_mode(api, library, extended):
    track = Track.objects.exclude(pk__in=SavedTrack.objects.values("track_id")).first()
    assert api.put(f"/me/tracks?ids={track.spotify_id}").status_code == 200
    assert api.get("/me/tracks/contains", ids=track.spotify_id).json() == [True]
    assert api.delete("/me/tracks", {"ids": [track.spotify_id]}).status_code == 200
    assert not SavedTrack.objects.filter(user=library, track=track).exists()

    followed = FollowedArtist.objects.filter(user=library).first().artist
    response = api.delete(f"/me/following?type=artist&ids={followed.spotify_id}")
    assert response.status_code == 204
    assert not FollowedArtist.objects.filter(user=library, artist=followed).exists()
    assert api.put(f"/me/following?type=artist&ids={followed.spotify_id}").status_code == 204

    album = SavedAlbum.objects.filter(user=library).first().album
    assert api.delete(f"/me/albums?ids={album.spotify_id}").status_code == 200
    assert not SavedAlbum.objects.filter(user=library, album=album).exists()
    too_many = ",".join([track.spotify_id] * 51)
    assert api.put(f"/me/tracks?ids={too_many}").status_code == 400


def test_extended_mode_restores_a_like_with_its_original_date(api, library, extended):
    saved = SavedTrack.objects.filter(user=library).order_by("added_at").first()
    original = saved.added_at
    api.delete(f"/me/tracks?ids={saved.track.spotify_id}")
    response = api.put(
        "/me/tracks",
        {
            "timestamped_ids": [
                {"id": saved.track.spotify_id, "added_at": original.strftime("%Y-%m-%dT%H:%M:%SZ")}
            ]
        },
    )
    assert response.status_code == 200
    assert SavedTrack.objects.get(user=library, track=saved.track).added_at == original.replace(
        microsecond=0
    )


def test_batch_reads_in_extended_mode(api, library, extended):
    tracks = list(Track.objects.order_by("pk")[:3])
    ids = [t.spotify_id for t in tracks] + ["0000000000000000000000"]
    data = api.get("/tracks", ids=",".join(ids)).json()
    assert [t["id"] if t else None for t in data["tracks"]] == [*ids[:3], None]
    assert api.get("/tracks", ids=",".join([ids[0]] * 51)).status_code == 400
    albums = ",".join(Album.objects.values_list("spotify_id", flat=True)[:21])
    assert api.get("/albums", ids=albums).status_code == 400
    artists = list(Artist.objects.values_list("spotify_id", flat=True)[:2])
    found = api.get("/artists", ids=",".join(artists)).json()["artists"]
    assert [a["id"] for a in found] == artists and "genres" in found[0]
    assert api.get("/tracks", ids="bad").status_code == 400
