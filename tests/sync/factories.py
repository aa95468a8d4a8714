"""Rows for sync tests that need no Spotify: a mirrored base with catalog tracks, bases,
children and events owned by a user; OWNED_OBJECTS for the security suite."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from playlists.models import (
    Album,
    Artist,
    ArtistRole,
    Genre,
    Playlist,
    PlaylistItem,
    Track,
    TrackArtist,
    TrackGenre,
)
from sync.models import BasePlaylist, ChildPlaylist, SyncEvent

_ids = itertools.count(1)
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def spotify_id(prefix: str = "id") -> str:
    return f"{prefix}{next(_ids):06d}"


def catalog_track(
    name: str,
    *,
    artists=("Nina Simone",),
    album="Pastel Blues",
    year=1965,
    original_year=None,
    duration_s=200,
    explicit=False,
    isrc="USAAA6500001",
    genres=(),
) -> Track:
    album_row = Album.objects.create(
        id=spotify_id("al"), name=album, release_year=year, release_date=str(year), fetched_at=NOW
    )
    track = Track.objects.create(
        id=spotify_id("tr"),
        name=name,
        album=album_row,
        duration_ms=duration_s * 1000,
        explicit=explicit,
        isrc=isrc,
        artist_names=", ".join(artists),
        original_year=original_year,
        fetched_at=NOW,
    )
    for position, artist_name in enumerate(artists):
        artist = Artist.objects.filter(name=artist_name).first() or Artist.objects.create(
            id=spotify_id("ar"), name=artist_name, fetched_at=NOW
        )
        TrackArtist.objects.create(
            track=track,
            artist=artist,
            position=position,
            role=ArtistRole.PRIMARY if position == 0 else ArtistRole.FEATURED,
        )
    for genre_name in genres:
        genre, _ = Genre.objects.get_or_create(name=genre_name)
        TrackGenre.objects.create(track=track, genre=genre, source="recording")
    return track


def mirrored_playlist(user, tracks: list[Track], *, name="Everything", owner=True) -> Playlist:
    playlist = Playlist.objects.create(
        user=user,
        spotify_id=spotify_id("pl"),
        name=name,
        is_owner=owner,
        snapshot_id="snap-1",
        mirrored_snapshot_id="snap-1",
        item_count=len(tracks),
        listed_at=NOW,
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            playlist=playlist,
            position=position,
            track=track,
            uri=track.uri,
            added_at=NOW - timedelta(days=len(tracks) - position),
        )
        for position, track in enumerate(tracks)
    )
    return playlist


def owned_base(owner, playlist: Playlist | None = None) -> BasePlaylist:
    if playlist is None:
        return BasePlaylist.objects.create(user=owner, spotify_id=spotify_id("pl"), name="Base")
    return BasePlaylist.objects.create(
        user=owner, playlist=playlist, spotify_id=playlist.spotify_id, name=playlist.name
    )


def owned_child(owner, base: BasePlaylist | None = None, **fields) -> ChildPlaylist:
    fields.setdefault("name", "Child")
    return ChildPlaylist.objects.create(base=base or owned_base(owner), **fields)


def owned_event(owner, base: BasePlaylist | None = None, **fields) -> SyncEvent:
    base = base or owned_base(owner)
    return SyncEvent.objects.create(user=owner, base=base, **fields)


def _base(owner):
    return {"pk": owned_base(owner).pk}


def _child(owner):
    return {"pk": owned_child(owner).pk}


def _deleted_base(owner):
    base = owned_base(owner)
    base.soft_delete()
    return {"pk": base.pk}


def _deleted_child(owner):
    child = owned_child(owner)
    child.soft_delete()
    return {"pk": child.pk}


def _event(owner):
    return {"pk": owned_event(owner, status="failed").pk}


OWNED_OBJECTS = {
    "sync_base": _base,
    "sync_base_run": _base,
    "sync_base_schedule": _base,
    "sync_base_delete": _base,
    "sync_base_restore": _deleted_base,
    "sync_child_add": _base,
    "sync_child_from_template": _base,
    "sync_child": _child,
    "sync_child_editor": _child,
    "sync_child_preview": _child,
    "sync_child_overwrite": _child,
    "sync_child_delete": _child,
    "sync_child_restore": _deleted_child,
    "sync_event": _event,
    "sync_event_retry": _event,
}
