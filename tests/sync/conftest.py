"""Fixtures for the sync tests: a Tunekeeper user holding a sandbox token, base playlists seeded
in the sandbox, and helpers that read what the sandbox now holds."""

from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings

from core import clock
from sandbox.spotify import faults
from sandbox.spotify import models as sandbox
from sandbox.spotify import ops as sandbox_ops
from sandbox.spotify.models import IssuedToken
from sandbox.spotify.seed import seed_playlist
from sync.models import BasePlaylist, ChildPlaylist

ALL_SCOPES = " ".join(settings.SPOTIFY_SCOPES)


def connect(django_user_model, sandbox_user, username: str | None = None):
    """A Tunekeeper user holding a fresh sandbox token, as after logging in."""
    issued = IssuedToken.issue(sandbox_user, settings.SPOTIFY_CLIENT_ID, ALL_SCOPES)
    user, _ = django_user_model.objects.get_or_create(
        username=username or f"tk-{sandbox_user.spotify_id}"
    )
    account, _ = SocialAccount.objects.get_or_create(
        user=user,
        provider="spotify",
        defaults={"uid": sandbox_user.account_id, "extra_data": {"id": sandbox_user.spotify_id}},
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


@pytest.fixture
def sandbox_faults(transactional_db):
    faults.reset()
    yield faults
    faults.reset()


@pytest.fixture
def ada_sandbox(sandbox_site, sandbox_users, sandbox_faults):
    return sandbox_users[0]


@pytest.fixture
def ada(ada_sandbox, django_user_model):
    return connect(django_user_model, ada_sandbox)


def make_base(user, playlist: sandbox.Playlist) -> BasePlaylist:
    return BasePlaylist.objects.create(
        user=user, spotify_id=playlist.spotify_id, name=playlist.name
    )


def make_child(base: BasePlaylist, name: str = "Child", *conditions, match="all", **settings_):
    rules = {"kind": "group", "match": match, "rules": list(conditions)}
    return ChildPlaylist.objects.create(base=base, name=name, rules=rules, **settings_)


def cond(field, op, value, **extra):
    return {"kind": "condition", "field": field, "op": op, "value": value, **extra}


@pytest.fixture
def base_playlist(ada_sandbox):
    """A 300-track base in the sandbox (no local files or gaps: every item is a track)."""
    return seed_playlist(ada_sandbox, items=300, tracks=600, name="Everything")


def uris_of(spotify_id: str) -> list[str]:
    """What the sandbox holds for a playlist, in order."""
    return list(
        sandbox.PlaylistItem.objects.filter(playlist__spotify_id=spotify_id)
        .order_by("position")
        .values_list("uri", flat=True)
    )


def add_to(playlist: sandbox.Playlist, tracks: list[sandbox.Track], position=None) -> None:
    """Someone adds tracks to a sandbox playlist (as its owner, outside Tunekeeper)."""
    playlist.refresh_from_db()
    sandbox_ops.add_items(playlist, playlist.owner, tracks, position)


def remove_from(playlist: sandbox.Playlist, uris: list[str]) -> None:
    playlist.refresh_from_db()
    sandbox_ops.remove_items(playlist, uris)


def unused_tracks(playlist: sandbox.Playlist, count: int) -> list[sandbox.Track]:
    used = sandbox.PlaylistItem.objects.filter(playlist=playlist).values("track_id")
    return list(sandbox.Track.objects.exclude(pk__in=used).order_by("pk")[:count])
