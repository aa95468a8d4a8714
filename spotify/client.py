"""The typed Spotify client: one small method per endpoint, every call through spotify.http.

    client = SpotifyClient(user, purpose=Purpose.LIBRARY, job_id="refresh-42")
    for page in client.playlist_items(playlist_id):
        ...

Paging methods yield `Page`s and raise on any error: a partial list is never returned as if
it were complete. Write methods chunk to Spotify's limits themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings

from spotify import http
from spotify.models import Purpose
from spotify.types import (
    Album,
    Artist,
    Page,
    Play,
    PlaylistItem,
    PlaylistSummary,
    RecentlyPlayed,
    SavedAlbum,
    SavedTrack,
    Track,
    User,
)

PAGE_SIZE = 50
PLAYLIST_WRITE_LIMIT = 100
LIBRARY_WRITE_LIMIT = 40
SEARCH_LIMIT_DEVELOPMENT = 10
PLAYLIST_FIELDS = (
    "id,uri,name,description,owner,public,collaborative,snapshot_id,images,items(total)"
)


def chunks(values: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


class SpotifyClient:
    def __init__(
        self,
        user,
        *,
        purpose: str = Purpose.INTERACTIVE,
        job_id: str = "",
        interactive: bool | None = None,
    ):
        self.context = http.CallContext(
            user_id=getattr(user, "pk", user),
            purpose=str(purpose),
            job_id=str(job_id),
            interactive=purpose == Purpose.INTERACTIVE if interactive is None else interactive,
        )

    @property
    def extended(self) -> bool:
        return settings.SPOTIFY_API_MODE == "extended"

    # --- plumbing -------------------------------------------------------------------------------

    def _call(self, method: str, endpoint: str, path: str, **kwargs) -> Any:
        return http.call(self.context, method, endpoint, path, **kwargs)

    def _pages(self, endpoint: str, path: str, parse, params: dict | None = None, unwrap=None):
        """Follow `next` links; each page is parsed whole before it is yielded."""
        url: str | None = path
        query = {"limit": PAGE_SIZE, **(params or {})}
        while url:
            data = self._call("GET", endpoint, url, params=query)
            if unwrap:
                data = data[unwrap]
            yield Page(
                items=[parse(item) for item in data.get("items") or []],
                offset=data.get("offset") or 0,
                total=data.get("total"),
                next_url=data.get("next"),
            )
            url, query = data.get("next"), None  # `next` already carries the query

    # --- users ----------------------------------------------------------------------------------

    def current_user(self) -> User:  # get-current-users-profile
        return User.from_api(self._call("GET", "GET /me", "/me"))

    # --- playlists ------------------------------------------------------------------------------

    def my_playlists(
        self,
    ) -> Iterator[Page[PlaylistSummary]]:  # get-a-list-of-current-users-playlists
        return self._pages("GET /me/playlists", "/me/playlists", PlaylistSummary.from_api)

    def playlist(self, playlist_id: str) -> PlaylistSummary:  # get-playlist
        data = self._call(
            "GET",
            "GET /playlists/{id}",
            f"/playlists/{playlist_id}",
            params={"fields": PLAYLIST_FIELDS},
        )
        return PlaylistSummary.from_api(data)

    def playlist_snapshot_id(self, playlist_id: str) -> str:  # get-playlist, fields=snapshot_id
        data = self._call(
            "GET",
            "GET /playlists/{id}",
            f"/playlists/{playlist_id}",
            params={"fields": "snapshot_id"},
        )
        return data["snapshot_id"]

    def playlist_items(
        self, playlist_id: str, *, offset: int = 0
    ) -> Iterator[Page[PlaylistItem]]:  # get-playlists-items
        """Every page from `offset` (a resumed read starts after the pages it already has)."""
        params = {"additional_types": "track", **({"offset": offset} if offset else {})}
        return self._pages(
            "GET /playlists/{id}/items",
            f"/playlists/{playlist_id}/items",
            PlaylistItem.from_api,
            params=params,
        )

    def add_items(
        self, playlist_id: str, uris: Sequence[str], position: int | None = None
    ) -> str:  # add-items-to-playlist
        """Add in chunks of 100; returns the last snapshot_id.

        Positional inserts are sent last chunk first, so each chunk lands at `position` ahead of
        the ones sent before it and the final order is the order given. Not retried blindly: a
        POST that may have landed is for the caller to verify by re-reading the playlist.
        """
        batches = list(chunks(uris, PLAYLIST_WRITE_LIMIT))
        if position is not None:
            batches.reverse()
        snapshot = ""
        for batch in batches:
            body: dict[str, Any] = {"uris": batch}
            if position is not None:
                body["position"] = position
            data = self._call(
                "POST",
                "POST /playlists/{id}/items",
                f"/playlists/{playlist_id}/items",
                json=body,
                idempotent=False,
            )
            snapshot = data["snapshot_id"]
        return snapshot

    def replace_items(
        self, playlist_id: str, uris: Sequence[str]
    ) -> str:  # reorder-or-replace-playlists-items
        """PUT the first 100, then POST the rest in chunks of 100."""
        first, rest = list(uris[:PLAYLIST_WRITE_LIMIT]), list(uris[PLAYLIST_WRITE_LIMIT:])
        data = self._call(
            "PUT",
            "PUT /playlists/{id}/items",
            f"/playlists/{playlist_id}/items",
            json={"uris": first},
        )
        snapshot = data["snapshot_id"]
        return self.add_items(playlist_id, rest) if rest else snapshot

    def reorder_items(
        self,
        playlist_id: str,
        range_start: int,
        insert_before: int,
        range_length: int = 1,
        snapshot_id: str | None = None,
    ) -> str:  # reorder-or-replace-playlists-items
        body: dict[str, Any] = {
            "range_start": range_start,
            "insert_before": insert_before,
            "range_length": range_length,
        }
        if snapshot_id:
            body["snapshot_id"] = snapshot_id
        data = self._call(
            "PUT",
            "PUT /playlists/{id}/items",
            f"/playlists/{playlist_id}/items",
            json=body,
            idempotent=False,
        )
        return data["snapshot_id"]

    def remove_items(
        self, playlist_id: str, uris: Iterable[str], snapshot_id: str | None = None
    ) -> str:  # remove-items-playlist
        """Remove in chunks of 100. Spotify removes EVERY occurrence of each URI."""
        unique = list(dict.fromkeys(uris))
        snapshot = snapshot_id or ""
        for batch in chunks(unique, PLAYLIST_WRITE_LIMIT):
            body: dict[str, Any] = {"items": [{"uri": uri} for uri in batch]}
            if snapshot_id:
                body["snapshot_id"] = snapshot_id
            data = self._call(
                "DELETE",
                "DELETE /playlists/{id}/items",
                f"/playlists/{playlist_id}/items",
                json=body,
            )
            snapshot = data["snapshot_id"]
        return snapshot

    def create_playlist(
        self, name: str, *, public: bool = False, collaborative: bool = False, description: str = ""
    ) -> PlaylistSummary:  # create-playlist (POST /me/playlists since 2026)
        data = self._call(
            "POST",
            "POST /me/playlists",
            "/me/playlists",
            json={
                "name": name,
                "public": public,
                "collaborative": collaborative,
                "description": description,
            },
            idempotent=False,
        )
        return PlaylistSummary.from_api(data)

    def change_details(self, playlist_id: str, **details: Any) -> None:  # change-playlist-details
        allowed = {"name", "public", "collaborative", "description"}
        unknown = set(details) - allowed
        if unknown:
            raise ValueError(f"unknown playlist details: {', '.join(sorted(unknown))}")
        self._call("PUT", "PUT /playlists/{id}", f"/playlists/{playlist_id}", json=details)

    # --- library --------------------------------------------------------------------------------

    def liked_songs(self) -> Iterator[Page[SavedTrack]]:  # get-users-saved-tracks
        return self._pages("GET /me/tracks", "/me/tracks", SavedTrack.from_api)

    def saved_albums(self) -> Iterator[Page[SavedAlbum]]:  # get-users-saved-albums
        return self._pages("GET /me/albums", "/me/albums", SavedAlbum.from_api)

    def followed_artists(self) -> Iterator[Page[Artist]]:  # get-followed
        return self._pages(
            "GET /me/following",
            "/me/following",
            Artist.from_api,
            params={"type": "artist"},
            unwrap="artists",
        )

    def library_save(self, uris: Sequence[str]) -> None:  # save-library-items
        for batch in chunks(uris, LIBRARY_WRITE_LIMIT):
            self._call("PUT", "PUT /me/library", "/me/library", params={"uris": ",".join(batch)})

    def library_remove(self, uris: Sequence[str]) -> None:  # remove-library-items
        for batch in chunks(uris, LIBRARY_WRITE_LIMIT):
            self._call(
                "DELETE", "DELETE /me/library", "/me/library", params={"uris": ",".join(batch)}
            )

    def library_contains(self, uris: Sequence[str]) -> list[bool]:  # check-library-contains
        answer: list[bool] = []
        for batch in chunks(uris, LIBRARY_WRITE_LIMIT):
            answer += self._call(
                "GET",
                "GET /me/library/contains",
                "/me/library/contains",
                params={"uris": ",".join(batch)},
            )
        return answer

    def unfollow_artists_extended(
        self, artist_ids: Sequence[str]
    ) -> None:  # unfollow-artists-users
        """The deprecated DELETE /me/following, for extended-mode apps only."""
        self._require_extended("DELETE /me/following")
        for batch in chunks(artist_ids, 50):
            self._call(
                "DELETE",
                "DELETE /me/following",
                "/me/following",
                params={"type": "artist", "ids": ",".join(batch)},
            )

    def follow_artists_extended(self, artist_ids: Sequence[str]) -> None:  # follow-artists-users
        self._require_extended("PUT /me/following")
        for batch in chunks(artist_ids, 50):
            self._call(
                "PUT",
                "PUT /me/following",
                "/me/following",
                params={"type": "artist", "ids": ",".join(batch)},
            )

    # --- history --------------------------------------------------------------------------------

    def recently_played(
        self, *, after_ms: int | None = None, before_ms: int | None = None, limit: int = 50
    ) -> RecentlyPlayed:  # get-recently-played
        if after_ms is not None and before_ms is not None:
            raise ValueError("recently played takes `after` or `before`, not both")
        params: dict[str, Any] = {"limit": limit}
        if after_ms is not None:
            params["after"] = after_ms
        if before_ms is not None:
            params["before"] = before_ms
        data = self._call(
            "GET", "GET /me/player/recently-played", "/me/player/recently-played", params=params
        )
        cursors = data.get("cursors") or {}
        return RecentlyPlayed(
            plays=[Play.from_api(item) for item in data.get("items") or []],
            cursor_after_ms=int(cursors["after"]) if cursors.get("after") else None,
            cursor_before_ms=int(cursors["before"]) if cursors.get("before") else None,
            next_url=data.get("next"),
        )

    # --- catalog --------------------------------------------------------------------------------

    def track(self, track_id: str) -> Track:  # get-track
        return Track.from_api(self._call("GET", "GET /tracks/{id}", f"/tracks/{track_id}"))

    def album(self, album_id: str) -> Album:  # get-an-album
        return Album.from_api(self._call("GET", "GET /albums/{id}", f"/albums/{album_id}"))

    def artist(self, artist_id: str) -> Artist:  # get-an-artist
        return Artist.from_api(self._call("GET", "GET /artists/{id}", f"/artists/{artist_id}"))

    def search_tracks(
        self, query: str, limit: int = SEARCH_LIMIT_DEVELOPMENT
    ) -> list[Track]:  # search
        limit = min(limit, 50 if self.extended else SEARCH_LIMIT_DEVELOPMENT)
        data = self._call(
            "GET", "GET /search", "/search", params={"q": query, "type": "track", "limit": limit}
        )
        return [Track.from_api(item) for item in (data.get("tracks") or {}).get("items") or []]

    def search_artists(
        self, query: str, limit: int = SEARCH_LIMIT_DEVELOPMENT
    ) -> list[Artist]:  # search
        limit = min(limit, 50 if self.extended else SEARCH_LIMIT_DEVELOPMENT)
        data = self._call(
            "GET", "GET /search", "/search", params={"q": query, "type": "artist", "limit": limit}
        )
        return [Artist.from_api(item) for item in (data.get("artists") or {}).get("items") or []]

    # --- extended mode only: batch reads --------------------------------------------------------

    def _require_extended(self, endpoint: str) -> None:
        if not self.extended:
            raise RuntimeError(f"{endpoint} needs SPOTIFY_API_MODE=extended")

    def several_tracks(self, ids: Sequence[str]) -> list[Track | None]:  # get-several-tracks
        self._require_extended("GET /tracks")
        found: list[Track | None] = []
        for batch in chunks(ids, 50):
            data = self._call("GET", "GET /tracks", "/tracks", params={"ids": ",".join(batch)})
            found += [Track.from_api(t) if t else None for t in data["tracks"]]
        return found

    def several_artists(self, ids: Sequence[str]) -> list[Artist | None]:  # get-multiple-artists
        self._require_extended("GET /artists")
        found: list[Artist | None] = []
        for batch in chunks(ids, 50):
            data = self._call("GET", "GET /artists", "/artists", params={"ids": ",".join(batch)})
            found += [Artist.from_api(a) if a else None for a in data["artists"]]
        return found

    def several_albums(self, ids: Sequence[str]) -> list[Album | None]:  # get-multiple-albums
        self._require_extended("GET /albums")
        found: list[Album | None] = []
        for batch in chunks(ids, 20):
            data = self._call("GET", "GET /albums", "/albums", params={"ids": ",".join(batch)})
            found += [Album.from_api(a) if a else None for a in data["albums"]]
        return found
