"""Reading Spotify's data export: which files are listening history, and their records, streamed.

An upload is a zip (`my_spotify_data.zip`) or loose JSON files. Each history file is one JSON
array, ~12 MB; a lifetime can be hundreds of MB, so records are streamed with ijson (its C
backend) and never loaded whole. Zip members are checked before anything is read: a path that
escapes the archive, an encrypted member, one too large or compressed far past what JSON
compresses to is refused with a reason, and the actual bytes read are counted too, since a
zip's header can lie about sizes.

Reference: shared/reference/spotify-api-2026.md §6 and file-formats.md §5.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import ijson

from archive import conf


class FileKind:
    EXTENDED = "extended"  # Streaming_History_Audio_*.json, endsong_*.json: URIs, ms precision
    ACCOUNT = "account"  # StreamingHistory_music_*.json, StreamingHistory*.json: names only
    PODCAST = "podcast"  # StreamingHistory_podcast_*.json: counted, not imported
    VIDEO = "video"  # Streaming_History_Video_*.json: counted, not imported
    UNKNOWN = "unknown"  # a loose .json with another name: decided by its first record


_KIND_PATTERNS = [
    (re.compile(r"streaming_history_audio_.*\.json$", re.I), FileKind.EXTENDED),
    (re.compile(r"endsong(_\d+)?\.json$", re.I), FileKind.EXTENDED),
    (re.compile(r"streaming_history_video_.*\.json$", re.I), FileKind.VIDEO),
    (re.compile(r"streaminghistory_music_\d+\.json$", re.I), FileKind.ACCOUNT),
    (re.compile(r"streaminghistory_podcast_\d+\.json$", re.I), FileKind.PODCAST),
    (re.compile(r"streaminghistory\d*\.json$", re.I), FileKind.ACCOUNT),  # older exports
]

EXTENDED_KEYS = {"ts", "ms_played"}
ACCOUNT_KEYS = {"endTime", "artistName", "trackName", "msPlayed"}


def kind_of(name: str) -> str | None:
    """The kind of a history file from its name; None for files that are not history."""
    base = PurePosixPath(name.replace("\\", "/")).name
    for pattern, kind in _KIND_PATTERNS:
        if pattern.match(base):
            return kind
    return None


class UploadRefused(Exception):
    """The whole upload is unusable (not a zip, too many members, too big once unzipped)."""


class ExportFileError(Exception):
    """One file cannot be read (further); the message is for people."""


@dataclass(frozen=True)
class Source:
    """One history file of an upload: a loose file, or a member of an uploaded zip."""

    name: str  # what people see: the member path, or the uploaded file's name
    path: str  # the stored upload on disk
    member: str  # the zip member, "" for a loose file
    kind: str
    size: int  # uncompressed bytes
    problem: str = ""  # why it is refused; "" when it can be read


@dataclass(frozen=True)
class Inspection:
    sources: list[Source]
    ignored: list[str]  # members that are not listening history (playlists, library, PDFs…)


def _escapes(name: str) -> bool:
    normalized = name.replace("\\", "/")
    parts = PurePosixPath(normalized).parts
    return (
        normalized.startswith("/")
        or re.match(r"^[A-Za-z]:", normalized) is not None
        or ".." in parts
        or "\x00" in name
    )


MAX_MEMBERS = 10_000
# A lifetime of extended history is a few dozen files of ~12 MB. Thousands of tiny ones cost a
# worker seconds of bookkeeping each while holding others' imports up, and are never an export.
MAX_HISTORY_FILES = 1_000


def inspect_upload(path: Path, original_name: str) -> Inspection:
    """List the history files in one stored upload, each either readable or refused with a
    reason. Reads only the zip's directory, never its contents."""
    if not zipfile.is_zipfile(path):
        if not original_name.lower().endswith(".json"):
            raise UploadRefused(
                f"{original_name}: not a zip or a .json file. Upload my_spotify_data.zip or "
                "the Streaming_History_*.json / StreamingHistory_music_*.json files in it."
            )
        kind = kind_of(original_name) or FileKind.UNKNOWN
        return Inspection([Source(original_name, str(path), "", kind, path.stat().st_size)], [])
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise UploadRefused(f"{original_name}: the zip is damaged ({error}).") from None
    if len(members) > MAX_MEMBERS:
        raise UploadRefused(
            f"{original_name}: {len(members):,} files inside; a Spotify export has a few dozen."
        )
    sources: list[Source] = []
    ignored: list[str] = []
    total = 0
    for member in members:
        if member.is_dir():
            continue
        name = member.filename
        kind = kind_of(name)
        problem = _member_problem(member)
        if kind is None and not (problem and _escapes(name)):
            if name.lower().endswith(".zip"):
                problem = "a zip inside the zip: unzip it and upload the inner zip itself"
                kind = FileKind.UNKNOWN
            else:
                ignored.append(name)
                continue
        if not problem:
            total += member.file_size
        sources.append(
            Source(name, str(path), name, kind or FileKind.UNKNOWN, member.file_size, problem)
        )
    if len(sources) > MAX_HISTORY_FILES:
        raise UploadRefused(
            f"{original_name}: {len(sources):,} listening-history files inside; a Spotify "
            f"export has a few dozen, and at most {MAX_HISTORY_FILES:,} are read."
        )
    if total > conf.max_total_bytes():
        raise UploadRefused(
            f"{original_name}: {total / 2**30:.1f} GB of history once unzipped is more than "
            f"this server accepts ({conf.max_total_bytes() / 2**30:.1f} GB)."
        )
    return Inspection(sources, ignored)


def _member_problem(member: zipfile.ZipInfo) -> str:
    if _escapes(member.filename):
        return "its path points outside the archive (path traversal); refused"
    if member.flag_bits & 0x1:
        return "it is encrypted; export again from Spotify without a password"
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return "it uses a compression method this server does not read; re-zip it"
    if member.file_size > conf.max_member_bytes():
        return (
            f"it is {member.file_size / 2**20:,.0f} MB unzipped, more than the "
            f"{conf.max_member_bytes() / 2**20:,.0f} MB a history file may be"
        )
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > 1024 * 1024 and ratio > conf.max_compression_ratio():
        return f"it unzips {ratio:,.0f} times larger than it is: a decompression bomb; refused"
    return ""


# --- reading --------------------------------------------------------------------------------------


class CountingReader:
    """Counts the bytes read (for progress) and stops at `limit` (a zip header can lie)."""

    def __init__(self, raw, limit: int):
        self.raw = raw
        self.limit = limit
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size is not None and size >= 0 else 64 * 1024)
        self.count += len(data)
        if self.count > self.limit:
            raise ExportFileError(
                f"it grew past {self.limit / 2**20:,.0f} MB while unzipping; refused as a "
                "decompression bomb. Nothing after that point was read."
            )
        return data


class ZipCache:
    """Open zips kept across the files of one run: opening a zip parses its whole directory,
    and doing that once per member is quadratic in the number of members."""

    def __init__(self):
        self.open: dict[str, zipfile.ZipFile] = {}

    def get(self, path: str) -> zipfile.ZipFile:
        if path not in self.open:
            self.open[path] = zipfile.ZipFile(path)
        return self.open[path]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for archive in self.open.values():
            archive.close()
        self.open.clear()


@contextmanager
def open_source(source: Source, archives: ZipCache | None = None) -> Iterator[CountingReader]:
    limit = min(source.size, conf.max_member_bytes()) if source.member else source.size
    if source.member and archives is not None:
        with archives.get(source.path).open(source.member) as raw:
            yield CountingReader(raw, limit)
    elif source.member:
        with zipfile.ZipFile(source.path) as archive, archive.open(source.member) as raw:
            yield CountingReader(raw, limit)
    else:
        with open(source.path, "rb") as raw:
            yield CountingReader(raw, limit)


class _Prefixed:
    """A byte stream with a few already-read bytes put back in front."""

    def __init__(self, prefix: bytes, stream):
        self.prefix = prefix
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if self.prefix:
            head, self.prefix = self.prefix, b""
            if size is not None and 0 <= size < len(head):
                head, self.prefix = head[:size], head[size:]
                return head
            rest = b"" if size is None or size < 0 else self.stream.read(size - len(head))
            return head + rest
        return self.stream.read(size)


_UTF16_32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")

# A history file is a list of flat objects (depth 2). ijson's item builder costs memory in the
# square of the nesting depth (20,000 levels: over 1 GB), so every chunk is first run through a
# prefix-free depth counter, and a file nesting deeper than this is refused before the builder
# sees the chunk that goes too deep.
MAX_JSON_DEPTH = 16


class _TooDeep(Exception):
    pass


@ijson.utils.coroutine
def _depth_counter(limit: int):
    depth = 0
    while True:
        event, _ = yield
        if event == "start_map" or event == "start_array":
            depth += 1
            if depth > limit:
                raise _TooDeep
        elif event == "end_map" or event == "end_array":
            depth -= 1


class _DepthGuard:
    """A stream whose bytes pass a cheap, prefix-free parse that counts nesting first."""

    def __init__(self, stream, limit: int = MAX_JSON_DEPTH):
        self.stream = stream
        self.counter = ijson.basic_parse_coro(_depth_counter(limit), use_float=True)

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        if data:
            self.counter.send(data)
        return data


def records(stream, *, skip: int = 0) -> Iterator[dict]:
    """The objects of a JSON array, one at a time, after skipping the first `skip` (a resumed
    import's checkpoint). Raises ExportFileError with a readable reason; records before the
    fault have been yielded by then."""
    try:
        head = stream.read(4096)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ExportFileError(f"the zip member is damaged ({error}).") from None
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]  # a UTF-8 byte-order mark: harmless, but yajl rejects it
    elif head.startswith(_UTF16_32_BOMS):
        raise ExportFileError(
            "it is UTF-16/UTF-32 text; Spotify's exports are UTF-8. Use the original file "
            "from Spotify's zip, not one re-saved by an editor."
        )
    first = head.lstrip()[:1]
    if not first:
        raise ExportFileError("it is empty.")
    if first != b"[":
        raise ExportFileError(
            "it is not a JSON list of plays (Spotify's history files start with '['); "
            "it does not look like a listening-history file."
        )
    position = 0
    try:
        guarded = _DepthGuard(_Prefixed(head, stream))
        for item in ijson.items(guarded, "item", use_float=True):
            position += 1
            if position <= skip:
                continue
            yield item
    except _TooDeep:
        raise ExportFileError(
            f"its JSON nests more than {MAX_JSON_DEPTH} levels deep (after record "
            f"{position:,}); Spotify's history is a flat list of plays, so this is not one. "
            "The records before that point were kept."
        ) from None
    except ijson.IncompleteJSONError as error:
        raise ExportFileError(_explain(error, position)) from None
    except UnicodeDecodeError:
        raise ExportFileError(_not_utf8(position)) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ExportFileError(
            f"the zip member is damaged after record {position:,} ({error}); the records "
            "before that point were kept."
        ) from None


def _not_utf8(position: int) -> str:
    return (
        f"it is not UTF-8 text (bad bytes after record {position:,}); Spotify's exports are "
        "UTF-8. Use the original file from Spotify's zip."
    )


def _explain(error: Exception, position: int) -> str:
    text = str(error)
    if "UTF8" in text or "UTF-8" in text:
        return _not_utf8(position)
    if "premature EOF" in text:
        return (
            f"the file ends in the middle of the JSON after record {position:,}: it is cut "
            "short (an interrupted download or unzip?). The records before that point were kept."
        )
    if "overflow" in text:
        return (
            f"it holds a number too large to be a play's duration after record {position:,}; "
            "the records before that point were kept."
        )
    if "trailing garbage" in text:
        return f"there is extra text after the end of the JSON list (after record {position:,})."
    return f"the JSON is malformed after record {position:,}."


# --- records --------------------------------------------------------------------------------------


class Row:
    """What one record is, once read."""

    PLAY = "play"
    PODCAST = "podcast"
    AUDIOBOOK = "audiobook"
    NO_TRACK = "no_track"  # music row without a track URI (local file, removed track)
    INVALID = "invalid"  # no usable time or duration
    FUTURE = "future"  # dated after the import started: no one listened to it yet


# Bounds a real play stays within; a record outside them is skipped with its reason, and the
# good records around it are kept.
EARLIEST_PLAY = datetime(2000, 1, 1, tzinfo=UTC)  # Spotify launched in 2008
MAX_MS_PLAYED = 2**31 - 1  # the column is a 32-bit integer; 24.8 days of one stream
MAX_NAME_LENGTH = 500
_TRACK_ID = re.compile(r"[0-9A-Za-z]{1,32}")


class BadRecord(ValueError):
    """One record that cannot be a play; `str()` says why, in words for the import page."""


def _timestamp(parse, value) -> datetime:
    try:
        moment = parse(value)
    except (TypeError, ValueError, OverflowError):
        raise BadRecord("its time is missing or not a date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 cannot be moved across time zones
        raise BadRecord("its time is outside the years a play can have") from None
    if moment < EARLIEST_PLAY:
        raise BadRecord("its time is before 2000, before Spotify existed")
    return moment


def _duration(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadRecord("its duration (ms_played) is missing or not a number")
    try:
        number = int(value)  # int(inf) is OverflowError, int("1e400") ValueError
    except (TypeError, ValueError, OverflowError):
        raise BadRecord("its duration (ms_played) is not a whole number") from None
    if not 0 <= number <= MAX_MS_PLAYED:
        raise BadRecord("its duration (ms_played) is negative or longer than 24 days")
    return number


def clean_text(value, limit: int = MAX_NAME_LENGTH) -> str:
    """Names as stored: text only, no NUL (PostgreSQL refuses it), at most `limit` characters."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:limit]


def problem_with(play: ExportPlay, started_at: datetime) -> str | None:
    """Why a read play cannot be stored as it is, or None."""
    if play.played_at > started_at:
        return "it is dated after the import started (a play in the future)"
    return None


@dataclass(slots=True)
class ExportPlay:
    played_at: datetime  # UTC, when the stream ended (as Spotify gives it)
    ms_played: int
    track_id: str | None  # None in account data: matched by artist + title instead
    track_name: str
    artist_name: str
    album_name: str = ""
    platform: str = ""
    reason_start: str = ""
    reason_end: str = ""
    shuffle: bool | None = None
    skipped: bool | None = None
    offline: bool | None = None
    incognito: bool | None = None


def missing_keys(record, kind: str) -> set[str]:
    """The keys a history record of `kind` must have that this one lacks (all, for non-dicts)."""
    needed = EXTENDED_KEYS if kind == FileKind.EXTENDED else ACCOUNT_KEYS
    if not isinstance(record, dict):
        return set(needed)
    return needed - record.keys()


def sniff_kind(record) -> str | None:
    """A loose file with an unfamiliar name: its first record says what it is."""
    if isinstance(record, dict):
        if not missing_keys(record, FileKind.EXTENDED):
            return FileKind.EXTENDED
        if not missing_keys(record, FileKind.ACCOUNT):
            return FileKind.ACCOUNT
    return None


def _text(value) -> str:
    return clean_text(value)


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


TRACK_URI_PREFIX = "spotify:track:"


def read_extended(record) -> tuple[str, ExportPlay | None]:
    """What the record is, and the play if it is one; raises BadRecord for a play that cannot
    be (bad time, duration or track link), saying why."""
    if not isinstance(record, dict):
        return Row.INVALID, None
    uri = record.get("spotify_track_uri")
    if not uri:
        if record.get("spotify_episode_uri") or record.get("episode_name"):
            return Row.PODCAST, None
        if (
            record.get("audiobook_uri")
            or record.get("audiobook_chapter_uri")
            or record.get("audiobook_title")
        ):
            return Row.AUDIOBOOK, None
        return Row.NO_TRACK, None
    played_at = _timestamp(datetime.fromisoformat, record.get("ts"))
    ms_played = _duration(record.get("ms_played"))
    if not isinstance(uri, str) or not uri.startswith(TRACK_URI_PREFIX):
        return Row.NO_TRACK, None
    if not _TRACK_ID.fullmatch(uri[len(TRACK_URI_PREFIX) :]):
        raise BadRecord("its track link (spotify_track_uri) is not a Spotify track id")
    return Row.PLAY, ExportPlay(
        played_at=played_at,
        ms_played=ms_played,
        track_id=uri[len(TRACK_URI_PREFIX) :],
        track_name=_text(record.get("master_metadata_track_name")),
        artist_name=_text(record.get("master_metadata_album_artist_name")),
        album_name=_text(record.get("master_metadata_album_album_name")),
        platform=_text(record.get("platform"))[:100],
        reason_start=_text(record.get("reason_start"))[:32],
        reason_end=_text(record.get("reason_end"))[:32],
        shuffle=_flag(record.get("shuffle")),
        skipped=_flag(record.get("skipped")),
        offline=_flag(record.get("offline")),
        incognito=_flag(record.get("incognito_mode")),
    )


def read_account(record) -> tuple[str, ExportPlay | None]:
    """`endTime` is "YYYY-MM-DD HH:MM" in UTC, to the minute, the end of the stream."""
    if not isinstance(record, dict):
        return Row.INVALID, None
    played_at = _timestamp(
        lambda text: datetime.strptime(text, "%Y-%m-%d %H:%M"), record.get("endTime")
    )
    ms_played = _duration(record.get("msPlayed"))
    artist, title = _text(record.get("artistName")), _text(record.get("trackName"))
    if not artist or not title:
        return Row.NO_TRACK, None
    return Row.PLAY, ExportPlay(
        played_at=played_at,
        ms_played=ms_played,
        track_id=None,
        track_name=title,
        artist_name=artist,
    )


class LocalFile:
    """A file on disk shaped like an upload (`name`, `chunks()`), for imports from the shell."""

    def __init__(self, path: Path):
        self.name = path.name
        self.path = path

    def chunks(self):
        with open(self.path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk
