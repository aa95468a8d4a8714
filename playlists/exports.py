"""Export a mirrored playlist, Liked Songs or the whole library in formats other tools read
(reference/file-formats.md): Exportify's CSV (watsonbox's current English layout, §1.2), JSON
(the same fields, one object a track), and extended M3U8 (§2.4). Everything comes from the
mirror: an export costs no Spotify call, and what Tunekeeper exports it imports back with every
known track matched by id.

Rows are streamed from the database; a 10,000-track playlist never sits in memory as strings.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpResponse

from core import spreadsheet
from playlists.models import LikedSong, Playlist, PlaylistItem, Track

CSV = "csv"
JSON = "json"
M3U8 = "m3u8"
FORMATS = {CSV: "Exportify CSV", JSON: "JSON", M3U8: "M3U8 playlist"}
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    JSON: "application/json",
    M3U8: "audio/x-mpegurl; charset=utf-8",
}

# watsonbox/exportify's current header row (2022-12 to now), in its order.
EXPORTIFY_HEADER = [
    "Track URI",
    "Track Name",
    "Artist URI(s)",
    "Artist Name(s)",
    "Album URI",
    "Album Name",
    "Album Artist URI(s)",
    "Album Artist Name(s)",
    "Album Release Date",
    "Album Image URL",
    "Disc Number",
    "Track Number",
    "Track Duration (ms)",
    "Track Preview URL",
    "Explicit",
    "Popularity",
    "ISRC",
    "Added By",
    "Added At",
]
_UNSAFE_NAME = re.compile(r'[\x00-\x1F\x7F/\\<>:;"|=,.?*\[\] ]+')


@dataclass
class ExportRow:
    uri: str
    name: str
    artist_uris: list[str]
    artist_names: list[str]
    album_uri: str
    album_name: str
    album_artist_uris: list[str]
    album_artist_names: list[str]
    release_date: str
    image_url: str
    disc_number: int | None
    track_number: int | None
    duration_ms: int
    explicit: bool | None
    popularity: int | None
    isrc: str
    added_by: str
    added_at: datetime | None

    def as_dict(self) -> dict:
        return {
            "uri": self.uri,
            "name": self.name,
            "artists": [
                {"uri": uri, "name": name}
                for uri, name in zip(self.artist_uris, self.artist_names, strict=False)
            ],
            "album": {
                "uri": self.album_uri,
                "name": self.album_name,
                "release_date": self.release_date,
                "artists": [
                    {"uri": uri, "name": name}
                    for uri, name in zip(
                        self.album_artist_uris, self.album_artist_names, strict=False
                    )
                ],
            },
            "disc_number": self.disc_number,
            "track_number": self.track_number,
            "duration_ms": self.duration_ms,
            "explicit": self.explicit,
            "isrc": self.isrc,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat().replace("+00:00", "Z") if self.added_at else None,
        }


def _row(track: Track | None, *, uri: str, local_name: str, added_at, added_by: str) -> ExportRow:
    if track is None:  # a local file: only the name Spotify showed
        return ExportRow(
            uri, local_name, [], [], "", "", [], [], "", "", None, None, 0, None, None, "",
            added_by, added_at,
        )  # fmt: skip
    artists = sorted(track.artist_links.all(), key=lambda link: link.position)
    album = track.album
    album_artists = (
        sorted(album.artist_links.all(), key=lambda link: link.position) if album else []
    )
    return ExportRow(
        uri=track.uri,
        name=track.name,
        artist_uris=[f"spotify:artist:{link.artist_id}" for link in artists],
        artist_names=[link.artist.name for link in artists],
        album_uri=f"spotify:album:{album.pk}" if album else "",
        album_name=album.name if album else "",
        album_artist_uris=[f"spotify:artist:{link.artist_id}" for link in album_artists],
        album_artist_names=[link.artist.name for link in album_artists],
        release_date=album.release_date if album else "",
        image_url=album.image_url if album else "",
        disc_number=track.disc_number,
        track_number=track.track_number,
        duration_ms=track.duration_ms,
        explicit=track.explicit,
        popularity=track.popularity,
        isrc=track.isrc,
        added_by=added_by,
        added_at=added_at,
    )


_TRACK_RELATED = ("track__album",)
_TRACK_PREFETCH = (
    "track__artist_links__artist",
    "track__album__artist_links__artist",
)


def playlist_rows(playlist: Playlist) -> Iterator[ExportRow]:
    items = (
        PlaylistItem.objects.filter(playlist=playlist)
        .select_related(*_TRACK_RELATED)
        .prefetch_related(*_TRACK_PREFETCH)
        .order_by("position")
    )
    for item in items.iterator(chunk_size=1000):
        yield _row(
            item.track,
            uri=item.uri,
            local_name=item.local_name,
            added_at=item.added_at,
            added_by=f"spotify:user:{item.added_by}" if item.added_by else "",
        )


def liked_rows(user) -> Iterator[ExportRow]:
    """Liked Songs, newest first as Spotify lists them."""
    liked = (
        LikedSong.objects.filter(user=user)
        .select_related(*_TRACK_RELATED)
        .prefetch_related(*_TRACK_PREFETCH)
        .order_by("-added_at", "pk")
    )
    for song in liked.iterator(chunk_size=1000):
        yield _row(
            song.track, uri=song.track.uri, local_name="", added_at=song.added_at, added_by=""
        )


def uri_rows(uris: list[str]) -> Iterator[ExportRow]:
    """Rows for a list of track uris (an earlier state of a playlist), from the catalog."""
    ids = [uri.rpartition(":")[2] for uri in uris if uri.startswith("spotify:track:")]
    tracks = {
        track.pk: track
        for track in Track.objects.filter(pk__in=ids)
        .select_related(*(name.removeprefix("track__") for name in _TRACK_RELATED))
        .prefetch_related(*(name.removeprefix("track__") for name in _TRACK_PREFETCH))
    }
    for uri in uris:
        track = tracks.get(uri.rpartition(":")[2]) if uri.startswith("spotify:track:") else None
        yield _row(
            track, uri=uri, local_name=uri if track is None else "", added_at=None, added_by=""
        )


def _joined_names(names: list[str]) -> str:
    # Exportify escapes a comma inside a name as "\," and joins with ", " (§1.3).
    return ", ".join(name.replace(",", "\\,") for name in names)


def write_csv(rows: Iterable[ExportRow], out: io.TextIOBase) -> None:
    # A cell a spreadsheet would run as a formula gets a leading quote (core.spreadsheet);
    # Tunekeeper's importer strips it again.
    writer = spreadsheet.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(EXPORTIFY_HEADER)
    for row in rows:
        cells = [
            row.uri,
            row.name,
            ", ".join(row.artist_uris),
            _joined_names(row.artist_names),
            row.album_uri,
            row.album_name,
            ", ".join(row.album_artist_uris),
            _joined_names(row.album_artist_names),
            row.release_date,
            row.image_url,
            "" if row.disc_number is None else str(row.disc_number),
            "" if row.track_number is None else str(row.track_number),
            str(row.duration_ms or 0),
            "",
            "" if row.explicit is None else ("true" if row.explicit else "false"),
            "" if row.popularity is None else str(row.popularity),
            row.isrc,
            row.added_by,
            row.added_at.strftime("%Y-%m-%dT%H:%M:%SZ") if row.added_at else "",
        ]
        writer.writerow(cells)


def write_json(name: str, rows: Iterable[ExportRow], out: io.TextIOBase) -> None:
    out.write('{"name": ' + json.dumps(name) + ', "tracks": [')
    for index, row in enumerate(rows):
        out.write(("," if index else "") + "\n  " + json.dumps(row.as_dict(), ensure_ascii=False))
    out.write("\n]}\n")


def _extinf_text(row: ExportRow) -> str:
    text = f"{', '.join(row.artist_names)} - {row.name}" if row.artist_names else row.name
    return " ".join(text.split())  # one line, whatever the names hold


def write_m3u8(name: str, rows: Iterable[ExportRow], out: io.TextIOBase) -> None:
    out.write("#EXTM3U\n")
    out.write(f"#PLAYLIST:{' '.join(name.split())}\n")
    for row in rows:
        seconds = round(row.duration_ms / 1000) if row.duration_ms else -1
        out.write(f"#EXTINF:{seconds},{_extinf_text(row)}\n")
        track_id = row.uri.rpartition(":")[2] if row.uri.startswith("spotify:track:") else ""
        out.write(f"https://open.spotify.com/track/{track_id}\n" if track_id else f"{row.uri}\n")


def write(fmt: str, name: str, rows: Iterable[ExportRow], out: io.TextIOBase) -> None:
    if fmt == CSV:
        write_csv(rows, out)
    elif fmt == JSON:
        write_json(name, rows, out)
    else:
        write_m3u8(name, rows, out)


def file_name(name: str, fmt: str) -> str:
    """Exportify's rule (§1.2): unsafe runs become "_", lower-cased."""
    stem = _UNSAFE_NAME.sub("_", name).strip("_").lower() or "playlist"
    return f"{stem[:100]}.{fmt}"


def export_text(fmt: str, name: str, rows: Iterable[ExportRow]) -> str:
    out = io.StringIO()
    write(fmt, name, rows, out)
    return out.getvalue()


def library_zip(user, fmt: str, target) -> None:
    """Every mirrored playlist of the person's plus Liked Songs (`liked.<fmt>`), one file each,
    into the binary file `target` — Exportify's "Export All"."""
    used: set[str] = set()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("Liked Songs", "liked", liked_rows(user))]
        for playlist in Playlist.objects.filter(user=user).order_by("list_position", "pk"):
            entries.append((playlist.name, None, playlist_rows(playlist)))
        for name, stem, rows in entries:
            member = f"{stem}.{fmt}" if stem else file_name(name, fmt)
            base, suffix = member.rsplit(".", 1)
            counter = 2
            while member in used:
                member = f"{base}_{counter}.{suffix}"
                counter += 1
            used.add(member)
            with archive.open(member, "w") as raw, io.TextIOWrapper(raw, "utf-8") as out:
                write(fmt, name, rows, out)


def download(fmt: str, name: str, rows: Iterable[ExportRow], file_name: str) -> HttpResponse:
    """The export as an attachment, for the pages and the API alike."""
    response = HttpResponse(export_text(fmt, name, rows), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
