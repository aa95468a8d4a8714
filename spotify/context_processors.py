from spotify.models import Connection


def spotify_banners(request) -> dict:
    """What the banner slot in base.html shows: a broken connection, a Spotify pause."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    connection = Connection.objects.filter(user=user).first()
    return {"spotify_needs_reconnect": bool(connection and connection.needs_reconnect)}
