"""The archive's side of the catalog: tracks from export rows, without a single Spotify call.

Extended-history rows carry the track id (in its URI), the title, the primary artist's name and
the album's name, but no artist or album ids. A track the catalog lacks is written as a stub:
id, title, artist names, and `fetched_at` at the epoch — "never fetched", so the catalog's
refresh and enrichment see it as the oldest row there is. The names the export gave are kept
in TrackHint for the stats and exports. Existing catalog rows are never overwritten: what
Spotify said beats what the export said.

Account-data rows have no id at all: `AccountMatcher` finds the catalog track by artist and
title, and accepts only confident matches (the rest are kept as UnmatchedPlay).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime
from difflib import SequenceMatcher

from django.db.models import Count

from archive.models import PlayEvent, TrackHint
from playlists.models import Track, TrackArtist

NEVER_FETCHED = datetime(1970, 1, 1, tzinfo=UTC)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


class StubWriter:
    """Remembers which track ids exist, so each batch asks the database only about new ones."""

    def __init__(self):
        self.known: set[str] = set()
        self.created = 0

    def ensure(self, tracks: dict[str, tuple[str, str, str]]) -> None:
        """Make sure every track id exists; values are (title, artist name, album name)."""
        unknown = [track_id for track_id in tracks if track_id not in self.known]
        if not unknown:
            return
        existing = set(Track.objects.filter(id__in=unknown).values_list("id", flat=True))
        missing = sorted(set(unknown) - existing)  # sorted: same lock order in every writer
        if missing:
            Track.objects.bulk_create(
                [
                    Track(
                        id=track_id,
                        name=tracks[track_id][0],
                        artist_names=tracks[track_id][1],
                        search_text=fold(" ".join(tracks[track_id])),
                        fetched_at=NEVER_FETCHED,
                    )
                    for track_id in missing
                ],
                ignore_conflicts=True,
            )
            TrackHint.objects.bulk_create(
                [
                    TrackHint(
                        track_id=track_id,
                        artist_name=tracks[track_id][1],
                        album_name=tracks[track_id][2],
                    )
                    for track_id in missing
                ],
                ignore_conflicts=True,
            )
            self.created += len(missing)
        self.known.update(unknown)


# --- account data: artist + title -------------------------------------------------------------

_FEATURING = re.compile(r"\s*[\(\[](feat\.?|ft\.?|featuring|with)\s[^\)\]]*[\)\]]", re.I)
_VERSION_SUFFIX = re.compile(
    r"\s+-\s+.*\b(remaster(ed)?|live|version|edit|mix|mono|stereo|acoustic|demo|single)\b.*$",
    re.I,
)
_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")

ACCEPT = 0.9  # the catalog's confidence gate: at or above, a match is taken


def normal(text: str) -> str:
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", fold(text))).strip()


def loose(title: str) -> str:
    """The title without featured artists or a "- Remastered 2011" style suffix."""
    return normal(_VERSION_SUFFIX.sub("", _FEATURING.sub("", title)))


class AccountMatcher:
    """Catalog tracks by (primary artist, title), built once per import."""

    def __init__(self, user_id: int):
        primary = dict(
            TrackArtist.objects.filter(position=0).values_list("track_id", "artist__name")
        )
        hints = dict(TrackHint.objects.values_list("track_id", "artist_name"))
        played = dict(
            PlayEvent.objects.filter(user_id=user_id)
            .order_by()
            .values("track_id")
            .annotate(n=Count("id"))
            .values_list("track_id", "n")
        )
        self.exact: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.loose: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_artist: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for track_id, title, artist_names in Track.objects.values_list(
            "id", "name", "artist_names"
        ).iterator(chunk_size=5000):
            artist = primary.get(track_id) or hints.get(track_id) or artist_names
            artist_key = normal(artist)
            self.exact[(artist_key, normal(title))].append(track_id)
            self.loose[(artist_key, loose(title))].append(track_id)
            self.by_artist[artist_key].append((loose(title), track_id))
        self.played = played
        self.cache: dict[tuple[str, str], str | None] = {}

    def _prefer(self, candidates: list[str]) -> str:
        # The same song on an album and a single: the one this person already plays wins.
        return max(candidates, key=lambda track_id: (self.played.get(track_id, 0), track_id))

    def match(self, artist: str, title: str) -> str | None:
        key = (artist, title)
        if key in self.cache:
            return self.cache[key]
        artist_key = normal(artist)
        found = self.exact.get((artist_key, normal(title))) or self.loose.get(
            (artist_key, loose(title))
        )
        result = self._prefer(found) if found else self._fuzzy(artist_key, loose(title))
        self.cache[key] = result
        return result

    def _fuzzy(self, artist_key: str, title_key: str) -> str | None:
        best, best_score = [], 0.0
        for candidate_title, track_id in self.by_artist.get(artist_key, ()):
            score = SequenceMatcher(None, title_key, candidate_title).ratio()
            if score > best_score:
                best, best_score = [track_id], score
            elif score == best_score:
                best.append(track_id)
        return self._prefer(best) if best and best_score >= ACCEPT else None
