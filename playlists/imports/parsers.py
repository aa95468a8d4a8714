"""Read an uploaded playlist file into rows (reference/file-formats.md §1-§3).

Formats: Exportify CSV (watsonbox's, current and older layouts, translated headers; the
exportify.net fork), M3U/M3U8 (extended or plain), and plain "Artist - Title" lines. Each row
carries what it can: a Spotify id, an ISRC, title, artists, album, duration.

A file that cannot be read as a playlist raises `UnreadableFile` with a sentence a person can
act on; nothing is stored before parsing succeeded (the view creates rows only afterwards).
Referenced local paths are never opened.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import unquote, urlparse

from core import spreadsheet

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000  # Spotify's playlist size limit
MAX_LINE_CHARS = 2000

EXPORTIFY = "exportify"
M3U = "m3u"
TEXT = "text"
JSON = "json"
FORMAT_LABELS = {
    EXPORTIFY: "Exportify CSV",
    M3U: "M3U playlist",
    TEXT: "text list",
    JSON: "JSON playlist",
}


class UnreadableFile(ValueError):
    """The upload is not a playlist we can read; the message says why, for a person."""


@dataclass
class ParsedRow:
    line: int
    title: str = ""
    artists: list[str] = field(default_factory=list)
    album: str = ""
    duration_ms: int | None = None
    isrc: str = ""
    spotify_id: str = ""
    needs_review: bool = False  # the artist/title split was a guess


@dataclass
class ParsedFile:
    format: str
    rows: list[ParsedRow]
    name_hint: str = ""
    warnings: list[str] = field(default_factory=list)


# --- shared helpers -----------------------------------------------------------------------------

_SPOTIFY_TRACK = re.compile(
    r"^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z-]+/)?track/)([0-9A-Za-z]{22})"
)
_BARE_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_SEPARATOR = re.compile(r"\s+[-–—]\s+")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")


def spotify_track_id(value: str) -> str:
    match = _SPOTIFY_TRACK.match((value or "").strip())
    return match.group(1) if match else ""


def split_artist_title(text: str) -> tuple[list[str], str]:
    """ "Artist - Title" on the first dash surrounded by spaces; ([], text) without one."""
    parts = _SEPARATOR.split(text.strip(), maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return [parts[0].strip()], parts[1].strip()
    return [], text.strip()


def decode(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (BOM or not); otherwise Windows-1252 / Latin-1 with a warning (VLC's rule)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "The file is not UTF-8; it was read as Windows-1252."
    except UnicodeDecodeError:
        return data.decode("latin-1"), "The file is not UTF-8; it was read as Latin-1."


# No track is longer than a day; a larger "duration" (3000000000, inf, 1e400) is not one.
MAX_DURATION_MS = 24 * 3600 * 1000


def _duration_ms(milliseconds: float) -> int | None:
    """A duration in ms if it can be one (finite, positive, at most a day), else None."""
    if not math.isfinite(milliseconds) or not 0 < milliseconds <= MAX_DURATION_MS:
        return None
    return int(milliseconds)


def _int_or_none(value: str) -> int | None:
    value = (value or "").strip()
    if value.lower() in ("", "undefined", "null", "nan") or len(value) > 32:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return _duration_ms(number)


def _too_many(count: int) -> UnreadableFile:
    return UnreadableFile(
        f"The file lists more than {MAX_ROWS} tracks; a Spotify playlist holds at most {MAX_ROWS}."
    )


def _lines(text: str):
    """(number, line) one at a time: a 5 MB file of one-character lines is 2.5 million
    strings if split at once, and the row cap refuses long before the end."""
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        yield number, raw.rstrip("\r\n")


_MINUTES_SECONDS = re.compile(r"^(\d{1,4}):([0-5]\d)$")


def duration_ms(value: str) -> int | None:
    """Milliseconds from "200000" (ms, as Exportify writes) or "3:20" (m:ss, as people type)."""
    match = _MINUTES_SECONDS.match((value or "").strip())
    if match:
        return (int(match.group(1)) * 60 + int(match.group(2))) * 1000 or None
    return _int_or_none(value)


def _isrc(value: str) -> str:
    cleaned = re.sub(r"[\s-]", "", value or "").upper()
    return cleaned if _ISRC.match(cleaned) else ""


# --- Exportify CSV ------------------------------------------------------------------------------

# Header names → our field: watsonbox's locale files (src/i18n/locales/*/translation.json, all 12
# languages as of 2026), its older layouts and earlier translations (§1.2, §1.4), the fork
# (§1.5) and exportify-cli (`Duration_ms`, `Track ISRC`). Compared after stripping whitespace
# and case-folding.
HEADERS = {
    "uri": {
        "track uri", "spotify uri", "spotify id", "track id", "track-uri", "uri du titre",
        "uri de la pista", "uri del brano", "uri da faixa", "spår-uri", "track-uri's",
        "トラックuri", "uri de la canción", "uri della traccia", "låtens uri", "nummer uri",
        "parça uri", "uri κομματιού", "رابط الأغنية (uri)",
    },
    "title": {
        "track name", "name", "track-name", "nom du titre", "nombre de la pista",
        "nome del brano", "nome da faixa", "spårnamn", "tracknaam", "トラック名",
        "nombre de la canción", "nome della traccia", "låtens namn", "nummernaam", "parça adı",
        "όνομα κομματιού", "اسم الأغنية",
    },
    "artists": {
        "artist name(s)", "artist name", "künstlername(n)", "nom(s) de l'artiste",
        "nombre(s) del artista", "nome/i dell'artista", "nome(s) do artista", "artistnamn",
        "artiestnaam/-namen", "アーティスト名", "nome dell'artista", "artistens namn",
        "naam van artiest", "sanatçı adı", "όνομα/τα καλλιτέχνη", "أسماء الفنانين",
    },
    "artist_uris": {
        "artist uri(s)", "artist uri", "artist ids", "künstler-uri(s)", "uri(s) de l'artiste",
        "uri(s) del artista", "uri dell'artista", "uri(s) do artista", "artistens uri",
        "artiest-uri", "アーティストuri", "sanatçı uri", "uri καλλιτέχνη/ων",
        "روابط الفنانين (uri)",
    },
    "album": {
        "album name", "albumname", "nom de l'album", "nombre del álbum", "アルバム名",
        "album-name", "nome do álbum", "nome dell'album", "albumets namn", "naam van album",
        "albüm adı", "όνομα άλμπουμ", "اسم الألبوم",
    },
    "duration": {
        "track duration (ms)", "duration (ms)", "track-dauer (ms)", "durée du titre (ms)",
        "duración de la pista (ms)", "durata del brano (ms)", "トラックの長さ（ミリ秒）",
        "duration_ms", "duración de la canción (ms)", "durata della traccia (ms)",
        "duração da faixa (ms)", "låtlängd (ms)", "nummerduur (ms)", "parça süresi (ms)",
        "διάρκεια κομματιού (ms)", "مدة الأغنية (بالمللي ثانية)",
    },
    "isrc": {"isrc", "track isrc"},
}  # fmt: skip
# Unknown headers but Spotify URIs in column 1 and ≥ 19 columns: watsonbox's column order.
WATSONBOX_POSITIONS = {"uri": 0, "title": 1, "artists": 3, "album": 5, "duration": 12, "isrc": 16}
_ESCAPED_COMMA_SPLIT = re.compile(r"(?<!\\), ")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _columns(header: list[str], first_row: list[str]) -> dict[str, int]:
    names = [h.strip().casefold() for h in header]
    columns = {}
    for key, accepted in HEADERS.items():
        for index, name in enumerate(names):
            if name in accepted:
                columns[key] = index
                break
    if "uri" not in columns and "title" not in columns:
        first = (first_row[0] if first_row else "").strip()
        if re.match(r"^spotify:(track|local|episode):", first) and len(first_row) >= 19:
            return dict(WATSONBOX_POSITIONS)
    return columns


def _split_artists(value: str, *, fork: bool, expected: int | None) -> list[str]:
    value = (value or "").strip()
    if not value:
        return []
    if fork:
        # The fork: ";" since 2025-07; before that "," without escaping (ambiguous: trust
        # the number of artist ids when there is an id column).
        if ";" in value:
            return [part.strip() for part in value.split(";") if part.strip()]
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if expected and len(parts) != expected:
            return [value]
        return parts
    return [
        part.replace("\\,", ",").strip()
        for part in _ESCAPED_COMMA_SPLIT.split(value)
        if part.strip()
    ]


def parse_exportify(text: str) -> ParsedFile:
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    table = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                table.append(row)
                if len(table) > MAX_ROWS + 1:  # the header, then the cap
                    raise _too_many(len(table))
    except csv.Error as error:
        raise UnreadableFile(f"The CSV is malformed ({error}).") from None
    if len(table) < 2:
        raise UnreadableFile("The CSV has a header but no tracks.")
    header, body = table[0], table[1:]
    columns = _columns(header, body[0])
    if not columns:
        raise UnreadableFile(
            "This CSV does not look like an Exportify export: expected columns such as "
            "'Track URI', 'Track Name' and 'Artist Name(s)'."
        )
    has_header = not re.match(r"^spotify:", header[0].strip())
    if not has_header:
        body = table
    names = {h.strip().casefold() for h in header}
    fork = (
        "record label" in names
        or ("release date" in names and "album release date" not in names)
        or not first_line.startswith('"')
    ) and "album artist uri(s)" not in names
    rows = []
    width = len(header)
    for number, cells in enumerate(body, start=2 if has_header else 1):
        if len(cells) != width:
            raise UnreadableFile(
                f"Line {number} has {len(cells)} columns where the header has {width}: "
                "the CSV is malformed (was it edited by hand?)."
            )

        def cell(key: str, cells=cells) -> str:
            index = columns.get(key)
            value = cells[index].strip() if index is not None and index < len(cells) else ""
            # Exports (ours among them) quote a cell a spreadsheet would run as a formula.
            return spreadsheet.restore(value)

        uri = cell("uri")
        spotify_id = spotify_track_id(uri) or (uri if _BARE_ID.match(uri) else "")
        expected = len([u for u in cell("artist_uris").split(",") if u.strip()]) or None
        row = ParsedRow(
            line=number,
            title=cell("title"),
            artists=_split_artists(cell("artists"), fork=fork, expected=expected),
            album=cell("album"),
            duration_ms=duration_ms(cell("duration")),
            isrc=_isrc(cell("isrc")),
            spotify_id=spotify_id,
        )
        if not row.spotify_id and not row.title:
            raise UnreadableFile(f"Line {number} has neither a track URI nor a track name.")
        rows.append(row)
    return ParsedFile(format=EXPORTIFY, rows=rows)


# --- M3U / M3U8 ---------------------------------------------------------------------------------

_EXTINF = re.compile(r"^#EXTINF:\s*(-?[\d.]+)?")
_TRACK_NUMBER = re.compile(r"^\d{1,3}[ .\-_]+")


def _split_extinf(value: str) -> tuple[int | None, str]:
    """`#EXTINF:123 tvg-id="x",Artist - Title` → (123000 ms, "Artist - Title")."""
    body = value[len("#EXTINF:") :]
    in_quotes = False
    for index, char in enumerate(body):
        if char == '"':
            in_quotes = not in_quotes
        elif char == "," and not in_quotes:
            head, title = body[:index], body[index + 1 :]
            break
    else:
        head, title = body, ""
    match = re.match(r"\s*(-?\d{1,12}(?:\.\d{1,6})?)(?![\d.])", head)
    seconds = float(match.group(1)) if match else 0
    return _duration_ms(seconds * 1000), title.strip()


def _entry_name(entry: str) -> str:
    """The file name without its extension, for a plain M3U entry (path or URL)."""
    if entry.lower().startswith(("file://", "http://", "https://")):
        entry = unquote(urlparse(entry).path)
    path = PureWindowsPath(entry) if "\\" in entry else PurePosixPath(entry)
    return path.stem


def parse_m3u(text: str) -> ParsedFile:
    rows: list[ParsedRow] = []
    name_hint = ""
    pending: tuple[int | None, str] | None = None
    for number, raw in _lines(text):
        line = raw.strip()
        if not line:
            continue
        if len(line) > MAX_LINE_CHARS:
            raise UnreadableFile(f"Line {number} is {len(line)} characters long: not a playlist.")
        if line.startswith("#"):
            if line.upper().startswith("#EXTINF:"):
                pending = _split_extinf(line)
            elif line.upper().startswith("#PLAYLIST:"):
                name_hint = line[len("#PLAYLIST:") :].strip()
            continue  # other directives and comments
        duration, title_text = pending or (None, "")
        pending = None
        spotify_id = spotify_track_id(line)
        if spotify_id:
            artists, title = split_artist_title(title_text) if title_text else ([], "")
            rows.append(ParsedRow(number, title, artists, "", duration, "", spotify_id))
            if len(rows) > MAX_ROWS:
                raise _too_many(len(rows))
            continue
        guess = title_text or _TRACK_NUMBER.sub("", _entry_name(line))
        artists, title = split_artist_title(guess)
        rows.append(ParsedRow(number, title, artists, "", duration, needs_review=not artists))
        if len(rows) > MAX_ROWS:
            raise _too_many(len(rows))
    return ParsedFile(format=M3U, rows=rows, name_hint=name_hint)


# --- plain "Artist - Title" lines ---------------------------------------------------------------

_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")
_TRAILING_TIME = re.compile(r"\s*[\[(]?(\d{1,2}):(\d{2})[\])]?$")


def parse_text(text: str) -> ParsedFile:
    rows: list[ParsedRow] = []
    for number, raw in _lines(text):
        if len(rows) >= MAX_ROWS and raw.strip() and not raw.lstrip().startswith(("#", "//")):
            raise _too_many(len(rows) + 1)
        line = raw.strip()
        if not line or line.startswith(("#", "//")):
            continue
        if len(line) > MAX_LINE_CHARS:
            raise UnreadableFile(f"Line {number} is {len(line)} characters long: not a track.")
        spotify_id = spotify_track_id(line)
        if spotify_id:
            rows.append(ParsedRow(number, spotify_id=spotify_id))
            continue
        line = _NUMBERED.sub("", line)
        duration = None
        time = _TRAILING_TIME.search(line)
        if time:
            duration = (int(time.group(1)) * 60 + int(time.group(2))) * 1000
            line = line[: time.start()].strip()
        artists, title = split_artist_title(line)
        rows.append(ParsedRow(number, title, artists, "", duration, needs_review=not artists))
    return ParsedFile(format=TEXT, rows=rows)


# --- JSON: Tunekeeper's own export ({"name": ..., "tracks": [...]}, lower-case keys) and
# exportify-cli's `-f json` (a list of objects keyed by its CSV headers, artists as a list) -----


def _json_artists(value) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(", ") if part.strip()]
    if not isinstance(value, list):
        return []
    names = []
    for artist in value:
        name = artist.get("name") if isinstance(artist, dict) else artist
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def _json_text(value) -> str:
    return value.strip()[:MAX_LINE_CHARS] if isinstance(value, str) else ""


def _json_field(entry: dict, key: str, own: str):
    """The value under our own key, or under any header name that means the same field."""
    if own in entry:
        return entry[own]
    for name, value in entry.items():
        if isinstance(name, str) and name.strip().casefold() in HEADERS[key]:
            return value
    return None


def _json_duration(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**31 else None
    return duration_ms(value) if isinstance(value, str) else None


def parse_json(text: str) -> ParsedFile:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise UnreadableFile("This JSON file is malformed or nested too deeply.") from None
    name = ""
    if isinstance(document, dict):
        name = _json_text(document.get("name"))
        document = document.get("tracks")
    if not isinstance(document, list):
        raise UnreadableFile(
            'This JSON is not a playlist: expected a list of tracks or {"tracks": [...]}.'
        )
    rows = []
    for number, entry in enumerate(document[: MAX_ROWS + 1], start=1):
        if not isinstance(entry, dict):
            raise UnreadableFile(f"Track {number} of the JSON is not an object.")
        album = _json_field(entry, "album", "album")
        row = ParsedRow(
            line=number,
            title=_json_text(_json_field(entry, "title", "name")),
            artists=_json_artists(_json_field(entry, "artists", "artists")),
            album=_json_text(album.get("name") if isinstance(album, dict) else album),
            duration_ms=_json_duration(_json_field(entry, "duration", "duration_ms")),
            isrc=_isrc(_json_text(_json_field(entry, "isrc", "isrc"))),
            spotify_id=spotify_track_id(_json_text(_json_field(entry, "uri", "uri"))),
        )
        if not row.spotify_id and not row.title:
            raise UnreadableFile(f"Track {number} of the JSON has neither a URI nor a name.")
        rows.append(row)
    return ParsedFile(format=JSON, rows=rows, name_hint=name)


# --- entry point --------------------------------------------------------------------------------


SAMPLE_CHARS = 64 * 1024
MAX_CONTROL_SHARE = 0.01  # real playlists have none; random bytes ~25 %
MAX_HIGH_BYTE_SHARE = 0.3  # of a non-UTF-8 file: accented names, not noise
MIN_SHAPED_SHARE = 0.5  # of a text list's lines: "Artist - Title" or a Spotify link


def _mostly_text(data: bytes, text: str, *, utf8: bool) -> bool:
    """Refuse noise before any row is stored or any call made (issue: 50 KB of random bytes
    read as 1,532 "tracks" spent 698 searches)."""
    sample = text[:SAMPLE_CHARS]
    controls = sum(
        1 for char in sample if (char < " " and char not in "\t\n\r") or "\x7f" <= char < "\xa0"
    )
    if controls > len(sample) * MAX_CONTROL_SHARE:
        return False
    if not utf8:
        head = data[:SAMPLE_CHARS]
        if sum(1 for byte in head if byte >= 0x80) > len(head) * MAX_HIGH_BYTE_SHARE:
            return False
    return True


def _require_track_shape(rows: list[ParsedRow]) -> None:
    shaped = sum(1 for row in rows if row.artists or row.spotify_id)
    if shaped < len(rows) * MIN_SHAPED_SHARE:
        raise UnreadableFile(
            f"This does not look like a playlist: only {shaped} of {len(rows)} lines look "
            "like “Artist - Title” or a Spotify link."
        )


def parse_upload(file_name: str, data: bytes) -> ParsedFile:
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(
            f"The file is {len(data) // 1024} KB; playlist files up to "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB are accepted."
        )
    if not data.strip():
        raise UnreadableFile("The file is empty.")
    if data[:4] == b"PK\x03\x04":
        raise UnreadableFile(
            "This is a zip archive (Exportify's 'Export All'?): unzip it and upload one CSV."
        )
    if b"\x00" in data:  # anywhere, not only at the start: no playlist text holds a NUL
        raise UnreadableFile("This is a binary file, not a playlist (CSV, M3U or text).")
    text, warning = decode(data)
    if not _mostly_text(data, text, utf8=warning is None):
        raise UnreadableFile(
            "This file is mostly not text (random or binary data?), so it is not a playlist."
        )
    suffix = PurePosixPath(file_name.lower()).suffix
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml")):
        raise UnreadableFile("This looks like HTML or XML, not a playlist file.")
    if suffix == ".json" or head.startswith(("{", "[")):
        parsed = parse_json(text)
    elif suffix in (".m3u", ".m3u8") or head.startswith("#extm3u"):
        parsed = parse_m3u(text)
    elif suffix == ".csv":
        parsed = parse_exportify(text)
    elif suffix in (".txt", ""):
        parsed = parse_text(text)
    else:
        raise UnreadableFile(
            f"'{suffix}' files are not supported: upload an Exportify .csv, an .m3u/.m3u8 "
            "playlist or a .txt list of 'Artist - Title' lines."
        )
    if not parsed.rows:
        raise UnreadableFile("No tracks were found in the file.")
    if parsed.format == TEXT:
        _require_track_shape(parsed.rows)
    if len(parsed.rows) > MAX_ROWS:
        raise UnreadableFile(
            f"The file lists {len(parsed.rows)} tracks; a Spotify playlist holds at most "
            f"{MAX_ROWS}."
        )
    if warning:
        parsed.warnings.append(warning)
    if not parsed.name_hint:
        parsed.name_hint = PurePosixPath(PureWindowsPath(file_name).name).stem.replace("_", " ")
    return parsed
