"""Spotify's Web API at the HTTP boundary, for the library tests: `responses` callbacks that
answer in the shapes of reference/spotify-openapi.yml (paging objects, PlaylistTrackObject with
`item`, SimplifiedPlaylistObject with `items{href,total}`, cursor paging for followed artists).

The state is plain Python so a test can change a playlist between two refreshes, and a page can
be made to fail (`fail_at`) to check what a half-read list leaves behind.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import responses
from django.conf import settings


def track_json(n: int, *, album: int | None = None, artists: tuple[int, ...] = ()) -> dict:
    track_id = f"tr{n:020d}"
    album_number = album if album is not None else n // 10
    album_id = f"al{album_number:020d}"
    artist_numbers = artists or (n % 7,)
    artist_objects = [
        {
            "id": f"ar{a:020d}",
            "name": f"Artist {a}",
            "uri": f"spotify:artist:ar{a:020d}",
            "type": "artist",
        }
        for a in artist_numbers
    ]
    return {
        "id": track_id,
        "uri": f"spotify:track:{track_id}",
        "type": "track",
        "name": f"Song {n}",
        "duration_ms": 180000 + n,
        "explicit": n % 3 == 0,
        "disc_number": 1,
        "track_number": n % 12 + 1,
        "is_local": False,
        "is_playable": True,
        "external_ids": {"isrc": f"US-RC1-{n:07d}"[:15]},
        "artists": artist_objects,
        "album": {
            "id": album_id,
            "uri": f"spotify:album:{album_id}",
            "type": "album",
            "name": f"Album {album_number}",
            "album_type": "album",
            "release_date": f"{1960 + album_number % 60}-05-01",
            "release_date_precision": "day",
            "total_tracks": 10,
            "images": [{"url": f"https://i.scdn.co/image/{album_id}", "width": 640}],
            "artists": artist_objects[:1],
        },
    }


def local_track_json(title: str, artist: str) -> dict:
    return {
        "id": None,
        "uri": f"spotify:local:{artist}::{title}:200",
        "type": "track",
        "name": title,
        "duration_ms": 200000,
        "explicit": False,
        "is_local": True,
        "external_ids": {},
        "artists": [{"id": None, "name": artist, "uri": None}],
        "album": {"id": None, "name": "", "uri": None, "images": [], "artists": []},
    }


@dataclass
class FakePlaylist:
    id: str
    name: str
    owner: str = "ada"
    collaborative: bool = False
    snapshot: str = "snap-1"
    items: list[dict] = field(default_factory=list)  # PlaylistTrackObjects

    def set_tracks(self, numbers, *, snapshot: str | None = None) -> None:
        self.items = [
            {
                "added_at": f"2026-01-{(n % 28) + 1:02d}T10:00:00Z",
                "added_by": {"id": self.owner, "type": "user"},
                "is_local": False,
                "item": track_json(n),
            }
            for n in numbers
        ]
        if snapshot:
            self.snapshot = snapshot


@dataclass
class FakeSpotify:
    api: str = ""
    playlists: list[FakePlaylist] = field(default_factory=list)
    liked: list[int] = field(default_factory=list)  # track numbers, newest first
    saved_albums: list[int] = field(default_factory=list)
    followed: list[int] = field(default_factory=list)
    me: str = "ada"
    fail_at: dict[str, int] = field(default_factory=dict)  # path → offset that answers 500
    forbidden: set[str] = field(default_factory=set)  # playlist ids answering 403
    created: list[dict] = field(default_factory=list)
    added: list[list[str]] = field(default_factory=list)
    searches: dict[str, list[dict]] = field(default_factory=dict)  # q → track objects
    artist_genres: dict[str, list[str]] = field(default_factory=dict)  # extended mode

    def __post_init__(self):
        self.api = self.api or settings.SPOTIFY_API_BASE_URL

    def add_playlist(self, playlist_id: str, numbers, **kwargs) -> FakePlaylist:
        playlist = FakePlaylist(id=playlist_id, name=kwargs.pop("name", playlist_id), **kwargs)
        playlist.set_tracks(numbers)
        self.playlists.append(playlist)
        return playlist

    # --- paging ---------------------------------------------------------------------------------

    def _page(self, request, path: str, items: list, *, limit_cap: int = 50) -> tuple:
        query = parse_qs(urlparse(request.url).query)
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["20"])[0]), limit_cap)
        if self.fail_at.get(path) == offset:
            return (502, {}, json.dumps({"error": {"status": 502, "message": "Bad gateway"}}))
        extra = {k: v[0] for k, v in query.items() if k not in ("offset", "limit")}
        suffix = "".join(f"&{k}={v}" for k, v in extra.items())
        next_url = (
            f"{self.api}{path}?offset={offset + limit}&limit={limit}{suffix}"
            if offset + limit < len(items)
            else None
        )
        body = {
            "href": f"{self.api}{path}?offset={offset}&limit={limit}",
            "items": items[offset : offset + limit],
            "limit": limit,
            "offset": offset,
            "total": len(items),
            "next": next_url,
            "previous": None,
        }
        return 200, {}, json.dumps(body)

    def _my_playlists(self, request):
        summaries = [
            {
                "id": p.id,
                "uri": f"spotify:playlist:{p.id}",
                "type": "playlist",
                "name": p.name,
                "description": "",
                "owner": {"id": p.owner, "display_name": p.owner.title(), "type": "user"},
                "public": False,
                "collaborative": p.collaborative,
                "snapshot_id": p.snapshot,
                "images": [],
                "items": {"href": f"{self.api}/playlists/{p.id}/items", "total": len(p.items)},
            }
            for p in self.playlists
        ]
        return self._page(request, "/me/playlists", summaries)

    def _playlist_items(self, request):
        playlist_id = re.search(r"/playlists/([^/]+)/items", request.url).group(1)
        if playlist_id in self.forbidden:
            return 403, {}, json.dumps({"error": {"status": 403, "message": "Forbidden"}})
        playlist = next(p for p in self.playlists if p.id == playlist_id)
        return self._page(request, f"/playlists/{playlist_id}/items", playlist.items)

    def _liked(self, request):
        items = [
            {"added_at": f"2025-12-{(i % 28) + 1:02d}T08:00:00Z", "track": track_json(n)}
            for i, n in enumerate(self.liked)
        ]
        return self._page(request, "/me/tracks", items)

    def _albums(self, request):
        items = []
        for i, n in enumerate(self.saved_albums):
            album = track_json(n * 10)["album"]
            album.update(label=None, external_ids={"upc": f"00000{n:07d}"})
            items.append({"added_at": f"2025-11-{(i % 28) + 1:02d}T08:00:00Z", "album": album})
        return self._page(request, "/me/albums", items)

    def _following(self, request):
        # Cursor paging, wrapped in "artists"; `after` is the last artist id of the page.
        query = parse_qs(urlparse(request.url).query)
        after = query.get("after", [None])[0]
        artists = [
            {
                "id": f"ar{a:020d}",
                "name": f"Artist {a}",
                "uri": f"spotify:artist:ar{a:020d}",
                "type": "artist",
                "images": [{"url": f"https://i.scdn.co/image/ar{a}", "width": 320}],
            }
            for a in self.followed
        ]
        start = 0
        if after:
            start = next(i for i, a in enumerate(artists) if a["id"] == after) + 1
        page = artists[start : start + 50]
        next_url = None
        if start + 50 < len(artists):
            next_url = f"{self.api}/me/following?type=artist&limit=50&after={page[-1]['id']}"
        body = {
            "artists": {
                "href": f"{self.api}/me/following?type=artist",
                "items": page,
                "limit": 50,
                "next": next_url,
                "cursors": {"after": page[-1]["id"] if page else None},
                "total": len(artists),
            }
        }
        return 200, {}, json.dumps(body)

    def _create(self, request):
        body = json.loads(request.body)
        playlist_id = f"new{len(self.created):019d}"
        self.created.append(body)
        self.playlists.append(FakePlaylist(id=playlist_id, name=body["name"], owner=self.me))
        data = {
            "id": playlist_id,
            "uri": f"spotify:playlist:{playlist_id}",
            "name": body["name"],
            "owner": {"id": self.me},
            "public": body.get("public"),
            "collaborative": False,
            "snapshot_id": "created",
            "items": {"total": 0},
        }
        return 201, {}, json.dumps(data)

    def _add(self, request):
        body = json.loads(request.body)
        self.added.append(body["uris"])
        return 201, {}, json.dumps({"snapshot_id": f"snap-add-{len(self.added)}"})

    def _track(self, request):
        """GET /tracks/{id}: the tracks `track_json` makes (ids "tr" + 20 digits); else 404."""
        track_id = re.search(r"/tracks/([^/?]+)", request.url).group(1)
        if not re.fullmatch(r"tr\d{20}", track_id):
            return 404, {}, json.dumps({"error": {"status": 404, "message": "Not found"}})
        return 200, {}, json.dumps(track_json(int(track_id[2:])))

    def _search(self, request):
        query = parse_qs(urlparse(request.url).query)
        q = query["q"][0]
        items = self.searches.get(q, [])
        limit = int(query.get("limit", ["10"])[0])
        return 200, {}, json.dumps({"tracks": {"items": items[:limit], "total": len(items)}})

    def _playlist(self, request):
        playlist_id = re.search(r"/playlists/([^/?]+)", request.url).group(1)
        playlist = next(p for p in self.playlists if p.id == playlist_id)
        data = {
            "id": playlist.id,
            "name": playlist.name,
            "owner": {"id": playlist.owner},
            "collaborative": playlist.collaborative,
            "snapshot_id": playlist.snapshot,
            "items": {"total": len(playlist.items)},
        }
        return 200, {}, json.dumps(data)

    def _artists(self, request):
        # Extended mode only: GET /artists?ids=… with Spotify's own genres.
        ids = parse_qs(urlparse(request.url).query)["ids"][0].split(",")
        artists = [
            {
                "id": artist_id,
                "name": f"Artist {int(artist_id[2:])}",
                "uri": f"spotify:artist:{artist_id}",
                "type": "artist",
                "genres": self.artist_genres.get(artist_id, []),
                "popularity": 50,
                "images": [],
            }
            for artist_id in ids
        ]
        return 200, {}, json.dumps({"artists": artists})

    def register(self, rsps: responses.RequestsMock) -> None:
        api = re.escape(self.api)
        rsps.add_callback(
            responses.GET,
            re.compile(rf"{api}/me/playlists(\?.*)?$"),
            callback=self._my_playlists,
        )
        rsps.add_callback(
            responses.POST, re.compile(rf"{api}/me/playlists$"), callback=self._create
        )
        rsps.add_callback(
            responses.GET,
            re.compile(rf"{api}/playlists/[^/]+/items(\?.*)?$"),
            callback=self._playlist_items,
        )
        rsps.add_callback(
            responses.POST, re.compile(rf"{api}/playlists/[^/]+/items$"), callback=self._add
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{api}/playlists/[^/?]+(\?.*)?$"), callback=self._playlist
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{api}/me/tracks(\?.*)?$"), callback=self._liked
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{api}/me/albums(\?.*)?$"), callback=self._albums
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{api}/me/following(\?.*)?$"), callback=self._following
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{api}/tracks/[^/?]+(\?.*)?$"), callback=self._track
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{api}/search(\?.*)?$"), callback=self._search
        )
        rsps.add_callback(responses.GET, re.compile(rf"{api}/artists\?.*$"), callback=self._artists)
        rsps.add_callback(
            responses.GET,
            re.compile(rf"{api}/me$"),
            callback=lambda request: (200, {}, json.dumps({"id": self.me, "type": "user"})),
        )
