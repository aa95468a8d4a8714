"""The quality ladder: an ordered list of rungs, best first, that a file must climb onto.

A rung is written the way people say it (and the way soularr's `allowed_filetypes` reads):

    flac 24          FLAC, 24-bit (any sample rate)
    flac 24/96       FLAC, 24-bit at 96 kHz exactly
    flac 16/44.1     FLAC, 16-bit at 44.1 kHz (CD)
    flac             any FLAC
    lossless         any lossless file (FLAC, ALAC, WAV, AIFF, APE, WavPack)
    mp3 320          MP3 at 320 kbps (a bitrate on a lossy rung is a minimum)
    mp3 v0           MP3, variable bitrate averaging at least 220 kbps (LAME V0)
    mp3 256          MP3 at 256 kbps or more
    lossy 256        any lossy format at 256 kbps or more
    any              any audio file

A file sits on the first rung it satisfies; a file that satisfies none is below the ladder and
is never downloaded. A track already downloaded is only fetched again from a higher rung than
its copy sits on (reference §6.3). `quality_key` is a ladder-independent measure for display
and sorting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from downloads.types import AUDIO_EXTENSIONS, RemoteFile

LOSSLESS = frozenset({"flac", "alac", "wav", "aiff", "aif", "ape", "wv"})
LOSSY = AUDIO_EXTENSIONS - LOSSLESS
V0_MIN_KBPS = 220
MAX_RUNGS = 12

PRESETS: dict[str, tuple[str, ...]] = {
    "best": ("flac 24", "flac 16/44.1", "mp3 320", "mp3 v0", "mp3 256"),
    "good": ("lossless", "lossy 256"),
    "any": ("any",),
}
PRESET_LABELS = {
    "best": "Best: FLAC 24-bit › FLAC 16/44.1 › MP3 320 › MP3 V0 › MP3 ≥ 256",
    "good": "Good: any lossless, or lossy at 256 kbps or more",
    "any": "Any: the first audio file that matches",
    "custom": "My own ladder",
}
_RUNG = re.compile(
    r"^(?P<format>[a-z0-9]+)"
    r"(?:\s+(?:(?P<depth>\d{1,3})(?:/(?P<rate>\d{1,3}(?:\.\d{1,2})?))?|(?P<v0>v0)))?$"
)


class LadderError(ValueError):
    """A rung that cannot be read; the message says which and why, for the settings form."""


@dataclass(frozen=True)
class Rung:
    text: str
    formats: frozenset[str]
    lossless: bool | None  # None: the rung accepts either
    bit_depth: int | None = None  # lossless: exact bit depth
    sample_rate: int | None = None  # lossless: exact sample rate in Hz
    min_bitrate: int | None = None  # lossy: at least this many kbps
    vbr_only: bool = False

    @classmethod
    def parse(cls, text: str) -> Rung:
        clean = " ".join(text.lower().split())
        match = _RUNG.match(clean)
        if not match:
            raise LadderError(f"“{text}” is not a rung (try “flac 16/44.1” or “mp3 320”)")
        name = match["format"]
        if name == "any":
            formats, lossless = AUDIO_EXTENSIONS, None
        elif name == "lossless":
            formats, lossless = LOSSLESS, True
        elif name == "lossy":
            formats, lossless = LOSSY, False
        elif name in AUDIO_EXTENSIONS:
            formats, lossless = frozenset({name}), name in LOSSLESS
        else:
            raise LadderError(f"“{text}”: unknown format {name!r}")
        depth, rate, v0 = match["depth"], match["rate"], match["v0"]
        if (depth or v0) and name == "any":
            raise LadderError(f"“{text}”: “any” takes no quality")
        if lossless:
            if v0:
                raise LadderError(f"“{text}”: V0 is an MP3 setting")
            sample_rate = round(float(rate) * 1000) if rate else None
            if depth and int(depth) not in (16, 24, 32):
                raise LadderError(f"“{text}”: bit depth is 16, 24 or 32")
            return cls(
                clean, formats, lossless, int(depth) if depth else None, sample_rate, None, False
            )
        if rate:
            raise LadderError(f"“{text}”: a lossy rung takes a bitrate, like “mp3 320”")
        if v0:
            if name != "mp3":
                raise LadderError(f"“{text}”: V0 is an MP3 setting")
            return cls(clean, formats, lossless, min_bitrate=V0_MIN_KBPS, vbr_only=True)
        minimum = int(depth) if depth else None
        if minimum is not None and not 32 <= minimum <= 999:
            raise LadderError(f"“{text}”: a bitrate is in kbps, between 32 and 999")
        return cls(clean, formats, lossless, min_bitrate=minimum)

    def accepts(self, file: RemoteFile) -> bool:
        ext = file.extension
        if ext not in self.formats:
            return False
        if self.bit_depth is not None and file.bit_depth != self.bit_depth:
            return False
        if self.sample_rate is not None and file.sample_rate != self.sample_rate:
            return False
        if self.vbr_only and file.is_vbr is not True:
            return False
        if self.min_bitrate is not None:
            bitrate = file.bit_rate
            if ext in LOSSLESS:
                return True  # lossless clears any lossy bitrate floor
            if bitrate is None or bitrate < self.min_bitrate:
                return False
        return True


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...]

    @classmethod
    def parse(cls, lines: list[str] | tuple[str, ...] | str) -> Ladder:
        if isinstance(lines, str):
            lines = lines.replace(">", "\n").replace("›", "\n").replace(",", "\n").splitlines()
        rungs = tuple(Rung.parse(line) for line in lines if line.strip())
        if not rungs:
            raise LadderError("The ladder needs at least one rung")
        if len(rungs) > MAX_RUNGS:
            raise LadderError(f"At most {MAX_RUNGS} rungs")
        return cls(rungs)

    @classmethod
    def preset(cls, name: str) -> Ladder:
        return cls.parse(PRESETS[name])

    def rung_of(self, file: RemoteFile) -> int | None:
        """Index of the first rung the file satisfies (0 is the best), or None."""
        for index, rung in enumerate(self.rungs):
            if rung.accepts(file):
                return index
        return None

    def __str__(self) -> str:
        return " › ".join(rung.text for rung in self.rungs)


def quality_key(
    extension: str, bit_depth: int | None, sample_rate: int | None, bit_rate: int | None
) -> int:
    """One number, higher is better, comparable across formats and ladders.

    Lossless outranks every lossy file; within lossless, bit depth then sample rate; within
    lossy, the bitrate. Unknown attributes count as the lowest plausible value, so a file that
    does not say is never taken as an upgrade.
    """
    if extension in LOSSLESS:
        return 100_000 + (bit_depth or 16) * 1_000 + min((sample_rate or 44_100) // 1_000, 999)
    return min(bit_rate or 0, 9_999)


def describe(file: RemoteFile) -> str:
    """“FLAC 24/96”, “FLAC 16/44.1”, “MP3 320”, “MP3 VBR 245”: how people name a file's quality."""
    ext = file.extension.upper() or "?"
    if file.extension in LOSSLESS:
        if file.bit_depth and file.sample_rate:
            rate = f"{file.sample_rate / 1000:g}"
            return f"{ext} {file.bit_depth}/{rate}"
        return ext
    if file.bit_rate:
        return f"{ext} {'VBR ' if file.is_vbr else ''}{file.bit_rate}"
    return ext
