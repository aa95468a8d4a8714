"""Objects owned by one person, for the security suite's outsider checks
(tests/security/test_ownership_and_csrf.py imports OWNED_OBJECTS)."""

from __future__ import annotations

import itertools

from core import clock
from downloads.models import Download, DownloadRun, Status

_numbers = itertools.count(1)


def owned_track(owner):
    """A catalog track in one of `owner`'s playlists (so it is in their library)."""
    from playlists.models import PlaylistItem, Track

    n = next(_numbers)
    now = clock.now()
    track = Track.objects.create(
        id=f"dltrack{n:015d}", name=f"Song {n}", artist_names="Artist", fetched_at=now
    )
    playlist = owned_playlist(owner)
    PlaylistItem.objects.create(playlist=playlist, position=0, track=track, uri=track.uri)
    return track


def owned_playlist(owner):
    from playlists.models import Playlist

    n = next(_numbers)
    return Playlist.objects.create(
        user=owner, spotify_id=f"dlplaylist{n:012d}", name=f"Mix {n}", listed_at=clock.now()
    )


def owned_download(owner, status: str = Status.NOT_FOUND) -> Download:
    n = next(_numbers)
    return Download.objects.create(
        user=owner,
        instance="0" * 16,
        wanted_key=f"artist|song {n}",
        artist="Artist",
        title=f"Song {n}",
        ladder="flac 24",
        status=status,
    )


def owned_run(owner) -> DownloadRun:
    playlist = owned_playlist(owner)
    return DownloadRun.objects.create(user=owner, playlist=playlist, playlist_name=playlist.name)


OWNED_OBJECTS = {
    "downloads:detail": lambda owner: {"pk": owned_download(owner).pk},
    "downloads:cancel": lambda owner: {"pk": owned_download(owner, Status.QUEUED).pk},
    "downloads:retry": lambda owner: {"pk": owned_download(owner).pk},
    "downloads:track": lambda owner: {"track_id": owned_track(owner).pk},
    "downloads:playlist": lambda owner: {"pk": owned_playlist(owner).pk},
    "downloads:missing": lambda owner: {"pk": owned_playlist(owner).pk},
    "downloads:run": lambda owner: {"pk": owned_run(owner).pk},
}
