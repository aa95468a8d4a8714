"""Sandbox rows → Spotify's JSON objects (spotify-openapi.yml component schemas).

Development mode (the default) leaves out every field the spec marks deprecated: artist
`genres`/`popularity`/`followers`, track `popularity`/`available_markets`/`linked_from`/
`preview_url`, album `label`/`popularity`/`available_markets`/`genres`, playlist `tracks` and
playlist-item `track` (see faults.playlist_item_keys). Extended mode adds them back.
`linked_from` is never emitted: the sandbox does no track relinking.
"""

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from sandbox.spotify import faults
from sandbox.spotify.api import api_base, paging
from sandbox.spotify.models import (
    Album,
    Artist,
    Play,
    Playlist,
    PlaylistItem,
    SandboxUser,
    Track,
    TrackArtist,
)

# What the sandbox answers for `available_markets` in extended mode.
MARKETS = ["CA", "DE", "FR", "GB", "IS", "JP", "NL", "SE", "US"]
IMAGE_SIZES = (640, 300, 64)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def credits_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}credits",
        queryset=TrackArtist.objects.select_related("artist").order_by("position"),
        to_attr="ordered_credits",
    )


def tracks_queryset() -> QuerySet:
    """Tracks with everything a TrackObject needs, in three queries for any number of rows."""
    return Track.objects.select_related("album__artist").prefetch_related(credits_prefetch())


def items_queryset(playlist: Playlist) -> QuerySet:
    return (
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .select_related("track__album__artist", "added_by")
        .prefetch_related(credits_prefetch("track__"))
    )


class Shapes:
    """Builds objects for one request: absolute hrefs on the host the client used."""

    def __init__(self, request):
        self.request = request
        self.api = api_base(request)
        self.api_path = request.path.split("/v1/", 1)[0] + "/v1"
        self.root = self.api.removesuffix("/v1")
        self.extended = faults.extended()

    # --- small pieces -------------------------------------------------------------------------

    def images(self, kind: str, spotify_id: str, sizes=IMAGE_SIZES) -> list[dict]:
        return [
            {
                "url": f"{self.root}/images/{kind}/{spotify_id}/{size}.svg",
                "height": size,
                "width": size,
            }
            for size in sizes
        ]

    @staticmethod
    def open_url(kind: str, spotify_id: str) -> dict:
        return {"spotify": f"https://open.spotify.com/{kind}/{spotify_id}"}

    # --- artists --------------------------------------------------------------------------------

    def artist_simple(self, artist: Artist) -> dict:
        return {
            "external_urls": self.open_url("artist", artist.spotify_id),
            "href": f"{self.api}/artists/{artist.spotify_id}",
            "id": artist.spotify_id,
            "name": artist.name,
            "type": "artist",
            "uri": artist.uri,
        }

    def artist(self, artist: Artist) -> dict:
        data = self.artist_simple(artist)
        data["images"] = self.images("artist", artist.spotify_id)
        if self.extended:
            data["genres"] = list(artist.genres)
            data["popularity"] = artist.popularity
            data["followers"] = {"href": None, "total": artist.followers}
        return data

    # --- albums ---------------------------------------------------------------------------------

    def album_simple(self, album: Album) -> dict:
        data = {
            "album_type": album.album_type,
            "total_tracks": album.total_tracks,
            "external_urls": self.open_url("album", album.spotify_id),
            "href": f"{self.api}/albums/{album.spotify_id}",
            "id": album.spotify_id,
            "images": self.images("album", album.spotify_id),
            "name": album.name,
            "release_date": album.release_date,
            "release_date_precision": album.release_date_precision,
            "type": "album",
            "uri": album.uri,
            "artists": [self.artist_simple(album.artist)],
        }
        if self.extended:
            data["available_markets"] = MARKETS
        return data

    def album(self, album: Album, tracks: list[Track], *, tracks_total: int) -> dict:
        """The full AlbumObject, with the first page (50) of its tracks embedded."""
        data = self.album_simple(album)
        year = album.release_date[:4]
        data["tracks"] = self.paging_for(
            f"/albums/{album.spotify_id}/tracks",
            [self.track_simple(track) for track in tracks],
            total=tracks_total,
            limit=50,
            offset=0,
        )
        data["copyrights"] = [
            {"text": f"© {year} {album.artist.name}", "type": "C"},
            {"text": f"℗ {year} {album.artist.name}", "type": "P"},
        ]
        data["external_ids"] = {"upc": album.upc}
        if self.extended:
            data["genres"] = []
            data["label"] = album.label
            data["popularity"] = album.popularity
        return data

    # --- tracks ---------------------------------------------------------------------------------

    def _track_artists(self, track: Track) -> list[dict]:
        credits = getattr(track, "ordered_credits", None)
        if credits is None:
            credits = list(track.credits.select_related("artist").order_by("position"))
        return [self.artist_simple(credit.artist) for credit in credits]

    def track_simple(self, track: Track) -> dict:
        data = {
            "artists": self._track_artists(track),
            "disc_number": track.disc_number,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            "external_urls": self.open_url("track", track.spotify_id),
            "href": f"{self.api}/tracks/{track.spotify_id}",
            "id": track.spotify_id,
            "is_playable": True,
            "name": track.name,
            "track_number": track.track_number,
            "type": "track",
            "uri": track.uri,
            "is_local": False,
        }
        if self.extended:
            data["available_markets"] = MARKETS
            data["preview_url"] = None
        return data

    def track(self, track: Track) -> dict:
        data = self.track_simple(track)
        data["album"] = self.album_simple(track.album)
        data["external_ids"] = {"isrc": track.isrc}
        if self.extended:
            data["popularity"] = track.popularity
        return data

    def local_track(self, item: PlaylistItem) -> dict:
        """A local file as Spotify shows it: no ids, no hrefs, names only."""
        return {
            "album": {
                "album_type": None,
                "artists": [],
                "available_markets": [],
                "external_urls": {},
                "href": None,
                "id": None,
                "images": [],
                "name": item.local_album,
                "release_date": None,
                "release_date_precision": None,
                "type": "album",
                "uri": None,
            },
            "artists": [
                {
                    "external_urls": {},
                    "href": None,
                    "id": None,
                    "name": item.local_artist,
                    "type": "artist",
                    "uri": None,
                }
            ],
            "disc_number": 0,
            "duration_ms": item.local_duration_ms,
            "explicit": False,
            "external_ids": {},
            "external_urls": {},
            "href": None,
            "id": None,
            "is_local": True,
            "name": item.local_name,
            "track_number": 0,
            "type": "track",
            "uri": item.uri,
        }

    # --- users and playlists --------------------------------------------------------------------

    def playlist_user(self, user: SandboxUser | None) -> dict | None:
        if user is None:
            return None
        return {
            "external_urls": self.open_url("user", user.spotify_id),
            "href": f"{self.api}/users/{user.spotify_id}",
            "id": user.spotify_id,
            "type": "user",
            "uri": user.uri,
        }

    def playlist_owner(self, user: SandboxUser) -> dict:
        return {**self.playlist_user(user), "display_name": user.display_name}

    def _playlist_common(self, playlist: Playlist) -> dict:
        return {
            "collaborative": playlist.collaborative,
            "description": playlist.description,
            "external_urls": self.open_url("playlist", playlist.spotify_id),
            "href": f"{self.api}/playlists/{playlist.spotify_id}",
            "id": playlist.spotify_id,
            "images": self.images("playlist", playlist.spotify_id, sizes=(640,)),
            "name": playlist.name,
            "owner": self.playlist_owner(playlist.owner),
            # Spotify sends it (null unless a colour was picked) though its API description
            # leaves it out; tekore's playlist models require it.
            "primary_color": None,
            "public": playlist.public,
            "snapshot_id": playlist.snapshot_id,
            "type": "playlist",
            "uri": playlist.uri,
        }

    def playlist_simple(self, playlist: Playlist, *, items_total: int) -> dict:
        data = self._playlist_common(playlist)
        ref = {"href": f"{self.api}/playlists/{playlist.spotify_id}/items", "total": items_total}
        data["items"] = ref
        if self.extended:
            data["tracks"] = {**ref, "href": f"{self.api}/playlists/{playlist.spotify_id}/tracks"}
        return data

    def playlist(self, playlist: Playlist, items_page: dict | None) -> dict:
        """The full PlaylistObject; `items_page` is None when the user may not see the items."""
        data = self._playlist_common(playlist)
        data["followers"] = {"href": None, "total": playlist.followers_total}
        if items_page is not None:
            data["items"] = items_page
            if self.extended:
                data["tracks"] = items_page
        return data

    def item_keys(self) -> tuple[str, ...]:
        setting = faults.current().playlist_item_keys
        if setting == "item":
            return ("item",)
        if setting == "track":
            return ("track",)
        if setting == "both" or self.extended:
            return ("item", "track")
        return ("item",)

    def playlist_item(self, item: PlaylistItem, keys: tuple[str, ...]) -> dict:
        if item.is_local:
            content = self.local_track(item)
        elif item.track is None:
            content = None  # unavailable: Spotify sends the row with a null item
        else:
            # A track on a playlist carries `episode`/`track` flags, undescribed but sent.
            content = {**self.track(item.track), "episode": False, "track": True}
        data = {
            "added_at": iso(item.added_at),
            "added_by": self.playlist_user(item.added_by),
            "is_local": item.is_local,
            # Sent by Spotify on every row though its API description leaves them out.
            "primary_color": None,
            "video_thumbnail": {"url": None},
        }
        for key in keys:
            data[key] = content
        return data

    # --- saved things and history ---------------------------------------------------------------

    def play(self, play: Play) -> dict:
        context = None
        if play.context_uri:
            kind, spotify_id = play.context_uri.split(":")[1:3]
            context = {
                "type": play.context_type,
                "href": f"{self.api}/{kind}s/{spotify_id}",
                "external_urls": self.open_url(kind, spotify_id),
                "uri": play.context_uri,
            }
        return {
            "track": self.track(play.track),
            "played_at": iso_ms(play.played_at),
            "context": context,
        }

    def paging_for(self, path: str, items: list, *, total: int, limit: int, offset: int) -> dict:
        """A paging object for another endpoint than the one being served (embedded pages)."""
        return paging(
            self.request,
            items,
            total=total,
            limit=limit,
            offset=offset,
            path=self.api_path + path,
            params={},
        )
