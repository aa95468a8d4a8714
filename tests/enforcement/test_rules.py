"""What a blocklist blocks, read from the mirror alone: primary and featured artists, albums,
tracks, allowlist overrides, switched-off lists, collaborative playlists."""

import io

import pytest
from django.core.management import call_command

from core import clock
from enforcement.blocklist import add_allow, add_entry, blocked_track_ids, parse_references
from enforcement.models import Blocklist, ItemKind, ItemStatus
from enforcement.planner import plan
from playlists.models import (
    Album,
    AlbumArtist,
    Artist,
    ArtistRole,
    FollowedArtist,
    LibraryState,
    LikedSong,
    Playlist,
    PlaylistItem,
    SavedAlbum,
    Track,
    TrackArtist,
)

pytestmark = pytest.mark.django_db


def sid(prefix: str, number: int) -> str:
    return f"{prefix}{number:020d}"[:22].ljust(22, "0")


class Catalog:
    """A tiny catalog: artists A (blocked later), B, C; albums; tracks with credits."""

    def __init__(self):
        now = clock.now()
        self.a, self.b, self.c = (
            Artist.objects.create(id=sid(n, 1), name=n.upper(), fetched_at=now)
            for n in ("aa", "bb", "cc")
        )
        self.album_a = Album.objects.create(id=sid("al", 1), name="Album A", fetched_at=now)
        AlbumArtist.objects.create(album=self.album_a, artist=self.a, position=0)
        self.album_b = Album.objects.create(id=sid("al", 2), name="Album B", fetched_at=now)
        AlbumArtist.objects.create(album=self.album_b, artist=self.b, position=0)
        self.by_a = self.track(1, self.album_a, [(self.a, ArtistRole.PRIMARY)])
        self.b_feat_a = self.track(
            2, self.album_b, [(self.b, ArtistRole.PRIMARY), (self.a, ArtistRole.FEATURED)]
        )
        self.by_b = self.track(3, self.album_b, [(self.b, ArtistRole.PRIMARY)])
        self.by_c = self.track(4, None, [(self.c, ArtistRole.PRIMARY)])

    def track(self, number, album, credits):
        track = Track.objects.create(
            id=sid("tr", number),
            name=f"Song {number}",
            album=album,
            artist_names=", ".join(a.name for a, _ in credits),
            fetched_at=clock.now(),
        )
        for position, (artist, role) in enumerate(credits):
            TrackArtist.objects.create(track=track, artist=artist, position=position, role=role)
        return track


@pytest.fixture
def catalog():
    return Catalog()


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create(username="person")


def test_an_artist_blocks_their_own_tracks_not_the_ones_they_feature_on(catalog, person):
    add_entry(person, "artist", catalog.a.id)
    assert blocked_track_ids(person) == {catalog.by_a.id}


def test_with_featured_counting_an_artist_blocks_their_guest_spots_too(catalog, person):
    add_entry(person, "artist", catalog.a.id, include_featured=True)
    assert blocked_track_ids(person) == {catalog.by_a.id, catalog.b_feat_a.id}


def test_albums_and_tracks_block_what_they_name(catalog, person):
    add_entry(person, "album", catalog.album_b.id)
    add_entry(person, "track", catalog.by_c.id)
    assert blocked_track_ids(person) == {catalog.b_feat_a.id, catalog.by_b.id, catalog.by_c.id}


def test_the_allowlist_wins_over_every_block(catalog, person):
    add_entry(person, "artist", catalog.a.id, include_featured=True)
    add_entry(person, "track", catalog.by_c.id)
    add_allow(person, "track", catalog.b_feat_a.id)
    add_allow(person, "track", catalog.by_c.id)
    assert blocked_track_ids(person) == {catalog.by_a.id}


def test_a_switched_off_list_blocks_nothing(catalog, person, django_assert_max_num_queries):
    entry, _ = add_entry(person, "artist", catalog.a.id)
    Blocklist.objects.filter(pk=entry.blocklist_id).update(enabled=False)
    with django_assert_max_num_queries(1):
        assert blocked_track_ids(person) == set()


def test_someone_elses_blocklist_is_not_mine(catalog, person, django_user_model):
    other = django_user_model.objects.create(username="other")
    add_entry(other, "artist", catalog.a.id)
    assert blocked_track_ids(person) == set()


def test_links_and_uris_are_understood_and_the_rest_reported():
    text = (
        f"https://open.spotify.com/intl-de/artist/{sid('aa', 1)}?si=x, "
        f"spotify:track:{sid('tr', 1)}  https://example.com/nope"
    )
    found, problems = parse_references(text)
    assert [(r.kind, r.spotify_id) for r in found] == [
        ("artist", sid("aa", 1)),
        ("track", sid("tr", 1)),
    ]
    assert problems == ["https://example.com/nope"]


def _playlist(person, name, *, owner="person", collaborative=False, items=()):
    playlist = Playlist.objects.create(
        user=person,
        spotify_id=sid("pl", Playlist.objects.count() + 1),
        name=name,
        owner_id=owner,
        is_owner=owner == "person",
        collaborative=collaborative,
        snapshot_id="snap",
        mirrored_snapshot_id="snap",
        listed_at=clock.now(),
    )
    for position, (track, added_by) in enumerate(items):
        PlaylistItem.objects.create(
            playlist=playlist,
            position=position,
            track=track,
            uri=f"spotify:track:{track.id}",
            added_at=clock.now(),
            added_by=added_by,
        )
    return playlist


def test_the_plan_covers_the_whole_library_with_reasons_and_before_states(catalog, person):
    LibraryState.objects.create(user=person, refreshed_at=clock.now())
    add_entry(person, "artist", catalog.a.id, include_featured=True)
    LikedSong.objects.create(user=person, track=catalog.by_a, added_at=clock.now())
    LikedSong.objects.create(user=person, track=catalog.by_c, added_at=clock.now())
    SavedAlbum.objects.create(user=person, album=catalog.album_a, added_at=clock.now())
    SavedAlbum.objects.create(user=person, album=catalog.album_b, added_at=clock.now())
    FollowedArtist.objects.create(user=person, artist=catalog.a)
    FollowedArtist.objects.create(user=person, artist=catalog.b)
    _playlist(
        person,
        "Mine",
        items=[(catalog.by_b, "person"), (catalog.by_a, "person"), (catalog.by_a, "person")],
    )
    _playlist(person, "Theirs", owner="grace", items=[(catalog.by_a, "grace")])

    batch = plan(person)

    rows = {(i.kind, i.uri): i for i in batch.items.all()}
    assert set(rows) == {
        (ItemKind.LIKED_TRACK, f"spotify:track:{catalog.by_a.id}"),
        (ItemKind.SAVED_ALBUM, f"spotify:album:{catalog.album_a.id}"),
        (ItemKind.FOLLOWED_ARTIST, f"spotify:artist:{catalog.a.id}"),
        (ItemKind.PLAYLIST_ITEM, f"spotify:track:{catalog.by_a.id}"),
    }
    in_playlist = rows[(ItemKind.PLAYLIST_ITEM, f"spotify:track:{catalog.by_a.id}")]
    assert in_playlist.positions == [1, 2] and in_playlist.playlist_name == "Mine"
    assert rows[(ItemKind.SAVED_ALBUM, f"spotify:album:{catalog.album_a.id}")].reason.startswith(
        "Album by a blocked artist"
    )
    assert batch.total == 4 and batch.calls_estimated == 2  # one library chunk, one playlist


def test_in_a_collaborative_playlist_only_what_the_person_alone_added_is_removed(catalog, person):
    LibraryState.objects.create(user=person, refreshed_at=clock.now())
    add_entry(person, "artist", catalog.a.id, include_featured=True)
    _playlist(person, "My own", items=[(catalog.by_c, "person")])  # tells us who "person" is
    _playlist(
        person,
        "Shared",
        owner="grace",
        collaborative=True,
        items=[
            (catalog.by_a, "person"),  # mine alone: removed
            (catalog.b_feat_a, "grace"),  # theirs: left alone
            (catalog.b_feat_a, "person"),
        ],
    )

    batch = plan(person)

    planned = {i.uri: i for i in batch.items.all()}
    assert planned[f"spotify:track:{catalog.by_a.id}"].status == ItemStatus.PLANNED
    theirs = planned[f"spotify:track:{catalog.b_feat_a.id}"]
    assert theirs.status == ItemStatus.SKIPPED and not theirs.selected
    assert "added by grace" in theirs.reason
    assert batch.total == 1


def test_with_nothing_blocked_the_plan_is_empty_and_costs_nothing(catalog, person):
    LikedSong.objects.create(user=person, track=catalog.by_a, added_at=clock.now())
    batch = plan(person)
    assert batch.total == 0 and batch.calls_estimated == 0
    assert "not been mirrored" in batch.warnings[0]


def test_the_enforce_command_prints_the_dry_run(catalog, person):
    LibraryState.objects.create(user=person, refreshed_at=clock.now())
    add_entry(person, "artist", catalog.a.id)
    LikedSong.objects.create(user=person, track=catalog.by_a, added_at=clock.now())
    out = io.StringIO()

    call_command("enforce", "person", stdout=out)

    text = out.getvalue()
    assert "(dry run): 1 actions" in text and "Liked song: 1" in text
    assert "1 Spotify calls" in text


def test_the_activity_page_lists_a_plan_as_a_dry_run(catalog, person, client):
    add_entry(person, "artist", catalog.a.id)
    plan(person)
    client.force_login(person)
    page = client.get("/activity/").content.decode()
    assert "Blocklist enforcement" in page and "Dry run" in page
