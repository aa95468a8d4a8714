"""Catalog rows from the objects Spotify embeds in playlist items and library pages.

`CatalogWriter` collects typed values (spotify.types) and writes them in bulk upserts — one
INSERT … ON CONFLICT DO UPDATE per model per batch, never a query per row — and remembers what
it wrote during this run, so a track that sits in 40 playlists is written once.

Rows are sorted by primary key before each upsert: two refreshes (two users) writing the same
catalog rows then take their row locks in the same order and cannot deadlock on PostgreSQL.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from playlists.models import Album, AlbumArtist, Artist, ArtistRole, Track, TrackArtist
from spotify import types

BATCH_SIZE = 1000

TRACK_FIELDS = [
    "name",
    "album",
    "duration_ms",
    "explicit",
    "isrc",
    "disc_number",
    "track_number",
    "is_local",
    "is_playable",
    "popularity",
    "artist_names",
    "search_text",
    "fetched_at",
]
ALBUM_FIELDS = [
    "name",
    "album_type",
    "release_date",
    "release_date_precision",
    "release_year",
    "total_tracks",
    "image_url",
    "images",
    "fetched_at",
]
FULL_ALBUM_FIELDS = [*ALBUM_FIELDS, "upc", "label", "popularity"]
ARTIST_REF_FIELDS = ["name", "fetched_at"]
FULL_ARTIST_FIELDS = ["name", "image_url", "genres", "popularity", "fetched_at"]


def normalise_isrc(value: str | None) -> str:
    """Spotify's ISRC as MusicBrainz accepts it: upper case, no spaces or hyphens."""
    if not value:
        return ""
    cleaned = "".join(ch for ch in value if ch not in " -\t").upper()
    return cleaned if len(cleaned) == 12 else ""


def fold(text: str) -> str:
    """Lower case without accents: what the track table's search compares."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _largest_image(images: tuple[types.Image, ...]) -> str:
    if not images:
        return ""
    return max(images, key=lambda image: image.width or 0).url


def _release_year(album: types.Album) -> int | None:
    year = album.release_year
    return year if year and year > 0 else None


@dataclass
class CatalogWriter:
    """Buffers catalog values and upserts them in batches; `flush()` before using the rows."""

    now: datetime
    batch_size: int = BATCH_SIZE
    written_tracks: int = 0
    written_albums: int = 0
    written_artists: int = 0
    _seen_tracks: set[str] = field(default_factory=set)
    _seen_albums: set[str] = field(default_factory=set)
    _seen_full_albums: set[str] = field(default_factory=set)
    _seen_artists: set[str] = field(default_factory=set)
    _seen_full_artists: set[str] = field(default_factory=set)
    _tracks: dict[str, types.Track] = field(default_factory=dict)
    _albums: dict[str, types.Album] = field(default_factory=dict)
    _full_albums: dict[str, types.Album] = field(default_factory=dict)
    _artist_refs: dict[str, str] = field(default_factory=dict)
    _full_artists: dict[str, types.Artist] = field(default_factory=dict)

    # --- collecting -----------------------------------------------------------------------------

    def add_track(self, track: types.Track | None) -> str | None:
        """Queue a track (and its album and artists); returns its id, None for local files."""
        if track is None or not track.id or track.is_local:
            return None
        if track.id not in self._seen_tracks:
            self._seen_tracks.add(track.id)
            self._tracks[track.id] = track
            if track.album is not None:
                self.add_album(track.album)
            for ref in track.artists:
                self._add_artist_ref(ref)
            if len(self._tracks) >= self.batch_size:
                self.flush()
        return track.id

    def add_album(self, album: types.Album, *, full: bool = False) -> str | None:
        """Queue an album. `full` albums (saved albums) also carry UPC, label and popularity."""
        if not album.id:
            return None
        if full:
            if album.id not in self._seen_full_albums:
                self._seen_full_albums.add(album.id)
                self._seen_albums.add(album.id)
                self._full_albums[album.id] = album
                self._albums.pop(album.id, None)
                for ref in album.artists:
                    self._add_artist_ref(ref)
        elif album.id not in self._seen_albums:
            self._seen_albums.add(album.id)
            self._albums[album.id] = album
            for ref in album.artists:
                self._add_artist_ref(ref)
        if len(self._albums) + len(self._full_albums) >= self.batch_size:
            self.flush()
        return album.id

    def add_artist(self, artist: types.Artist) -> str:
        """Queue a full artist object (followed artists): images and, in extended mode, genres."""
        if artist.id not in self._seen_full_artists:
            self._seen_full_artists.add(artist.id)
            self._seen_artists.add(artist.id)
            self._full_artists[artist.id] = artist
            self._artist_refs.pop(artist.id, None)
            if len(self._full_artists) >= self.batch_size:
                self.flush()
        return artist.id

    def _add_artist_ref(self, ref: types.ArtistRef) -> None:
        if ref.id and ref.id not in self._seen_artists:
            self._seen_artists.add(ref.id)
            self._artist_refs[ref.id] = ref.name

    # --- writing --------------------------------------------------------------------------------

    def flush(self) -> None:
        if not (
            self._tracks
            or self._albums
            or self._full_albums
            or self._artist_refs
            or self._full_artists
        ):
            return
        # Artists first, then albums, then tracks: each references the one before.
        with transaction.atomic():
            self._write_artists()
            self._write_albums()
            self._write_tracks()

    def _write_artists(self) -> None:
        now = self.now
        if self._artist_refs:
            rows = [
                Artist(id=artist_id, name=name, fetched_at=now)
                for artist_id, name in sorted(self._artist_refs.items())
            ]
            Artist.objects.bulk_create(
                rows,
                batch_size=self.batch_size,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=ARTIST_REF_FIELDS,
            )
            self.written_artists += len(rows)
            self._artist_refs = {}
        if self._full_artists:
            rows = [
                Artist(
                    id=artist.id,
                    name=artist.name,
                    image_url=_largest_image(artist.images),
                    genres=list(artist.genres) if artist.genres is not None else None,
                    popularity=artist.popularity,
                    fetched_at=now,
                )
                for _, artist in sorted(self._full_artists.items())
            ]
            Artist.objects.bulk_create(
                rows,
                batch_size=self.batch_size,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=FULL_ARTIST_FIELDS,
            )
            self.written_artists += len(rows)
            self._full_artists = {}

    def _album_row(self, album: types.Album) -> Album:
        return Album(
            id=album.id,
            name=album.name,
            album_type=album.album_type[:16],
            release_date=album.release_date[:10],
            release_date_precision=album.release_date_precision[:5],
            release_year=_release_year(album),
            total_tracks=album.total_tracks,
            image_url=_largest_image(album.images),
            images=[{"url": i.url, "width": i.width, "height": i.height} for i in album.images],
            upc=(album.upc or "")[:32],
            label=album.label,
            popularity=album.popularity,
            fetched_at=self.now,
        )

    def _write_albums(self) -> None:
        for pending, fields in (
            (self._albums, ALBUM_FIELDS),
            (self._full_albums, FULL_ALBUM_FIELDS),
        ):
            if not pending:
                continue
            albums = [album for _, album in sorted(pending.items())]
            Album.objects.bulk_create(
                [self._album_row(album) for album in albums],
                batch_size=self.batch_size,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=fields,
            )
            # Links are rewritten whole: an album's artist list is short and rarely changes.
            ids = [album.id for album in albums]
            AlbumArtist.objects.filter(album_id__in=ids).delete()
            AlbumArtist.objects.bulk_create(
                [
                    AlbumArtist(album_id=album.id, artist_id=ref.id, position=position)
                    for album in albums
                    for position, ref in enumerate(a for a in album.artists if a.id)
                ],
                batch_size=self.batch_size,
            )
            self.written_albums += len(albums)
            pending.clear()

    def _write_tracks(self) -> None:
        if not self._tracks:
            return
        tracks = [track for _, track in sorted(self._tracks.items())]
        rows = []
        links = []
        for track in tracks:
            artist_names = ", ".join(ref.name for ref in track.artists)
            album_name = track.album.name if track.album else ""
            rows.append(
                Track(
                    id=track.id,
                    name=track.name,
                    album_id=track.album.id if track.album and track.album.id else None,
                    duration_ms=max(track.duration_ms or 0, 0),
                    explicit=track.explicit,
                    isrc=normalise_isrc(track.isrc),
                    disc_number=track.disc_number,
                    track_number=track.track_number,
                    is_local=track.is_local,
                    is_playable=track.is_playable,
                    popularity=track.popularity,
                    artist_names=artist_names,
                    search_text=fold(f"{track.name} {artist_names} {album_name}"),
                    fetched_at=self.now,
                )
            )
            position = 0
            for ref in track.artists:
                if not ref.id:
                    continue
                role = ArtistRole.PRIMARY if position == 0 else ArtistRole.FEATURED
                links.append(
                    TrackArtist(track_id=track.id, artist_id=ref.id, position=position, role=role)
                )
                position += 1
        Track.objects.bulk_create(
            rows,
            batch_size=self.batch_size,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=TRACK_FIELDS,
        )
        TrackArtist.objects.filter(track_id__in=[track.id for track in tracks]).delete()
        TrackArtist.objects.bulk_create(links, batch_size=self.batch_size)
        self.written_tracks += len(rows)
        self._tracks = {}
