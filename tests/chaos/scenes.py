"""What the chaos tests sync: a sandbox base playlist with one child that takes every track."""

from __future__ import annotations

from bench.scenarios.common import connect
from sandbox.spotify import models as sandbox
from sandbox.spotify.seed import seed_playlist
from sync.models import BasePlaylist, ChildPlaylist


def base_with_one_child(sandbox_user, *, items: int, tracks: int):
    """Seed a base of `items` rows for `sandbox_user`, connect a Tunekeeper user to it and give
    the base one child, "Everything". Returns (user, base, the sandbox's base playlist)."""
    remote = seed_playlist(sandbox_user, items=items, tracks=tracks)
    user = connect(sandbox_user)
    base = BasePlaylist.objects.create(user=user, spotify_id=remote.spotify_id, name=remote.name)
    ChildPlaylist.objects.create(base=base, name="Everything")
    return user, base, remote


def playlist_uris(playlist) -> list[str]:
    """A sandbox playlist's items, in order."""
    return list(
        sandbox.PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("uri", flat=True)
    )


def child_uris(base) -> list[str]:
    return playlist_uris(sandbox.Playlist.objects.get(spotify_id=base.children.get().spotify_id))


def every_base_track_once(remote) -> list[str]:
    """What the "Everything" child must hold: each base track once, in base order."""
    return list(dict.fromkeys(playlist_uris(remote)))
