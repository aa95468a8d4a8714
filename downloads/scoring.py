"""Choosing a file: hard filters, then a ranking, with the reasons written down.

Filters (a file failing one is ruled out, and the reason counted):
  audio extension · not locked · length within ±3 s of the track · artist and title words in the
  path · no live / remix / karaoke / instrumental… unless the wanted title says so · on the
  user's quality ladder · on a higher rung than the copy already downloaded (upgrades only) ·
  not tried already.

Ranking, best first (reference §6):
  ladder rung > peer has a free upload slot > from a complete album folder of that user >
  shorter peer queue > faster peer > closer file name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from downloads import matching, quality
from downloads.quality import Ladder
from downloads.types import PeerResponse, RemoteFile

DURATION_TOLERANCE_S = 3
ALBUM_FOLDER_MIN_TRACKS = 5
KEEP_CANDIDATES = 8

# Why a file was ruled out, in the order they are checked (also the order shown to people).
NOT_AUDIO = "not an audio file"
LOCKED = "locked by the peer"
WRONG_LENGTH = "wrong length"
NOT_NAMED = "artist or title not in the name"
BELOW_LADDER = "below your quality ladder"
NOT_BETTER = "not better than the copy you have"
TRIED = "tried already"


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _speed(bytes_per_second: int) -> str:
    if bytes_per_second >= 1_000_000:
        return f"{bytes_per_second / 1_000_000:.1f} MB/s"
    return f"{bytes_per_second // 1000} kB/s"


@dataclass
class Candidate:
    username: str
    filename: str
    size: int
    extension: str
    bit_rate: int | None
    bit_depth: int | None
    sample_rate: int | None
    length: int | None
    is_vbr: bool | None
    rung: int
    rung_text: str
    quality_label: str
    quality_key: int
    free_slot: bool
    queue_length: int
    upload_speed: int
    album_folder_tracks: int  # audio files in the folder, when it looks like a whole album
    similarity: float
    reasons: list[str] = field(default_factory=list)

    def rank_key(self) -> tuple:
        return (
            self.rung,
            not self.free_slot,
            self.album_folder_tracks == 0,
            self.queue_length,
            -self.upload_speed,
            -self.similarity,
        )

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Candidate:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})

    def as_file(self) -> RemoteFile:
        return RemoteFile(
            filename=self.filename,
            size=self.size,
            bit_rate=self.bit_rate,
            bit_depth=self.bit_depth,
            sample_rate=self.sample_rate,
            length=self.length,
            is_vbr=self.is_vbr,
        )


@dataclass
class Choice:
    candidates: list[Candidate]  # acceptable files, best first (at most KEEP_CANDIDATES)
    rejected: Counter  # reason → number of files
    examined: int

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def summary(self) -> str:
        if not self.examined:
            return "No peer answered."
        parts = [f"{self.examined} files looked at"]
        if self.rejected:
            ruled_out = ", ".join(f"{count} {reason}" for reason, count in self.rejected.items())
            parts.append(f"ruled out: {ruled_out}")
        parts.append(f"{len(self.candidates)} acceptable" if self.candidates else "none fit")
        return "; ".join(parts) + "."


def _album_folders(response: PeerResponse) -> dict[str, int]:
    per_folder: dict[str, int] = defaultdict(int)
    for file in response.files:
        if file.is_audio:
            per_folder[file.folder] += 1
    return per_folder


def _album_folder_tracks(wanted: matching.Wanted, file: RemoteFile, count: int) -> int:
    if count < ALBUM_FOLDER_MIN_TRACKS:
        return 0
    if wanted.album:
        album_words = [w for w in matching.tokens(matching.core_title(wanted.album)) if len(w) > 1]
        folder = matching.normalize(file.folder)
        if album_words and not all(f" {w} " in f" {folder} " for w in album_words):
            return 0
    return count


def _explain(candidate: Candidate, wanted: matching.Wanted, ladder: Ladder) -> list[str]:
    reasons = [
        f"{candidate.quality_label}: rung {candidate.rung + 1} of {len(ladder.rungs)} "
        f"of your ladder ({candidate.rung_text})"
    ]
    if candidate.length is not None and wanted.duration_s:
        delta = abs(candidate.length - wanted.duration_s)
        reasons.append(
            f"length {_mmss(candidate.length)}, the track is {_mmss(wanted.duration_s)}"
            + (" (exact)" if delta == 0 else f" ({delta} s off)")
        )
    else:
        reasons.append("length not reported by the peer")
    if candidate.free_slot:
        reasons.append("the peer has a free upload slot")
    else:
        reasons.append(f"no free slot: {candidate.queue_length} waiting in the peer's queue")
    if candidate.album_folder_tracks:
        reasons.append(f"from a complete album folder ({candidate.album_folder_tracks} tracks)")
    reasons.append(f"peer speed {_speed(candidate.upload_speed)}")
    reasons.append(f"name match {candidate.similarity:.0%}")
    return reasons


def choose(
    wanted: matching.Wanted,
    ladder: Ladder,
    responses: list[PeerResponse],
    *,
    below_rung: int | None = None,
    tried: set[tuple[str, str]] | frozenset = frozenset(),
    folder_sizes: dict[tuple[str, str], int] | None = None,
) -> Choice:
    """Rank every file the peers offered; keep the best few, count why the rest were out.

    A search answers only the files that match, so a folder's size comes from browsing it
    (`folder_sizes`, (username, folder) → audio files) when known, else from the answer.
    """
    folder_sizes = folder_sizes or {}
    rejected: Counter = Counter()
    accepted: list[Candidate] = []
    examined = 0
    for response in responses:
        rejected[LOCKED] += len(response.locked_files)
        examined += len(response.locked_files)
        folders = _album_folders(response)
        for file in response.files:
            examined += 1
            reason = _rule_out(wanted, ladder, response, file, below_rung, tried)
            if reason:
                rejected[reason] += 1
                continue
            rung = ladder.rung_of(file)
            assert rung is not None  # _rule_out checked it
            candidate = Candidate(
                username=response.username,
                filename=file.filename,
                size=file.size,
                extension=file.extension,
                bit_rate=file.bit_rate,
                bit_depth=file.bit_depth,
                sample_rate=file.sample_rate,
                length=file.length,
                is_vbr=file.is_vbr,
                rung=rung,
                rung_text=ladder.rungs[rung].text,
                quality_label=quality.describe(file),
                quality_key=quality.quality_key(
                    file.extension, file.bit_depth, file.sample_rate, file.bit_rate
                ),
                free_slot=response.has_free_upload_slot,
                queue_length=response.queue_length,
                upload_speed=response.upload_speed,
                album_folder_tracks=_album_folder_tracks(
                    wanted,
                    file,
                    folder_sizes.get((response.username, file.folder), folders[file.folder]),
                ),
                similarity=matching.similarity(wanted, file),
            )
            accepted.append(candidate)
    accepted.sort(key=Candidate.rank_key)
    kept = accepted[:KEEP_CANDIDATES]
    for candidate in kept:
        candidate.reasons = _explain(candidate, wanted, ladder)
    ordered = Counter({reason: rejected[reason] for reason in _REASON_ORDER if rejected[reason]})
    return Choice(candidates=kept, rejected=ordered, examined=examined)


def _rule_out(wanted, ladder, response, file, below_rung, tried) -> str | None:
    if not file.is_audio:
        return NOT_AUDIO
    if (
        wanted.duration_s
        and file.length is not None
        and abs(file.length - wanted.duration_s) > DURATION_TOLERANCE_S
    ):
        return WRONG_LENGTH
    if not (matching.names_artist(wanted, file) and matching.names_title(wanted, file)):
        return NOT_NAMED
    markers = matching.version_markers(wanted, file)
    if markers:
        return f"{markers[0]} version"
    missing = matching.missing_versions(wanted, file)
    if missing:
        return f"not the {missing[0]} version"
    rung = ladder.rung_of(file)
    if rung is None:
        return BELOW_LADDER
    if below_rung is not None and rung >= below_rung:
        return NOT_BETTER
    if (response.username, file.filename) in tried:
        return TRIED
    return None


_REASON_ORDER = [
    NOT_AUDIO,
    LOCKED,
    WRONG_LENGTH,
    NOT_NAMED,
    *(f"{kind} version" for kind in matching.VERSION_MARKERS),
    *(f"not the {kind} version" for kind in matching.VERSION_MARKERS),
    BELOW_LADDER,
    NOT_BETTER,
    TRIED,
]
