"""slskd's JSON as typed values. Parsers are forgiving the way slskd needs: null fields are
left out of its JSON, enums are comma-joined flag strings, timestamps often lack the `Z`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PureWindowsPath


def flags(value: object) -> frozenset[str]:
    """`"Completed, Succeeded"` → {"Completed", "Succeeded"}; never use slskd's integers."""
    if not isinstance(value, str):
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def timestamp(value: object) -> datetime | None:
    """ISO-8601 from slskd; naive values are UTC (slskd usually omits the `Z`)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    # .NET writes 7 fractional digits; Python takes at most 6.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Version:
    raw: str
    parts: tuple[int, ...]

    @classmethod
    def parse(cls, raw: object) -> Version:
        text = str(raw or "").strip().strip('"')
        numbers = []
        for piece in text.split("+")[0].split("-")[0].split("."):
            if not piece.isdigit():
                break
            numbers.append(int(piece))
        return cls(raw=text, parts=tuple(numbers) or (0,))

    def at_least(self, *wanted: int) -> bool:
        return self.parts >= wanted


@dataclass(frozen=True)
class ServerState:
    state: frozenset[str]
    is_connected: bool
    is_logged_in: bool
    address: str = ""

    @classmethod
    def parse(cls, data: dict) -> ServerState:
        return cls(
            state=flags(data.get("state")),
            is_connected=bool(data.get("isConnected")),
            is_logged_in=bool(data.get("isLoggedIn")),
            address=str(data.get("address") or ""),
        )


@dataclass(frozen=True)
class SearchStatus:
    id: str
    state: frozenset[str]
    is_complete: bool
    response_count: int
    file_count: int
    started_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def parse(cls, data: dict) -> SearchStatus:
        state = flags(data.get("state"))
        return cls(
            id=str(data.get("id") or ""),
            state=state,
            # Never "state != InProgress": that exits early on Queued (reference §4.2).
            is_complete=bool(data.get("isComplete")) or "Completed" in state,
            response_count=_int(data.get("responseCount")) or 0,
            file_count=_int(data.get("fileCount")) or 0,
            started_at=timestamp(data.get("startedAt")),
            ended_at=timestamp(data.get("endedAt")),
        )

    @property
    def errored(self) -> bool:
        return "Errored" in self.state


AUDIO_EXTENSIONS = frozenset(
    {"flac", "mp3", "m4a", "aac", "ogg", "opus", "wav", "aiff", "aif", "ape", "wv", "alac", "wma"}
)


@dataclass(frozen=True)
class RemoteFile:
    filename: str  # the full remote path with backslashes; sent back unchanged to enqueue
    size: int
    bit_rate: int | None = None
    bit_depth: int | None = None
    sample_rate: int | None = None
    length: int | None = None  # seconds
    is_vbr: bool | None = None

    @classmethod
    def parse(cls, data: dict) -> RemoteFile:
        vbr = data.get("isVariableBitRate")
        return cls(
            filename=str(data.get("filename") or ""),
            size=_int(data.get("size")) or 0,
            bit_rate=_int(data.get("bitRate")),
            bit_depth=_int(data.get("bitDepth")),
            sample_rate=_int(data.get("sampleRate")),
            length=_int(data.get("length")),
            is_vbr=vbr if isinstance(vbr, bool) else None,
        )

    @property
    def path(self) -> PureWindowsPath:
        return PureWindowsPath(self.filename)

    @property
    def basename(self) -> str:
        return self.path.name

    @property
    def folder(self) -> str:
        return str(self.path.parent)

    @property
    def extension(self) -> str:
        # slskd's own `extension` is often empty: the filename is the truth (as soularr does).
        return self.path.suffix.lower().lstrip(".")

    @property
    def is_audio(self) -> bool:
        return self.extension in AUDIO_EXTENSIONS


@dataclass(frozen=True)
class PeerResponse:
    username: str
    has_free_upload_slot: bool
    queue_length: int
    upload_speed: int
    files: tuple[RemoteFile, ...] = ()
    locked_files: tuple[RemoteFile, ...] = ()

    @classmethod
    def parse(cls, data: dict) -> PeerResponse:
        return cls(
            username=str(data.get("username") or ""),
            has_free_upload_slot=bool(data.get("hasFreeUploadSlot")),
            queue_length=_int(data.get("queueLength")) or 0,
            upload_speed=_int(data.get("uploadSpeed")) or 0,
            files=tuple(RemoteFile.parse(f) for f in data.get("files") or () if f),
            locked_files=tuple(RemoteFile.parse(f) for f in data.get("lockedFiles") or () if f),
        )


@dataclass(frozen=True)
class Transfer:
    id: str
    username: str
    filename: str
    size: int
    state: frozenset[str]
    bytes_transferred: int = 0
    percent_complete: float = 0.0
    average_speed: float = 0.0
    place_in_queue: int | None = None
    exception: str = ""
    requested_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    batch_id: str = ""

    @classmethod
    def parse(cls, data: dict) -> Transfer:
        return cls(
            id=str(data.get("id") or ""),
            username=str(data.get("username") or ""),
            filename=str(data.get("filename") or ""),
            size=_int(data.get("size")) or 0,
            state=flags(data.get("state")),
            bytes_transferred=_int(data.get("bytesTransferred")) or 0,
            percent_complete=float(data.get("percentComplete") or 0.0),
            average_speed=float(data.get("averageSpeed") or 0.0),
            place_in_queue=_int(data.get("placeInQueue")),
            exception=str(data.get("exception") or ""),
            requested_at=timestamp(data.get("requestedAt")),
            started_at=timestamp(data.get("startedAt")),
            ended_at=timestamp(data.get("endedAt")),
            batch_id=str(data.get("batchId") or ""),
        )

    @property
    def state_label(self) -> str:
        return ", ".join(sorted(self.state, key=lambda s: (s != "Completed", s)))

    @property
    def is_terminal(self) -> bool:
        return "Completed" in self.state

    @property
    def succeeded(self) -> bool:
        return self.state == {"Completed", "Succeeded"}

    @property
    def failed(self) -> bool:
        return self.is_terminal and not self.succeeded

    @property
    def queued_remotely(self) -> bool:
        return self.state == {"Queued", "Remotely"}

    @property
    def in_progress(self) -> bool:
        return "InProgress" in self.state


@dataclass(frozen=True)
class Enqueued:
    """What an enqueue call left behind: the transfers slskd created, and how many failed."""

    transfers: tuple[Transfer, ...]
    failed: int = 0
    batch_id: str = ""
    messages: tuple[str, ...] = field(default=())
