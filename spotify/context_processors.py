from spotify import state
from spotify.models import Connection


def spotify_banners(request) -> dict:
    """What the banner slot in base.html shows: a broken connection, a Spotify pause."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    connection = Connection.objects.filter(user=user).first()
    pause = state.current_pause()
    return {
        "spotify_needs_reconnect": bool(connection and connection.needs_reconnect),
        "spotify_paused_until": pause.until if pause else None,
        "spotify_pause_reason": pause.reason if pause else "",
    }
