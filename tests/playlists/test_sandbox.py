"""End to end against the sandbox Spotify (live server): the refresh costs exactly the page
minimum, a second one reads no items, an edited playlist is the only one read again, and an
import creates a real (sandbox) playlist in chunks of 100."""

from math import ceil

import pytest
from django.conf import settings

from playlists.imports.jobs import create_on_spotify
from playlists.models import (
    FollowedArtist,
    ImportRow,
    ImportStage,
    LikedSong,
    MatchStatus,
    Playlist,
    PlaylistImport,
    PlaylistItem,
    SavedAlbum,
)
from playlists.refresh import refresh_library
from sandbox.spotify import models as sandbox
from spotify.client import SpotifyClient
from spotify.models import ApiCall, Purpose

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = "GET /playlists/{id}/items"


def page_minimum(sandbox_user) -> int:
    """Pages a refresh cannot avoid: the playlist list, every readable playlist's items and
    each library list (an empty list still answers one page)."""
    follows = sandbox.PlaylistFollow.objects.filter(user=sandbox_user)
    pages = ceil(follows.count() / 50)
    for follow in follows.select_related("playlist__owner"):
        playlist = follow.playlist
        if playlist.owner_id == sandbox_user.pk or playlist.collaborative:
            items = sandbox.PlaylistItem.objects.filter(playlist=playlist).count()
            pages += max(ceil(items / 50), 1)
    for model in (sandbox.SavedTrack, sandbox.SavedAlbum, sandbox.FollowedArtist):
        pages += max(ceil(model.objects.filter(user=sandbox_user).count() / 50), 1)
    return pages


def test_a_refresh_costs_the_page_minimum_and_a_second_one_reads_no_items(world):
    user, ada_sandbox = world
    minimum = page_minimum(ada_sandbox)

    first = refresh_library(user)

    assert first.calls == minimum == ApiCall.objects.count()
    assert all(call.status == 200 for call in ApiCall.objects.all())
    # What Spotify (the sandbox) has is what the mirror has, local and unavailable rows too.
    for playlist in Playlist.objects.filter(user=user, is_owner=True):
        remote = sandbox.Playlist.objects.get(spotify_id=playlist.spotify_id)
        expected = sandbox.PlaylistItem.objects.filter(playlist=remote).count()
        assert playlist.item_count == expected == playlist.items.count()
        assert playlist.mirrored_snapshot_id == remote.snapshot_id
    assert PlaylistItem.objects.filter(track__isnull=True).exists()  # local / unavailable kept
    theirs = Playlist.objects.get(user=user, name="Grace's picks")
    assert not theirs.is_owner and theirs.item_count == 0
    for mine, theirs_model in (
        (LikedSong, sandbox.SavedTrack),
        (SavedAlbum, sandbox.SavedAlbum),
        (FollowedArtist, sandbox.FollowedArtist),
    ):
        expected = theirs_model.objects.filter(user=ada_sandbox).count()
        assert mine.objects.filter(user=user).count() == expected > 0

    before = ApiCall.objects.count()
    item_reads = ApiCall.objects.filter(endpoint=ITEMS).count()
    second = refresh_library(user)

    listing_pages = ceil(sandbox.PlaylistFollow.objects.filter(user=ada_sandbox).count() / 50)
    assert second.calls == ApiCall.objects.count() - before == listing_pages + 3
    assert ApiCall.objects.filter(endpoint=ITEMS).count() == item_reads  # zero item reads
    assert second.playlists_read == 0 and second.playlists_skipped == first.playlists_read


def test_an_edited_playlist_is_the_only_one_read_again(world):
    user, _ = world
    refresh_library(user)
    target = Playlist.objects.get(user=user, item_count=60)
    client = SpotifyClient(user, purpose=Purpose.INTERACTIVE)
    track_uris = list(sandbox.Track.objects.order_by("id").values_list("spotify_id", flat=True)[:3])
    client.add_items(target.spotify_id, [f"spotify:track:{t}" for t in track_uris])
    reads_before = ApiCall.objects.filter(endpoint=ITEMS).count()

    result = refresh_library(user)

    assert result.playlists_read == 1
    assert ApiCall.objects.filter(endpoint=ITEMS).count() - reads_before == ceil(63 / 50)
    target.refresh_from_db()
    assert target.item_count == 63 and target.up_to_date


def test_an_import_creates_the_playlist_on_the_sandbox_in_chunks(world):
    user, ada_sandbox = world
    uris = [
        f"spotify:track:{t}"
        for t in sandbox.Track.objects.order_by("id").values_list("spotify_id", flat=True)[:230]
    ]
    job = PlaylistImport.objects.create(
        user=user,
        name="From a file",
        file_name="list.txt",
        file_format="text",
        stage=ImportStage.CREATING,
    )
    ImportRow.objects.bulk_create(
        ImportRow(
            job=job, position=n, line=n, status=MatchStatus.MATCHED, include=True, matched_uri=uri
        )
        for n, uri in enumerate(uris)
    )

    create_on_spotify(job, SpotifyClient(user, purpose=Purpose.LIBRARY, job_id=job.ledger_job_id))

    created = sandbox.Playlist.objects.get(spotify_id=job.spotify_playlist_id)
    assert created.owner == ada_sandbox and created.name == "From a file"
    stored = list(
        sandbox.PlaylistItem.objects.filter(playlist=created)
        .order_by("position")
        .values_list("uri", flat=True)
    )
    assert stored == uris
    writes = ApiCall.objects.filter(job_id=job.ledger_job_id, endpoint="POST /playlists/{id}/items")
    assert writes.count() == 3  # 100 + 100 + 30
    assert settings.SPOTIFY_SANDBOX
