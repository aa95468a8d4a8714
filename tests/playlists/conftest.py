import pytest
import responses
from allauth.socialaccount.models import SocialAccount

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
