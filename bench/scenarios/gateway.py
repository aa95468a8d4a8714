"""The gateway alone: paging a big playlist, removing library items in bulk."""

from bench.harness import Outcome, Stopwatch, scenario
from bench.scenarios.common import calls, chunks, connect, pages, sandbox_user
from sandbox.spotify import mutations
from sandbox.spotify.models import PlaylistItem, SavedTrack
from sandbox.spotify.seed import seed_library, seed_playlist
from spotify.client import LIBRARY_WRITE_LIMIT, PAGE_SIZE, SpotifyClient
from spotify.models import Purpose

PLAYLIST_ITEMS = 10_000
LIBRARY_URIS = 1_000


@scenario("gateway_paging_10k")
def paging_10k(server) -> Outcome:
    owner = sandbox_user("bench-pager")
    playlist = seed_playlist(owner, items=PLAYLIST_ITEMS, tracks=PLAYLIST_ITEMS)
    client = SpotifyClient(connect(owner), purpose=Purpose.LIBRARY, job_id="gateway_paging_10k")

    positions = []
    with Stopwatch() as watch:
        for page in client.playlist_items(playlist.spotify_id):
            positions.extend(item.track.uri if item.track else None for item in page.items)

    expected = list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("uri", flat=True)
    )
    return Outcome(
        spotify_calls=calls("gateway_paging_10k"),
        minimum_calls=pages(PLAYLIST_ITEMS, PAGE_SIZE),
        ok=positions == expected,
        rows=len(positions),
        wall_s=watch.seconds,
    )


def _liked_uris(owner, count: int) -> list[str]:
    seed_library(
        owner, tracks=count, playlists=[], liked=count, saved_albums=0, followed_artists=0, plays=0
    )
    return [
        f"spotify:track:{spotify_id}"
        for spotify_id in SavedTrack.objects.filter(user=owner).values_list(
            "track__spotify_id", flat=True
        )[:count]
    ]


@scenario("gateway_library_remove_1k")
def library_remove_1k(server) -> Outcome:
    owner = sandbox_user("bench-remover")
    uris = _liked_uris(owner, LIBRARY_URIS)
    client = SpotifyClient(
        connect(owner), purpose=Purpose.ENFORCEMENT, job_id="gateway_library_remove_1k"
    )
    with Stopwatch() as watch:
        client.library_remove(uris)

    left = SavedTrack.objects.filter(user=owner).count()
    log = [entry for entry in mutations.log() if entry["endpoint"] == "DELETE /me/library"]
    return Outcome(
        spotify_calls=calls("gateway_library_remove_1k"),
        minimum_calls=chunks(len(uris), LIBRARY_WRITE_LIMIT),
        ok=left == 0
        and len(uris) == LIBRARY_URIS
        and mutations.duplicates() == []
        and len(log) >= 1,
        rows=len(uris),
        wall_s=watch.seconds,
    )


@scenario("baseline_library_remove_per_item_1k")
def library_remove_per_item(server) -> Outcome:
    """The seed design's way: one request per item."""
    owner = sandbox_user("bench-remover-baseline")
    uris = _liked_uris(owner, LIBRARY_URIS)
    client = SpotifyClient(
        connect(owner), purpose=Purpose.ENFORCEMENT, job_id="baseline_library_remove"
    )
    with Stopwatch() as watch:
        for uri in uris:
            client.library_remove([uri])
    return Outcome(
        spotify_calls=calls("baseline_library_remove"),
        minimum_calls=chunks(len(uris), LIBRARY_WRITE_LIMIT),
        ok=SavedTrack.objects.filter(user=owner).count() == 0,
        rows=len(uris),
        wall_s=watch.seconds,
        notes="baseline: per-item removal",
    )
