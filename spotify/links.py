"""Links a person follows to see something in Spotify: open.spotify.com, or in sandbox mode the
sandbox's own pages (settings.SPOTIFY_OPEN_URL), since sandbox ids exist nowhere else."""

from django.conf import settings


def open_url(kind: str, spotify_id: str) -> str:
    """`kind`: playlist, track, album, artist or user."""
    return f"{settings.SPOTIFY_OPEN_URL}/{kind}/{spotify_id}" if spotify_id else ""
