"""Text matching with a confidence score, shared by MusicBrainz search and file import.

The score follows reference/musicbrainz-api.md §5 ("suggested confidence design"): a distance
D = (3·d_title + 2·d_artist + 2·d_length) / 7 on normalised strings, with beets' length rule
(no penalty within 10 s, full penalty at 40 s), and confidence = 1 - D. When either side has no
duration, the length term is left out rather than guessed.

Gates (the issue's): ≥ 0.9 accepted, 0.7-0.9 listed for a person to review, below dropped. A
best hit whose runner-up is within 0.05 and is not the same song is ambiguous: reviewed, never
accepted silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from core.text import fold

ACCEPT_AT = 0.9
REVIEW_AT = 0.7
MIN_MARGIN = 0.05
SAME_SONG_LENGTH_MS = 3000

ACCEPT = "accept"
REVIEW = "review"
REJECT = "reject"

# Spotify suffixes that name the same recording: "- Remastered 2011", "(2009 Remaster)",
# "- Mono", "- 2015 Remaster", "[Remastered]". "Live", "Remix", "Radio Edit" and "Acoustic" are
# different recordings and stay.
_VERSION_SUFFIX = re.compile(
    r"\s*(?:-|\(|\[)\s*(?:\d{4}\s+)?(?:digital(?:ly)?\s+)?(?:remaster(?:ed)?|mono|stereo)"
    r"(?:\s+(?:version|\d{4}))?(?:\s+\d{4})?\s*[)\]]?\s*$",
    re.IGNORECASE,
)
_FEATURING = re.compile(r"\s*[(\[-]?\s*\b(?:feat\.?|ft\.?|featuring)\s+[^)\]]*[)\]]?", re.I)
_NOT_WORD = re.compile(r"[^\w\s]+")
# Words that make a different recording of the same song. A hit that differs from the track in
# one of these is never accepted on text alone: at most it goes to review.
VERSION_WORDS = frozenset(
    {"live", "remix", "mix", "edit", "acoustic", "demo", "instrumental", "karaoke", "unplugged"}
)
DIFFERENT_VERSION_CAP = 0.89
_SPACES = re.compile(r"\s+")


def clean_title(title: str) -> str:
    """The title without version suffixes and featuring credits (case kept, for queries)."""
    previous = None
    text = title or ""
    while previous != text:
        previous = text
        text = _VERSION_SUFFIX.sub("", text)
    return _FEATURING.sub("", text).strip()


def normalise(text: str) -> str:
    text = fold(clean_title(text)).replace("&", " and ")
    text = _NOT_WORD.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return text[4:] if text.startswith("the ") else text


def text_distance(left: str, right: str) -> float:
    a, b = normalise(left), normalise(right)
    if a == b:
        return 0.0
    if not a or not b:
        return 1.0
    return 1.0 - SequenceMatcher(None, a, b, autojunk=False).ratio()


def artist_distance(ours: list[str], theirs: list[str]) -> float:
    """Best match between our credited names (joined or one by one) and theirs."""
    ours = [name for name in ours if name]
    theirs = [name for name in theirs if name]
    if not ours or not theirs:
        return 1.0
    left = [", ".join(ours), *ours]
    right = [", ".join(theirs), *theirs]
    return min(text_distance(a, b) for a in left for b in right)


def length_distance(ours_ms: int | None, theirs_ms: int | None) -> float | None:
    if not ours_ms or not theirs_ms:
        return None
    return min(max((abs(ours_ms - theirs_ms) - 10_000) / 30_000, 0.0), 1.0)


def confidence(
    title: str,
    artists: list[str],
    duration_ms: int | None,
    candidate_title: str,
    candidate_artists: list[str],
    candidate_length_ms: int | None,
) -> float:
    d_title = text_distance(title, candidate_title)
    d_artist = artist_distance(artists, candidate_artists) if artists else None
    d_length = length_distance(duration_ms, candidate_length_ms)
    parts = [(3, d_title)]
    if d_artist is not None:
        parts.append((2, d_artist))
    if d_length is not None:
        parts.append((2, d_length))
    distance = sum(weight * value for weight, value in parts) / sum(w for w, _ in parts)
    score = round(1.0 - distance, 3)
    ours = VERSION_WORDS.intersection(normalise(title).split())
    theirs = VERSION_WORDS.intersection(normalise(candidate_title).split())
    if ours != theirs:
        score = min(score, DIFFERENT_VERSION_CAP)
    return score


@dataclass(frozen=True)
class Candidate:
    title: str
    artists: list[str]
    length_ms: int | None
    payload: object = None  # whatever the caller needs back (a Track, a recording…)


@dataclass(frozen=True)
class Verdict:
    decision: str  # accept / review / reject
    confidence: float
    best: Candidate | None
    runner_up: float | None = None


def same_song(a: Candidate, b: Candidate) -> bool:
    close = (
        a.length_ms is None
        or b.length_ms is None
        or abs(a.length_ms - b.length_ms) <= SAME_SONG_LENGTH_MS
    )
    return (
        close
        and normalise(a.title) == normalise(b.title)
        and artist_distance(a.artists, b.artists) == 0.0
    )


def judge(
    title: str, artists: list[str], duration_ms: int | None, candidates: list[Candidate]
) -> Verdict:
    """Score every candidate and apply the gates. The first of equals wins (callers order
    candidates by preference, e.g. earliest release first)."""
    if not candidates:
        return Verdict(REJECT, 0.0, None)
    scored = sorted(
        (
            (
                confidence(title, artists, duration_ms, c.title, c.artists, c.length_ms),
                index,
                c,
            )
            for index, c in enumerate(candidates)
        ),
        key=lambda entry: (-entry[0], entry[1]),
    )
    best_score, _, best = scored[0]
    runner_score = None
    ambiguous = False
    for score, _, other in scored[1:]:
        if same_song(best, other):
            continue
        runner_score = score
        ambiguous = best_score - score < MIN_MARGIN
        break
    if best_score >= ACCEPT_AT and not ambiguous:
        decision = ACCEPT
    elif best_score >= REVIEW_AT:
        decision = REVIEW
    else:
        decision = REJECT
    return Verdict(decision, best_score, best, runner_score)
