"""From MusicBrainz tags to genres (reference/musicbrainz-api.md §8).

MusicBrainz's own rule is exact equality between a tag and a name on its genre list. Tunekeeper
normalises first — case, Unicode punctuation, spacing, hyphen-or-space variants and a curated
alias map for spellings people actually tag with — and then keeps only names on the list. Tags
that are not genres (decades, "seen live", moods) stay in the cache as raw tags.

Genres derived here are MusicBrainz supplementary data: CC BY-NC-SA 3.0; show ATTRIBUTION
wherever they appear.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

ATTRIBUTION = "Genres from MusicBrainz (tags, CC BY-NC-SA 3.0)"
ATTRIBUTION_URL = "https://musicbrainz.org/doc/About/Data_License"
MAX_GENRES = 5

# Spelling variants → MusicBrainz's genre name. Only variants that the hyphen/space rule below
# does not already catch.
ALIASES = {
    "hiphop": "hip hop",
    "hip-hop": "hip hop",
    "rap music": "hip hop",
    "jpop": "j-pop",
    "kpop": "k-pop",
    "cpop": "c-pop",
    "jrock": "j-rock",
    "krock": "k-rock",
    "rnb": "r&b",
    "r'n'b": "r&b",
    "r n b": "r&b",
    "r and b": "r&b",
    "r & b": "r&b",
    "dnb": "drum and bass",
    "d&b": "drum and bass",
    "drum & bass": "drum and bass",
    "drum n bass": "drum and bass",
    "drum'n'bass": "drum and bass",
    "drumnbass": "drum and bass",
    "synthpop": "synth-pop",
    "postpunk": "post-punk",
    "postrock": "post-rock",
    "lofi": "lo-fi",
    "rock n roll": "rock and roll",
    "rock'n'roll": "rock and roll",
    "rock & roll": "rock and roll",
    "alt rock": "alternative rock",
    "alt-rock": "alternative rock",
    "alt country": "alt-country",
    "electronica": "electronic",
    "electro pop": "electropop",
    "triphop": "trip hop",
    "dub step": "dubstep",
    "shoegazer": "shoegaze",
    "shoegazing": "shoegaze",
    "bossanova": "bossa nova",
    "neo-soul": "neo soul",
    "afro beat": "afrobeat",
    "afro-beat": "afrobeat",
    "singer songwriter": "singer-songwriter",
    "nu-metal": "nu metal",
    "psychedelic": "psychedelic rock",
    "prog rock": "progressive rock",
    "prog-rock": "progressive rock",
    "progrock": "progressive rock",
}

_PUNCTUATION = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "_": " ", "‐": "-"})
_SPACES = re.compile(r"\s+")


def normalise_tag(name: str) -> str:
    """Trim, lower-case, straighten punctuation and collapse spaces; then apply aliases."""
    text = unicodedata.normalize("NFKC", name or "").translate(_PUNCTUATION)
    text = _SPACES.sub(" ", text).strip().lower()
    return ALIASES.get(text, text)


def genre_of(tag: str, genre_names: frozenset[str] | set[str]) -> str | None:
    """The genre a tag names, or None when it is not a genre."""
    text = normalise_tag(tag)
    for variant in (text, text.replace("-", " "), text.replace(" ", "-")):
        if variant in genre_names:
            return variant
    return None


def genres_from_tags(
    tag_lists: Iterable[Iterable], genre_names: frozenset[str] | set[str]
) -> list[tuple[str, int]]:
    """Sum the votes of every genre across the tag lists ([[name, count], …]); best first.

    Only positive counts count (search results are not filtered by MusicBrainz).
    """
    votes: Counter[str] = Counter()
    for tags in tag_lists:
        for name, count in tags or ():
            if not count or int(count) <= 0:
                continue
            genre = genre_of(str(name), genre_names)
            if genre:
                votes[genre] += int(count)
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:MAX_GENRES]
