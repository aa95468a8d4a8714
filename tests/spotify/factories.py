from datetime import timedelta

from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken

from core import clock
from spotify.models import Connection


def connected_user(
    django_user_model,
    username="ada",
    *,
    token="access-1",
    refresh="refresh-1",
    expires_in=3600,
    uid=None,
):
    """A Tunekeeper user linked to Spotify with a stored (encrypted) token pair."""
    user = django_user_model.objects.create(username=username)
    account = SocialAccount.objects.create(
        user=user, provider="spotify", uid=uid or f"acct-{username}"
    )
    app, _ = SocialApp.objects.get_or_create(
        provider="spotify", defaults={"name": "Spotify", "client_id": "x"}
    )
    SocialToken.objects.create(
        account=account,
        app=app,
        token=token,
        token_secret=refresh,
        expires_at=clock.now() + timedelta(seconds=expires_in),
    )
    Connection.objects.create(user=user)
    return user


def track_json(n: int, **overrides) -> dict:
    track_id = f"track{n:017d}"[:22]
    data = {
        "id": track_id,
        "uri": f"spotify:track:{track_id}",
        "name": f"Song {n}",
        "type": "track",
        "duration_ms": 180000 + n,
        "explicit": n % 2 == 0,
        "disc_number": 1,
        "track_number": n % 12 + 1,
        "is_local": False,
        "external_ids": {"isrc": f"USRC1{n:07d}"},
        "artists": [
            {
                "id": "artist0000000000000001",
                "name": "The Band",
                "uri": "spotify:artist:artist0000000000000001",
            }
        ],
        "album": {
            "id": "album00000000000000001",
            "name": "The Album",
            "uri": "spotify:album:album00000000000000001",
            "album_type": "album",
            "release_date": "1999-03",
            "release_date_precision": "month",
            "total_tracks": 12,
            "images": [],
            "artists": [],
        },
    }
    data.update(overrides)
    return data
