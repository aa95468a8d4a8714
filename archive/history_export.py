"""Exporting plays for a range: CSV, and ListenBrainz listens (JSON Lines or their archive zip).

ListenBrainz wants `listened_at` as the *start* of the play (file-formats.md §4): Spotify gives
the end, so the start is the end minus the time played (exports) or minus the track's length
(polled plays, which Spotify lists once they ran their course). ListenBrainz's own Spotify
importer uses the end time, so a play imported both ways appears there twice.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from archive.models import PlayEvent, TrackHint
from core import spreadsheet

CHUNK = 2000
CLIENT_VERSION = "0.1"
LISTENBRAINZ_EARLIEST = 1033410600  # 2002-10-01: ListenBrainz refuses older listens
CSV_HEADER = [
    "played_at_utc",
    "played_at_local",
    "track",
    "artists",
    "album",
    "spotify_uri",
    "ms_played",
    "source",
    "context_type",
    "context_uri",
    "platform",
    "shuffle",
    "skipped",
    "reason_start",
    "reason_end",
    "offline",
    "incognito",
]


@dataclass(slots=True)
class ExportedPlay:
    played_at: datetime
    track_id: str
    track_name: str
    artists: str
    album: str
    duration_ms: int
    isrc: str
    ms_played: int | None
    source: str
    context_type: str
    context_uri: str
    platform: str
    shuffle: bool | None
    skipped: bool | None
    reason_start: str
    reason_end: str
    offline: bool | None
    incognito: bool | None


def plays_between(user_id: int, low: datetime, high: datetime) -> Iterator[ExportedPlay]:
    rows = (
        PlayEvent.objects.filter(user_id=user_id, played_at__gte=low, played_at__lt=high)
        .order_by("played_at", "track_id")
        .values_list(
            "played_at",
            "track_id",
            "track__name",
            "track__artist_names",
            "track__album__name",
            "track__duration_ms",
            "track__isrc",
            "ms_played",
            "source",
            "context_type",
            "context_uri",
            "platform",
            "shuffle",
            "skipped",
            "reason_start",
            "reason_end",
            "offline",
            "incognito",
        )
    )
    chunk: list[tuple] = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield from _with_hints(chunk)
            chunk = []
    yield from _with_hints(chunk)


def _with_hints(rows: list[tuple]) -> Iterator[ExportedPlay]:
    missing_album = {row[1] for row in rows if not row[4]}
    hints = dict(
        TrackHint.objects.filter(track_id__in=missing_album).values_list("track_id", "album_name")
    )
    for row in rows:
        values = list(row)
        values[4] = values[4] or hints.get(values[1], "")
        values[2], values[3] = values[2] or "", values[3] or ""
        values[5], values[6] = values[5] or 0, values[6] or ""
        yield ExportedPlay(*values)


# --- CSV ----------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def csv_lines(plays: Iterator[ExportedPlay], zone: ZoneInfo) -> Iterator[str]:
    writer = spreadsheet.writer(_Echo())  # no cell runs as a formula
    yield writer.writerow(CSV_HEADER)
    for play in plays:
        yield writer.writerow(
            [
                play.played_at.astimezone(UTC).isoformat(),
                play.played_at.astimezone(zone).isoformat(),
                play.track_name,
                play.artists,
                play.album,
                f"spotify:track:{play.track_id}",
                "" if play.ms_played is None else play.ms_played,
                play.source,
                play.context_type,
                play.context_uri,
                play.platform,
                _flag(play.shuffle),
                _flag(play.skipped),
                play.reason_start,
                play.reason_end,
                _flag(play.offline),
                _flag(play.incognito),
            ]
        )


# --- ListenBrainz -------------------------------------------------------------------------------


def long_enough(play: ExportedPlay) -> bool:
    """ListenBrainz's rule for a listen: half the track or 4 minutes, whichever is lower.
    Polled plays carry no ms_played: Spotify listed them as played, so they count."""
    if play.ms_played is None or not play.duration_ms:
        return True
    return play.ms_played >= min(play.duration_ms / 2, 240_000)


def listen(play: ExportedPlay) -> dict | None:
    """One listen as ListenBrainz accepts it; None when it cannot be one (no names, too old)."""
    if not play.track_name.strip() or not play.artists.strip():
        return None
    length = play.ms_played if play.ms_played is not None else play.duration_ms
    started = play.played_at - timedelta(milliseconds=length or 0)
    listened_at = int(started.timestamp())
    if listened_at < LISTENBRAINZ_EARLIEST:
        return None
    url = f"https://open.spotify.com/track/{play.track_id}"
    info = {
        "submission_client": "Tunekeeper",
        "submission_client_version": CLIENT_VERSION,
        "media_player": "Spotify",
        "music_service": "spotify.com",
        "origin_url": url,
        "spotify_id": url,
    }
    if play.duration_ms > 0:
        info["duration_ms"] = play.duration_ms
    if play.isrc:
        info["isrc"] = play.isrc
    if play.ms_played is not None:
        info["ms_played"] = play.ms_played
    metadata = {
        "artist_name": play.artists.replace("\x00", ""),
        "track_name": play.track_name.replace("\x00", ""),
        "additional_info": info,
    }
    if play.album.strip():
        metadata["release_name"] = play.album.replace("\x00", "")
    return {"listened_at": listened_at, "track_metadata": metadata}


def listens(plays: Iterator[ExportedPlay], include_short: bool) -> Iterator[tuple[datetime, dict]]:
    for play in plays:
        if not include_short and not long_enough(play):
            continue
        item = listen(play)
        if item is not None:
            yield play.played_at, item


def jsonl_lines(plays: Iterator[ExportedPlay], include_short: bool) -> Iterator[str]:
    for _, item in listens(plays, include_short):
        yield json.dumps(item, ensure_ascii=False) + "\n"


README = """Listening history exported by Tunekeeper in ListenBrainz's export layout.

listens/<year>/<month>.jsonl hold one listen per line, grouped by the month the play ended
(UTC). `listened_at` is when the play started. Import this zip at ListenBrainz → Settings →
Import listens (service: ListenBrainz).

Note: ListenBrainz's own Spotify importer dates a play by when it ended, so a play imported
from Spotify there and from this file will appear twice.
"""


def listenbrainz_zip(
    plays: Iterator[ExportedPlay], include_short: bool, user_id: int, username: str
) -> tempfile.SpooledTemporaryFile:
    """The archive zip, written to a temporary file (spilled to disk past 16 MB)."""
    out = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)  # noqa: SIM115 - the response closes it
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user.json", json.dumps({"user_id": user_id, "username": username}))
        archive.writestr("README.txt", README)
        member, month = None, None
        try:
            for ended, item in listens(plays, include_short):
                key = (ended.year, ended.month)
                if key != month:
                    if member is not None:
                        member.close()
                    month = key
                    member = archive.open(f"listens/{key[0]}/{key[1]}.jsonl", "w")
                member.write((json.dumps(item, ensure_ascii=False) + "\n").encode())
        finally:
            if member is not None:
                member.close()
    out.seek(0)
    return out
