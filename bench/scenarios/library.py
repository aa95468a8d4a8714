"""The library mirror: a cold refresh of 50,000 items in 200 playlists, then an unchanged one."""

from __future__ import annotations

from bench.harness import Outcome, Stopwatch, scenario
from bench.scenarios.common import connect, pages, sandbox_user
from playlists.models import LikedSong, PlaylistItem
from playlists.refresh import refresh_library
from sandbox.spotify.seed import seed_library
from spotify.client import PAGE_SIZE

PLAYLISTS = 200
ITEMS_PER_PLAYLIST = 250
LIKED, ALBUMS, ARTISTS = 600, 40, 60
_state: dict = {}


def _library_owner():
    if "user" not in _state:
        owner = sandbox_user("bench-librarian")
        seed_library(
            owner,
            tracks=PLAYLISTS * ITEMS_PER_PLAYLIST,
            playlists=[ITEMS_PER_PLAYLIST] * PLAYLISTS,
            liked=LIKED,
            saved_albums=ALBUMS,
            followed_artists=ARTISTS,
            plays=0,
        )
        _state["user"] = connect(owner)
    return _state["user"]


def _list_pages() -> int:
    return pages(PLAYLISTS, PAGE_SIZE)


@scenario("library_refresh_cold")
def refresh_cold(server) -> Outcome:
    user = _library_owner()
    with Stopwatch() as watch:
        result = refresh_library(user)
    minimum = (
        _list_pages()
        + PLAYLISTS * pages(ITEMS_PER_PLAYLIST, PAGE_SIZE)
        + pages(LIKED, PAGE_SIZE)
        + pages(ALBUMS, PAGE_SIZE)
        + pages(ARTISTS, PAGE_SIZE)
    )
    items = PlaylistItem.objects.filter(playlist__user=user).count()
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=minimum,
        ok=items == PLAYLISTS * ITEMS_PER_PLAYLIST
        and LikedSong.objects.filter(user=user).count() == LIKED,
        rows=items,
        wall_s=watch.seconds,
        rows_per_s=items / result.ingest_seconds if result.ingest_seconds else None,
        notes="rows/s: database ingestion (HTTP excluded)",
        extra={
            "ingest_seconds": round(result.ingest_seconds, 2),
            "tracks_written": result.tracks_written,
        },
    )


@scenario("library_refresh_unchanged")
def refresh_unchanged(server) -> Outcome:
    user = _library_owner()
    if not PlaylistItem.objects.filter(playlist__user=user).exists():
        refresh_library(user)
    with Stopwatch() as watch:
        result = refresh_library(user)
    return Outcome(
        spotify_calls=result.calls,
        minimum_calls=_list_pages(),
        ok=result.playlists_read == 0 and result.playlists_skipped == PLAYLISTS,
        wall_s=watch.seconds,
        notes="+1 first-page check each for liked songs, albums, artists (no snapshot id)",
        extra={
            "playlists_read": result.playlists_read,
            "playlists_skipped": result.playlists_skipped,
        },
    )
