from datetime import timedelta

import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialToken

from core import clock
from sandbox.spotify import faults
from sandbox.spotify import models as sandbox
from sandbox.spotify.models import IssuedToken
from sandbox.spotify.seed import seed_library, seed_playlist, seed_users
from spotify.models import Connection
from tests.playlists.fake_spotify import FakeSpotify
from tests.spotify.factories import connected_user


def spotify_user(django_user_model, username: str):
    user = connected_user(django_user_model, username, token=f"access-{username}")
    SocialAccount.objects.filter(user=user).update(extra_data={"id": username})
    return user


@pytest.fixture
def ada(django_user_model, fake_clock):
    return spotify_user(django_user_model, "ada")


@pytest.fixture
def outsider(django_user_model, fake_clock):
    return spotify_user(django_user_model, "mallory")


@pytest.fixture
def spotify():
    """The fake Spotify Web API; tests fill its state, then run the code under test."""
    fake = FakeSpotify()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        fake.rsps = rsps
        yield fake


@pytest.fixture
def world(sandbox_site, django_user_model, settings):
    """Ada's sandbox library (own, collaborative and followed playlists; liked songs, saved
    albums, followed artists) and a Tunekeeper user holding a sandbox token for it."""
    settings.SPOTIFY_CALLS_PER_SECOND = 1000  # the sandbox needs no pacing in tests
    faults.reset()
    ada_sandbox, grace_sandbox = seed_users(2)
    seed_library(
        ada_sandbox,
        tracks=800,
        playlists=[12, 120, 60, 51, 5],
        liked=130,
        saved_albums=7,
        followed_artists=55,
        plays=0,
        collaborator=grace_sandbox,
        collaborative_every=2,
    )
    theirs = seed_playlist(grace_sandbox, items=30, name="Grace's picks")
    sandbox.PlaylistFollow.objects.create(
        user=ada_sandbox, playlist=theirs, followed_at=clock.now()
    )
    user = django_user_model.objects.create(username="ada")
    account = SocialAccount.objects.create(
        user=user,
        provider="spotify",
        uid=ada_sandbox.account_id,
        extra_data={"id": ada_sandbox.spotify_id},
    )
    issued = IssuedToken.issue(
        ada_sandbox, settings.SPOTIFY_CLIENT_ID, " ".join(settings.SPOTIFY_SCOPES), seconds=7200
    )
    SocialToken.objects.create(
        account=account,
        token=issued.access_token,
        token_secret=issued.refresh_token,
        expires_at=clock.now() + timedelta(seconds=7200),
    )
    Connection.objects.create(user=user)
    yield user, ada_sandbox
    faults.reset()
