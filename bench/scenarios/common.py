"""Helpers the scenarios share: users linked to sandbox users, call counting, minimums."""

from __future__ import annotations

import math
from datetime import timedelta

from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings
from django.contrib.auth import get_user_model

from core import clock
from sandbox.spotify.models import IssuedToken, SandboxUser
from spotify.models import ApiCall

ALL_SCOPES = " ".join(settings.SPOTIFY_SCOPES)


def sandbox_user(name: str) -> SandboxUser:
    user, _ = SandboxUser.objects.get_or_create(
        spotify_id=name, defaults={"display_name": name.title()}
    )
    return user


def connect(sandbox: SandboxUser):
    """A Tunekeeper user holding a fresh token for `sandbox`, as after logging in."""
    issued = IssuedToken.issue(sandbox, settings.SPOTIFY_CLIENT_ID, ALL_SCOPES)
    user, _ = get_user_model().objects.get_or_create(username=f"bench-{sandbox.spotify_id}")
    # As allauth leaves it after a login: the profile from GET /me in extra_data.
    account, _ = SocialAccount.objects.get_or_create(
        user=user,
        provider="spotify",
        defaults={
            "uid": sandbox.account_id,
            "extra_data": {
                "id": sandbox.spotify_id,
                "account_id": sandbox.account_id,
                "display_name": sandbox.display_name,
            },
        },
    )
    app, _ = SocialApp.objects.get_or_create(
        provider="spotify", defaults={"name": "Spotify", "client_id": settings.SPOTIFY_CLIENT_ID}
    )
    SocialToken.objects.update_or_create(
        account=account,
        app=app,
        defaults={
            "token": issued.access_token,
            "token_secret": issued.refresh_token,
            "expires_at": clock.now() + timedelta(seconds=3600),
        },
    )
    return user


def calls(job_id: str) -> int:
    return ApiCall.objects.filter(job_id=job_id).exclude(app="accounts").count()


def pages(items: int, page_size: int) -> int:
    """Requests needed to read `items` in pages of `page_size` (an empty list still takes one)."""
    return max(math.ceil(items / page_size), 1)


def chunks(items: int, chunk_size: int) -> int:
    """Requests needed to write `items` in chunks of `chunk_size` (nothing to write: none)."""
    return math.ceil(items / chunk_size)
