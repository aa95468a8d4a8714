"""The seed: deterministic, realistic (ISRCs, UPCs, all three release-date precisions,
featured artists, duplicates, local files, unavailable rows, collaborative playlists, history),
and the sandbox_seed / sandbox_token commands."""

import hashlib
import io
import re
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from sandbox.spotify.models import (
    Album,
    Artist,
    FollowedArtist,
    IssuedToken,
    Play,
    Playlist,
    PlaylistItem,
    SandboxUser,
    SavedAlbum,
    SavedTrack,
    Track,
    TrackArtist,
)
from sandbox.spotify.seed import build_catalog, seed_demo, seed_playlist, wipe

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)


def digest() -> str:
    """Everything a client could see of the sandbox, hashed."""
    parts = [
        list(Artist.objects.order_by("spotify_id").values_list("spotify_id", "name", "genres")),
        list(
            Album.objects.order_by("spotify_id").values_list(
                "spotify_id", "name", "release_date", "upc", "artist__spotify_id"
            )
        ),
        list(
            Track.objects.order_by("spotify_id").values_list(
                "spotify_id", "name", "isrc", "duration_ms", "album__spotify_id"
            )
        ),
        list(
            TrackArtist.objects.order_by("track__spotify_id", "position").values_list(
                "track__spotify_id", "artist__spotify_id", "role"
            )
        ),
        list(
            Playlist.objects.order_by("spotify_id").values_list(
                "spotify_id", "name", "snapshot_id", "owner__spotify_id", "collaborative"
            )
        ),
        list(
            PlaylistItem.objects.order_by("playlist__spotify_id", "position").values_list(
                "uri", "added_at", "added_by__spotify_id", "is_local"
            )
        ),
        list(
            SavedTrack.objects.order_by("track__spotify_id").values_list(
                "track__spotify_id", "added_at"
            )
        ),
        list(
            Play.objects.order_by("played_at").values_list(
                "track__spotify_id", "played_at", "context_uri"
            )
        ),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def small_demo(**overrides):
    options = {
        "users": 3,
        "tracks": 600,
        "playlists": [30, 15, 60, 8, 25],
        "liked": 80,
        "saved_albums": 12,
        "followed_artists": 16,
        "plays": 120,
        "anchor": ANCHOR,
    }
    return seed_demo(**{**options, **overrides})


def test_the_same_seed_builds_the_same_sandbox(db):
    small_demo()
    first = digest()
    wipe()
    small_demo()
    assert digest() == first
    wipe()
    small_demo(rng_seed=1)
    assert digest() != first


def test_the_users_the_tests_rely_on(db):
    small_demo()
    assert list(SandboxUser.objects.values_list("display_name", flat=True)) == [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
    ]


def test_a_realistic_catalog(db):
    build_catalog(3000)
    assert Track.objects.count() >= 3000
    isrcs = list(Track.objects.values_list("isrc", flat=True))
    assert all(re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}", isrc) for isrc in isrcs)
    assert len({isrc[:2] for isrc in isrcs}) >= 6  # several countries
    assert {"year", "month", "day"} == set(
        Album.objects.values_list("release_date_precision", flat=True)
    )
    for album in Album.objects.all()[:200]:
        expected = {"year": 4, "month": 7, "day": 10}[album.release_date_precision]
        assert len(album.release_date) == expected
        digits = [int(d) for d in album.upc]
        assert (sum(digits[0:11:2]) * 3 + sum(digits[1:11:2]) + digits[11]) % 10 == 0
    assert set(Album.objects.values_list("album_type", flat=True)) == {
        "album",
        "single",
        "compilation",
    }
    assert Album.objects.filter(album_type="compilation", artist__name="Various Artists").exists()
    assert TrackArtist.objects.filter(role="featured").count() > 50
    assert Track.objects.filter(name__contains="(feat. ").exists()
    assert Track.objects.filter(disc_number=2).exists()
    # The same recording on a single and an album: one ISRC, two Spotify tracks.
    shared = Track.objects.values("isrc").annotate(n=Count("id")).filter(n__gt=1)
    assert shared.exists()
    assert all(len(t.spotify_id) == 22 for t in Track.objects.all()[:100])


def test_growing_the_catalog_keeps_what_exists(db):
    build_catalog(500)
    first = set(Track.objects.values_list("spotify_id", flat=True))
    assert build_catalog(400) == 0
    build_catalog(900)
    assert first <= set(Track.objects.values_list("spotify_id", flat=True))
    # Rows inserted with explicit ids: the id sequence must have moved past them.
    album = Album.objects.first()
    made = Track.objects.create(
        spotify_id="z" * 22, name="After the seed", album=album, duration_ms=1000, isrc="X"
    )
    assert made.pk > Track.objects.exclude(pk=made.pk).order_by("-pk").first().pk


def test_libraries_have_the_awkward_cases(db):
    small_demo()
    ada, grace, alan = SandboxUser.objects.order_by("id")
    items = PlaylistItem.objects.filter(playlist__owner=ada)
    assert items.count() == 30 + 15 + 60 + 8 + 25
    assert items.filter(is_local=True).exists()
    assert items.filter(is_local=False, track__isnull=True).exists()
    duplicates = (
        items.filter(track__isnull=False)
        .values("playlist", "track")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert duplicates.exists()
    shared = Playlist.objects.filter(collaborative=True)
    assert shared.filter(owner=ada).exists() and shared.filter(owner=grace).exists()
    for playlist in shared:
        assert playlist.public is False
        adders = set(
            PlaylistItem.objects.filter(playlist=playlist).values_list("added_by", flat=True)
        )
        assert adders == {ada.pk, grace.pk}
    assert SavedTrack.objects.filter(user=ada).count() == 80
    assert SavedTrack.objects.filter(user=alan).count() == 20  # others get a quarter
    assert SavedAlbum.objects.filter(user=ada).count() == 12
    assert FollowedArtist.objects.filter(user=ada).count() == 16
    plays = Play.objects.filter(user=ada).order_by("-played_at")
    assert plays.count() == 120 and plays.first().played_at < ANCHOR
    assert {"playlist", "album", ""} == set(plays.values_list("context_type", flat=True))


def test_seed_playlist_builds_one_big_playlist(db, ada):
    playlist = seed_playlist(ada, items=2500, tracks=1000)
    positions = list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == list(range(2500))
    assert Track.objects.count() >= 1000
    assert not PlaylistItem.objects.filter(playlist=playlist, track__isnull=True).exists()


def test_the_seed_command_is_idempotent_and_resets_on_request(db):
    out = io.StringIO()
    options = {"tracks": 300, "playlist_sizes": [10, 5], "liked": 20, "plays": 30}
    call_command("sandbox_seed", stdout=out, **options)
    assert "Ada Lovelace (adalovelace) — 20 liked" in out.getvalue()
    assert "100%  4/4  Alan Turing done" in out.getvalue()  # the bar: catalog, then 3 users
    before = digest()

    again = io.StringIO()
    call_command("sandbox_seed", stdout=again, **options)
    assert "library kept" in again.getvalue()
    assert digest() == before

    call_command("sandbox_seed", "--reset", stdout=io.StringIO(), **{**options, "liked": 5})
    assert SavedTrack.objects.filter(user__spotify_id="adalovelace").count() == 5
    assert SandboxUser.objects.count() == 3


def test_the_seed_command_refuses_bad_options(db):
    with pytest.raises(CommandError):
        call_command("sandbox_seed", "--playlist-sizes", "10,x", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("sandbox_seed", liked=-1, stdout=io.StringIO())


def test_sandbox_token_prints_a_working_token_for_the_first_or_a_named_user(db, client, users):
    out = io.StringIO()
    call_command("sandbox_token", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()
    issued = IssuedToken.objects.get(access_token=token)
    assert issued.user.spotify_id == "adalovelace"
    assert {"playlist-modify-private", "user-library-modify", "user-follow-read"} <= issued.scopes
    me = client.get("/sandbox-spotify/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["id"] == "adalovelace"

    named = io.StringIO()
    call_command("sandbox_token", "alanturing", stdout=named, stderr=io.StringIO())
    assert IssuedToken.objects.get(access_token=named.getvalue().strip()).user == users[2]
    with pytest.raises(CommandError, match="No sandbox user 'nobody'"):
        call_command("sandbox_token", "nobody", stdout=io.StringIO())


def test_sandbox_token_without_users_explains_what_to_do(db):
    with pytest.raises(CommandError, match="sandbox_seed"):
        call_command("sandbox_token", stdout=io.StringIO())
