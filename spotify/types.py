"""Typed values the Spotify client returns.

Built from Spotify's JSON with `from_api`; a field Spotify removed for development-mode apps
(genres, popularity, followers, label) comes back as None, never as a crash. Local files and
unavailable playlist items are kept (with `id=None` / `track=None`), never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _images(data: dict) -> tuple[Image, ...]:
    return tuple(
        Image(url=i.get("url", ""), width=i.get("width"), height=i.get("height"))
        for i in data.get("images") or ()
    )


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class ArtistRef:
    id: str | None
    name: str
    uri: str | None

    @classmethod
    def from_api(cls, data: dict) -> ArtistRef:
        return cls(id=data.get("id"), name=data.get("name") or "", uri=data.get("uri"))


@dataclass(frozen=True, slots=True)
class Artist:
    id: str
    name: str
    uri: str
    images: tuple[Image, ...] = ()
    genres: tuple[str, ...] | None = None  # extended mode only
    popularity: int | None = None  # extended mode only
    followers: int | None = None  # extended mode only

    @classmethod
    def from_api(cls, data: dict) -> Artist:
        genres = data.get("genres")
        followers = data.get("followers")
        return cls(
            id=data["id"],
            name=data.get("name") or "",
            uri=data.get("uri") or f"spotify:artist:{data['id']}",
            images=_images(data),
            genres=tuple(genres) if genres is not None else None,
            popularity=data.get("popularity"),
            followers=followers.get("total") if isinstance(followers, dict) else None,
        )


@dataclass(frozen=True, slots=True)
class Album:
    id: str | None
    name: str
    uri: str | None
    album_type: str
    release_date: str  # "1999", "1999-03" or "1999-03-21", as Spotify gives it
    release_date_precision: str  # year / month / day
    total_tracks: int | None
    images: tuple[Image, ...]
    artists: tuple[ArtistRef, ...]
    upc: str | None = None
    label: str | None = None  # extended mode only
    popularity: int | None = None  # extended mode only

    @classmethod
    def from_api(cls, data: dict) -> Album:
        return cls(
            id=data.get("id"),
            name=data.get("name") or "",
            uri=data.get("uri"),
            album_type=(data.get("album_type") or "").lower(),
            release_date=data.get("release_date") or "",
            release_date_precision=data.get("release_date_precision") or "",
            total_tracks=data.get("total_tracks"),
            images=_images(data),
            artists=tuple(ArtistRef.from_api(a) for a in data.get("artists") or ()),
            upc=(data.get("external_ids") or {}).get("upc"),
            label=data.get("label"),
            popularity=data.get("popularity"),
        )

    @property
    def release_year(self) -> int | None:
        return int(self.release_date[:4]) if self.release_date[:4].isdigit() else None


@dataclass(frozen=True, slots=True)
class Track:
    id: str | None  # None for local files
    uri: str
    name: str
    duration_ms: int
    explicit: bool
    disc_number: int | None
    track_number: int | None
    is_local: bool
    is_playable: bool | None
    isrc: str | None
    album: Album | None
    artists: tuple[ArtistRef, ...]
    popularity: int | None = None  # extended mode only

    @classmethod
    def from_api(cls, data: dict) -> Track:
        album = data.get("album")
        return cls(
            id=data.get("id"),
            uri=data.get("uri") or "",
            name=data.get("name") or "",
            duration_ms=data.get("duration_ms") or 0,
            explicit=bool(data.get("explicit")),
            disc_number=data.get("disc_number"),
            track_number=data.get("track_number"),
            is_local=bool(data.get("is_local")),
            is_playable=data.get("is_playable"),
            isrc=(data.get("external_ids") or {}).get("isrc"),
            album=Album.from_api(album) if album else None,
            artists=tuple(ArtistRef.from_api(a) for a in data.get("artists") or ()),
            popularity=data.get("popularity"),
        )


@dataclass(frozen=True, slots=True)
class User:
    id: str
    account_id: str | None
    display_name: str
    uri: str

    @classmethod
    def from_api(cls, data: dict) -> User:
        return cls(
            id=data["id"],
            account_id=data.get("account_id"),
            display_name=data.get("display_name") or data["id"],
            uri=data.get("uri") or f"spotify:user:{data['id']}",
        )


@dataclass(frozen=True, slots=True)
class PlaylistSummary:
    id: str
    uri: str
    name: str
    description: str
    owner_id: str
    owner_name: str
    public: bool | None
    collaborative: bool
    snapshot_id: str
    items_total: int | None
    images: tuple[Image, ...] = ()

    @classmethod
    def from_api(cls, data: dict) -> PlaylistSummary:
        owner = data.get("owner") or {}
        # `items` replaced `tracks` in 2026; either may carry {href, total}.
        counts = data.get("items") or data.get("tracks") or {}
        return cls(
            id=data["id"],
            uri=data.get("uri") or f"spotify:playlist:{data['id']}",
            name=data.get("name") or "",
            description=data.get("description") or "",
            owner_id=owner.get("id") or "",
            owner_name=owner.get("display_name") or owner.get("id") or "",
            public=data.get("public"),
            collaborative=bool(data.get("collaborative")),
            snapshot_id=data.get("snapshot_id") or "",
            items_total=counts.get("total") if isinstance(counts, dict) else None,
            images=_images(data),
        )


@dataclass(frozen=True, slots=True)
class PlaylistItem:
    added_at: datetime | None
    added_by: str | None
    is_local: bool
    track: Track | None  # None: unavailable, or an episode

    @classmethod
    def from_api(cls, data: dict) -> PlaylistItem:
        # `item` since 2026, `track` before: read either.
        payload = data.get("item")
        if payload is None:
            payload = data.get("track")
        if payload is not None and payload.get("type", "track") != "track":
            payload = None
        return cls(
            added_at=parse_time(data.get("added_at")),
            added_by=(data.get("added_by") or {}).get("id"),
            is_local=bool(data.get("is_local")),
            track=Track.from_api(payload) if payload else None,
        )


@dataclass(frozen=True, slots=True)
class SavedTrack:
    added_at: datetime | None
    track: Track

    @classmethod
    def from_api(cls, data: dict) -> SavedTrack:
        return cls(added_at=parse_time(data.get("added_at")), track=Track.from_api(data["track"]))


@dataclass(frozen=True, slots=True)
class SavedAlbum:
    added_at: datetime | None
    album: Album

    @classmethod
    def from_api(cls, data: dict) -> SavedAlbum:
        return cls(added_at=parse_time(data.get("added_at")), album=Album.from_api(data["album"]))


@dataclass(frozen=True, slots=True)
class Play:
    played_at: datetime
    track: Track
    context_type: str | None
    context_uri: str | None

    @classmethod
    def from_api(cls, data: dict) -> Play:
        context = data.get("context") or {}
        return cls(
            played_at=parse_time(data["played_at"]),
            track=Track.from_api(data["track"]),
            context_type=context.get("type"),
            context_uri=context.get("uri"),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paged list: its items, where it starts and how many there are in all."""

    items: list[T]
    offset: int
    total: int | None
    next_url: str | None


@dataclass(frozen=True, slots=True)
class RecentlyPlayed:
    plays: list[Play]
    cursor_after_ms: int | None
    cursor_before_ms: int | None
    next_url: str | None
