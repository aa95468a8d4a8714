"""The archive's side of the catalog: tracks from export rows, without a single Spotify call.

Extended-history rows carry the track id (in its URI), the title, the primary artist's name and
the album's name, but no artist or album ids. A track the catalog lacks is written as a stub:
id, title, artist names, and `fetched_at` at the epoch — "never fetched", so the catalog's
refresh and enrichment see it as the oldest row there is. The names the export gave are kept
in TrackHint for the stats and exports. Existing catalog rows are never overwritten: what
Spotify said beats what the export said.

Account-data rows have no id at all: `AccountMatcher` finds the catalog track by artist and
title with the catalog's confidence gate (the rest are kept as UnmatchedPlay).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Count

from archive.models import PlayEvent, TrackHint
from core.text import fold
from playlists import matching
from playlists.models import Track, TrackArtist

NEVER_FETCHED = datetime(1970, 1, 1, tzinfo=UTC)


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


class AccountMatcher:
    """Catalog tracks by primary artist, built once per import; titles matched with the
    catalog's confidence gate (playlists.matching: accepted at ≥ 0.9 and unambiguous).

    An exact title (after the catalog's normalising: case, accents, "- Remastered", "feat.")
    is taken at once; otherwise `judge` scores the artist's tracks. Review-grade matches are
    not taken: those plays are kept as UnmatchedPlay, for a Spotify search the person can ask
    for later (archive.search): an import makes no calls."""

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
        rows = []
        for track_id, title, artist_names, duration in Track.objects.values_list(
            "id", "name", "artist_names", "duration_ms"
        ).iterator(chunk_size=5000):
            artist = primary.get(track_id) or hints.get(track_id) or artist_names
            rows.append((played.get(track_id, 0), track_id, title, artist, duration))
        # The same song on an album and a single: the one this person already plays first.
        rows.sort(key=lambda row: (-row[0], row[1]))
        self.by_artist: dict[str, list[matching.Candidate]] = defaultdict(list)
        self.exact: dict[tuple[str, str], str] = {}
        for _, track_id, title, artist, duration in rows:
            artist_key = matching.normalise(artist)
            self.by_artist[artist_key].append(
                matching.Candidate(title, [artist], duration or None, payload=track_id)
            )
            self.exact.setdefault((artist_key, matching.normalise(title)), track_id)
        self.cache: dict[tuple[str, str], str | None] = {}

    def match(self, artist: str, title: str) -> str | None:
        key = (artist, title)
        if key not in self.cache:
            self.cache[key] = self._match(artist, title)
        return self.cache[key]

    def _match(self, artist: str, title: str) -> str | None:
        artist_key = matching.normalise(artist)
        exact = self.exact.get((artist_key, matching.normalise(title)))
        if exact is not None:
            return exact
        verdict = matching.judge(title, [artist], None, self.by_artist.get(artist_key, []))
        return verdict.best.payload if verdict.decision == matching.ACCEPT else None
