"""Text matching between a wanted track and a file on Soulseek: normalisation, the search
queries, version words (live, remix, karaoke…) and a filename similarity score."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from downloads.types import RemoteFile

# Parenthesised or dashed parts that name the same recording, so they never belong in a query
# or a match requirement: "(feat. X)", "- Remastered 2011", "(Deluxe Edition)", "(Mono)".
_SAME_RECORDING = re.compile(
    r"\s*(?:[(\[][^)\]]*\b(?:feat|ft|featuring|with|remaster(?:ed)?|deluxe|mono|stereo|"
    r"single version|album version|bonus track|explicit|clean)\b[^)\]]*[)\]]"
    r"|\s-\s.*\b(?:remaster(?:ed)?|mono|stereo|single version|album version|bonus track)\b.*$)",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_DASH_SUFFIX = re.compile(r"\s+-\s+.*$")
_FEATURING = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s+.*$", re.IGNORECASE)
_TRACK_NUMBER = re.compile(r"^(?:\d{1,3}|[a-d]\d{1,2})(?:\s*[-._)]\s*|\s+)")
STOP_WORDS = frozenset({"the", "a", "an", "and", "of", "de", "la", "le", "el"})

# A version of a song that is not the one wanted unless the wanted title (or album) says so.
# Matched as whole normalised words or phrases in the file's name and its folder's name.
VERSION_MARKERS: dict[str, tuple[str, ...]] = {
    "live": ("live", "unplugged", "in concert", "live at", "bootleg live"),
    "remix": (
        "remix",
        "rmx",
        "remixed",
        "bootleg",
        "mashup",
        "club mix",
        "extended mix",
        "dub mix",
        "vip mix",
        "radio mix",
    ),
    "karaoke": ("karaoke", "backing track", "in the style of", "originally performed"),
    "instrumental": ("instrumental", "inst"),
    "acoustic": ("acoustic",),
    "cover": ("cover", "tribute", "performed by"),
    "demo": ("demo",),
    "a cappella": ("acapella", "a cappella", "acappella"),
    "sped up or slowed": ("sped up", "slowed", "nightcore", "reverb"),
}


def normalize(text: str) -> str:
    """Lower case, accents folded, `&` as "and", punctuation as spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = folded.lower().replace("&", " and ").replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^\w]+|_", " ", folded).split())


def tokens(text: str) -> list[str]:
    return normalize(text).split()


def _has_phrase(haystack: str, phrase: str) -> bool:
    return f" {phrase} " in f" {haystack} "


def clean_title(title: str) -> str:
    """The title without the parts that name the same recording (feat., remaster…)."""
    return _SAME_RECORDING.sub("", _FEATURING.sub("", title)).strip() or title.strip()


def core_title(title: str) -> str:
    """The title without any bracketed or dashed suffix: the words every copy must carry."""
    core = _DASH_SUFFIX.sub("", _BRACKETS.sub("", clean_title(title))).strip()
    return core or clean_title(title)


@dataclass(frozen=True)
class Wanted:
    """What we look for: from a catalog track, kept on the Download as searched."""

    artist: str  # the primary artist
    title: str
    album: str = ""
    duration_s: int | None = None
    other_artists: tuple[str, ...] = ()

    @property
    def allowed_versions(self) -> frozenset[str]:
        """Version words the wanted title or album itself carries ("Song (Live)")."""
        text = normalize(f"{self.title} {self.album}")
        return frozenset(
            kind
            for kind, phrases in VERSION_MARKERS.items()
            if any(_has_phrase(text, phrase) for phrase in phrases)
        )


def _query(*parts: str) -> str:
    words = [word for word in normalize(" ".join(parts)).split() if len(word) > 1]
    return " ".join(dict.fromkeys(words))  # no repeated words, order kept


def queries(wanted: Wanted) -> list[str]:
    """Search texts to try in order, most specific first (reference §4.5: `artist title`,
    lower-cased, punctuation stripped, no single-character terms)."""
    artist = wanted.artist
    bare_artist = re.sub(r"^the\s+", "", artist, flags=re.IGNORECASE)
    candidates = [
        _query(artist, clean_title(wanted.title)),
        _query(artist, core_title(wanted.title)),
        _query(bare_artist, core_title(wanted.title)),
    ]
    seen: list[str] = []
    for query in candidates:
        if query and len(query.split()) >= 2 and query not in seen:
            seen.append(query)
    return seen or [_query(artist, wanted.title) or normalize(wanted.title)]


def stem(file: RemoteFile) -> str:
    """The file's name without extension and leading track number, normalised."""
    name = file.basename.rsplit(".", 1)[0]
    return normalize(_TRACK_NUMBER.sub("", name.strip()))


def names_artist(wanted: Wanted, file: RemoteFile) -> bool:
    path = normalize(file.filename)
    for artist in (wanted.artist, *wanted.other_artists):
        needed = [word for word in tokens(artist) if word not in STOP_WORDS] or tokens(artist)
        if needed and all(_has_phrase(path, word) for word in needed):
            return True
    return False


def names_title(wanted: Wanted, file: RemoteFile) -> bool:
    name = stem(file)
    needed = [word for word in tokens(core_title(wanted.title)) if word not in STOP_WORDS]
    needed = needed or tokens(core_title(wanted.title))
    return all(_has_phrase(name, word) for word in needed)


def _count(text: str, phrase: str) -> int:
    return f" {text} ".count(f" {phrase} ")


def version_markers(wanted: Wanted, file: RemoteFile) -> list[str]:
    """Version kinds the file's name or folder carries that the wanted track does not.

    A phrase counts only where it appears more often than in the wanted names themselves, so
    "Live Forever" and the band Live are not live versions, but "Live Forever (Live)" is.
    """
    name = normalize(file.basename.rsplit(".", 1)[0])
    folder = normalize(file.path.parent.name)
    own_name = normalize(f"{wanted.artist} {wanted.title}")
    own_folder = normalize(f"{wanted.artist} {wanted.album}")
    allowed = wanted.allowed_versions
    found = []
    for kind, phrases in VERSION_MARKERS.items():
        # A version the wanted title names may sit in a folder named for it ("Live at …").
        check_folder = kind not in allowed
        if any(
            _count(name, phrase) > _count(own_name, phrase)
            or (check_folder and _count(folder, phrase) > _count(own_folder, phrase))
            for phrase in phrases
        ):
            found.append(kind)
    return found


def missing_versions(wanted: Wanted, file: RemoteFile) -> list[str]:
    """Version kinds the wanted *title* names ("Song (Live)") that the file does not carry."""
    title = normalize(wanted.title)
    text = normalize(f"{file.path.parent.name} {file.basename.rsplit('.', 1)[0]}")
    return [
        kind
        for kind, phrases in VERSION_MARKERS.items()
        if any(_has_phrase(title, p) for p in phrases)
        and not any(_has_phrase(text, p) for p in phrases)
    ]


def similarity(wanted: Wanted, file: RemoteFile) -> float:
    """0..1, how closely the file's name reads like "artist title" (or just "title")."""
    name = stem(file)
    full = normalize(f"{wanted.artist} {clean_title(wanted.title)}")
    title = normalize(clean_title(wanted.title))
    return round(
        max(
            SequenceMatcher(None, full, name).ratio(),
            SequenceMatcher(None, title, name).ratio(),
        ),
        3,
    )
