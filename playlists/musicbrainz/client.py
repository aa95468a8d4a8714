"""Typed MusicBrainz lookups, one small function per request (reference/musicbrainz-api.md).

Each returns plain values parsed from the JSON; nothing outside this package reads MusicBrainz's
JSON. Tags come back as [[name, count], …] with only positive counts, as the cache stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playlists.musicbrainz import http
from spotify.http import CallContext
from spotify.models import Purpose

ISRC_SHAPE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
_LUCENE_PHRASE = re.compile(r'(["\\])')
SKIPPED_SECONDARY_TYPES = {"Compilation", "Live", "DJ-mix", "Remix"}


def _tags(data: dict) -> list[list]:
    tags = []
    for tag in data.get("tags") or ():
        try:
            count = int(tag.get("count") or 0)
        except (TypeError, ValueError):
            continue
        if count > 0 and tag.get("name"):
            tags.append([str(tag["name"]), count])
    return tags


@dataclass(frozen=True)
class CreditedArtist:
    mbid: str
    name: str
    tags: list[list] | None  # None: not asked for (search results carry no artist tags)


@dataclass(frozen=True)
class Release:
    mbid: str
    status: str
    date: str
    release_group_mbid: str
    release_group_title: str
    primary_type: str
    secondary_types: tuple[str, ...]


@dataclass(frozen=True)
class Recording:
    mbid: str
    title: str
    length_ms: int | None
    video: bool
    first_release_date: str
    credited_as: str  # "A feat. B", the whole credit with join phrases
    artists: tuple[CreditedArtist, ...]
    isrcs: tuple[str, ...]
    tags: list[list]
    releases: tuple[Release, ...] = ()
    score: int | None = None  # search only: relative to the best hit, not a confidence
    has_releases: bool = False  # the response carried a releases list (maybe empty)

    @classmethod
    def from_api(cls, data: dict) -> Recording:
        credit = data.get("artist-credit") or []
        artists = []
        credited = ""
        for part in credit:
            artist = part.get("artist") or {}
            name = part.get("name") or artist.get("name") or ""
            credited += name + (part.get("joinphrase") or "")
            if artist.get("id"):
                artists.append(
                    CreditedArtist(
                        mbid=artist["id"],
                        name=artist.get("name") or name,
                        tags=_tags(artist) if "tags" in artist else None,
                    )
                )
        releases = []
        for release in data.get("releases") or ():
            group = release.get("release-group") or {}
            releases.append(
                Release(
                    mbid=release.get("id") or "",
                    status=release.get("status") or "",
                    date=release.get("date") or "",
                    release_group_mbid=group.get("id") or "",
                    release_group_title=group.get("title") or release.get("title") or "",
                    primary_type=group.get("primary-type") or "",
                    secondary_types=tuple(group.get("secondary-types") or ()),
                )
            )
        try:
            score = int(data["score"]) if data.get("score") is not None else None
        except (TypeError, ValueError):
            score = None
        return cls(
            mbid=data["id"],
            title=data.get("title") or "",
            length_ms=data.get("length"),
            video=bool(data.get("video")),
            first_release_date=data.get("first-release-date") or "",
            credited_as=credited,
            artists=tuple(artists),
            isrcs=tuple(data.get("isrcs") or ()),
            tags=_tags(data),
            releases=tuple(releases),
            score=score,
            has_releases="releases" in data,
        )

    @property
    def artist_names(self) -> list[str]:
        names = [self.credited_as] if self.credited_as else []
        return names + [artist.name for artist in self.artists]


def choose_release_group(releases: list[Release], prefer_type: str = "") -> Release | None:
    """The release group standing for a recording's album.

    Releases come sorted by earliest date. Prefer official releases whose group is an
    Album/Single/EP without Compilation/Live/DJ-mix/Remix; with `prefer_type` (Spotify's album
    type), prefer a group of that type among those.
    """
    grouped = [r for r in releases if r.release_group_mbid]
    if not grouped:
        return None
    plain = [
        r
        for r in grouped
        if r.primary_type in ("Album", "Single", "EP")
        and not SKIPPED_SECONDARY_TYPES.intersection(r.secondary_types)
        and r.status in ("", "Official")
    ]
    wanted = {"album": ("Album",), "single": ("Single", "EP")}.get(prefer_type, ())
    for release in plain:
        if release.primary_type in wanted:
            return release
    return plain[0] if plain else grouped[0]


@dataclass(frozen=True)
class ReleaseGroup:
    mbid: str
    title: str
    primary_type: str
    secondary_types: tuple[str, ...]
    first_release_date: str
    tags: list[list] = field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict) -> ReleaseGroup:
        return cls(
            mbid=data["id"],
            title=data.get("title") or "",
            primary_type=data.get("primary-type") or "",
            secondary_types=tuple(data.get("secondary-types") or ()),
            first_release_date=data.get("first-release-date") or "",
            tags=_tags(data),
        )


def phrase(value: str) -> str:
    """A Lucene phrase: quotes and backslashes escaped inside double quotes."""
    return '"' + _LUCENE_PHRASE.sub(r"\\\1", value.strip()) + '"'


class MusicBrainzClient:
    def __init__(self, *, user_id: int | None = None, job_id: str = ""):
        self.context = CallContext(
            user_id=user_id, purpose=str(Purpose.ENRICHMENT), job_id=str(job_id)
        )

    def _get(self, endpoint: str, path: str, params: dict | None = None):
        return http.get(self.context, endpoint, path, params)

    def genre_names(self) -> list[str]:
        # One request for the whole list (the txt format ignores limit/offset).
        text = self._get("GET /genre/all", "/genre/all", {"fmt": "txt"})
        return [line.strip() for line in text.splitlines() if line.strip()]

    def isrc(self, isrc: str) -> list[Recording]:
        """Every recording carrying the ISRC; raises http.NotFound when none does.

        `inc=tags`, never `inc=genres`: the ISRC resource answers 400 to that (§0.1).
        """
        if not ISRC_SHAPE.match(isrc):
            raise ValueError(f"not an ISRC MusicBrainz accepts: {isrc!r}")
        data = self._get("GET /isrc/{isrc}", f"/isrc/{isrc}", {"inc": "artist-credits+isrcs+tags"})
        return [Recording.from_api(item) for item in data.get("recordings") or ()]

    def recording(self, mbid: str) -> Recording:
        """Tags, artist tags, ISRCs and official releases with their release groups (§3)."""
        data = self._get(
            "GET /recording/{mbid}",
            f"/recording/{mbid}",
            {"inc": "artist-credits+isrcs+tags+releases+release-groups", "status": "official"},
        )
        return Recording.from_api(data)

    def release_group(self, mbid: str) -> ReleaseGroup:
        data = self._get(
            "GET /release-group/{mbid}", f"/release-group/{mbid}", {"inc": "genres+tags"}
        )
        return ReleaseGroup.from_api(data)

    def search_recordings(
        self, title: str, artist: str, duration_ms: int | None, limit: int = 10
    ) -> list[Recording]:
        """Q1 with a ±15 s duration window; Q2 without it (null lengths never match a range)."""
        queries = []
        base = f"recording:{phrase(title)}"
        if artist:
            base += f" AND artist:{phrase(artist)}"
        if duration_ms:
            queries.append(
                f"{base} AND dur:[{max(duration_ms - 15000, 0)} TO {duration_ms + 15000}]"
                " AND video:false"
            )
        fallback = f"recording:{phrase(title)}"
        if artist:
            fallback += f" AND artistname:{phrase(artist)}"
        queries.append(f"{fallback} AND video:false")
        for query in queries:
            data = self._get("GET /recording?query", "/recording", {"query": query, "limit": limit})
            found = [Recording.from_api(item) for item in data.get("recordings") or ()]
            if found:
                return found
        return []
