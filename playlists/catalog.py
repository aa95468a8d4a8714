"""Catalog rows from the objects Spotify embeds in playlist items and library pages.

`CatalogWriter` collects typed values (spotify.types) and writes them in bulk upserts — one
INSERT … ON CONFLICT DO UPDATE per model per batch, never a query per row — and remembers what
it wrote during this run, so a track that sits in 40 playlists is written once.

Rows are sorted by primary key before each upsert: two refreshes (two users) writing the same
catalog rows then take their row locks in the same order and cannot deadlock on PostgreSQL.
Artist links are upserts on (track, position) too, never delete-then-insert, so two refreshes
writing the same track's links wait for each other instead of failing on the unique key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from core.text import fold
from playlists import bulk
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
FULL_ALBUM_FIELDS = [*ALBUM_FIELDS, "upc", "label", "popularity"]  # also the row order
ARTIST_REF_FIELDS = ["name", "fetched_at"]
FULL_ARTIST_FIELDS = ["name", "image_url", "genres", "popularity", "fetched_at"]


def normalise_isrc(value: str | None) -> str:
    """Spotify's ISRC as MusicBrainz accepts it: upper case, no spaces or hyphens."""
    if not value:
        return ""
    cleaned = "".join(ch for ch in value if ch not in " -\t").upper()
    return cleaned if len(cleaned) == 12 else ""


def _largest_image(images: tuple[types.Image, ...]) -> str:
    if not images:
        return ""
    return max(images, key=lambda image: image.width or 0).url


def _release_year(album: types.Album) -> int | None:
    year = album.release_year
    return year if year and year > 0 else None


def _drop_positions_past(model, key: str, counts: dict[str, int]) -> None:
    """Delete link rows beyond each owner's current artist count (an artist was dropped from
    the credit). One DELETE per distinct count: a handful per batch, none on most."""
    by_count: dict[int, list[str]] = {}
    for ident, count in counts.items():
        by_count.setdefault(count, []).append(ident)
    for count, idents in by_count.items():
        model.objects.filter(**{f"{key}__in": idents, "position__gte": count}).delete()


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
            rows = [(ident, name, "", now) for ident, name in sorted(self._artist_refs.items())]
            bulk.write(
                Artist,
                ["id", "name", "image_url", "fetched_at"],
                rows,
                unique=["id"],
                update=ARTIST_REF_FIELDS,
                batch_size=self.batch_size,
            )
            self.written_artists += len(rows)
            self._artist_refs = {}
        if self._full_artists:
            rows = [
                (
                    artist.id,
                    artist.name,
                    _largest_image(artist.images),
                    list(artist.genres) if artist.genres is not None else None,
                    artist.popularity,
                    now,
                )
                for _, artist in sorted(self._full_artists.items())
            ]
            bulk.write(
                Artist,
                ["id", *FULL_ARTIST_FIELDS],
                rows,
                unique=["id"],
                update=FULL_ARTIST_FIELDS,
                batch_size=self.batch_size,
            )
            self.written_artists += len(rows)
            self._full_artists = {}

    def _album_row(self, album: types.Album) -> tuple:
        return (
            album.id,
            album.name,
            album.album_type[:16],
            album.release_date[:10],
            album.release_date_precision[:5],
            _release_year(album),
            album.total_tracks,
            _largest_image(album.images),
            [{"url": i.url, "width": i.width, "height": i.height} for i in album.images],
            self.now,
            (album.upc or "")[:32],
            album.label,
            album.popularity,
        )

    def _write_albums(self) -> None:
        for pending, update in (
            (self._albums, ALBUM_FIELDS),
            (self._full_albums, FULL_ALBUM_FIELDS),
        ):
            if not pending:
                continue
            albums = [album for _, album in sorted(pending.items())]
            bulk.write(
                Album,
                ["id", *FULL_ALBUM_FIELDS],
                [self._album_row(album) for album in albums],
                unique=["id"],
                update=update,
                batch_size=self.batch_size,
            )
            bulk.write(
                AlbumArtist,
                ["album", "artist", "position"],
                [
                    (album.id, ref.id, position)
                    for album in albums
                    for position, ref in enumerate(a for a in album.artists if a.id)
                ],
                unique=["album", "position"],
                update=["artist"],
                batch_size=self.batch_size,
            )
            _drop_positions_past(
                AlbumArtist, "album_id", {a.id: sum(1 for r in a.artists if r.id) for a in albums}
            )
            self.written_albums += len(albums)
            pending.clear()

    def _write_tracks(self) -> None:
        if not self._tracks:
            return
        tracks = [track for _, track in sorted(self._tracks.items())]
        rows = []
        links = []
        now = self.now
        for track in tracks:
            artist_names = ", ".join(ref.name for ref in track.artists)
            album = track.album
            rows.append(
                (
                    track.id,
                    track.name,
                    album.id if album and album.id else None,
                    max(track.duration_ms or 0, 0),
                    track.explicit,
                    normalise_isrc(track.isrc),
                    track.disc_number,
                    track.track_number,
                    track.is_local,
                    track.is_playable,
                    track.popularity,
                    artist_names,
                    fold(f"{track.name} {artist_names} {album.name if album else ''}"),
                    now,
                    "",
                )
            )
            position = 0
            for ref in track.artists:
                if ref.id:
                    role = ArtistRole.PRIMARY if position == 0 else ArtistRole.FEATURED
                    links.append((track.id, ref.id, position, role.value))
                    position += 1
        bulk.write(
            Track,
            ["id", *TRACK_FIELDS, "original_year_source"],  # the last only for new rows
            rows,
            unique=["id"],
            update=TRACK_FIELDS,
            batch_size=self.batch_size,
        )
        bulk.write(
            TrackArtist,
            ["track", "artist", "position", "role"],
            links,
            unique=["track", "position"],
            update=["artist", "role"],
            batch_size=self.batch_size,
        )
        _drop_positions_past(
            TrackArtist, "track_id", {t.id: sum(1 for r in t.artists if r.id) for t in tracks}
        )
        self.written_tracks += len(rows)
        self._tracks = {}
