"""Spotify ids and URIs as the sandbox hands them out and parses them.

Catalog and playlist ids are 22 base62 characters (`4iV5W9uYEdYUVa79Axb7Rh`); user ids are free
text. URIs are `spotify:<type>:<id>`; local files have their own `spotify:local:…` form.
"""

import random
import re
from urllib.parse import quote_plus

BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ID_LENGTH = 22
_BASE62_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_URI = re.compile(r"^spotify:([a-z]+):([^:]+)$")
# 62**22 > 2**130, so 131 random bits always give 22 digits' worth of entropy.
_ID_BITS = 131


def base62_id(rng: random.Random) -> str:
    """A 22-character base62 id drawn from `rng` (deterministic for a seeded rng)."""
    number = rng.getrandbits(_ID_BITS)
    digits = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return "".join(digits)


def is_base62_id(value: str) -> bool:
    return bool(_BASE62_ID.match(value or ""))


def uri(kind: str, spotify_id: str) -> str:
    return f"spotify:{kind}:{spotify_id}"


def parse_uri(value: str) -> tuple[str, str] | None:
    """`spotify:track:ID` → ("track", "ID"); None when it is not a Spotify URI at all."""
    match = _URI.match(value or "")
    if match is None:
        return None
    return match.group(1), match.group(2)


def local_uri(artist: str, album: str, title: str, duration_ms: int) -> str:
    # Spotify's form: spotify:local:Artist+Name:Album+Name:Title:seconds, each part URL-encoded.
    parts = (quote_plus(artist), quote_plus(album), quote_plus(title), str(duration_ms // 1000))
    return "spotify:local:" + ":".join(parts)
