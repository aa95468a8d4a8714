import json

import pytest

from sandbox.spotify import faults
from sandbox.spotify.models import IssuedToken
from sandbox.spotify.seed import seed_users

SANDBOX_CLIENT = "tunekeeper-sandbox"
ALL_SCOPES = (
    "playlist-read-private playlist-read-collaborative playlist-modify-public "
    "playlist-modify-private user-library-read user-library-modify user-follow-read "
    "user-follow-modify user-read-recently-played"
)
API = "/sandbox-spotify/v1"


@pytest.fixture(autouse=True)
def clean_faults(request):
    """The knobs' counters are process state: every test starts and ends with the defaults."""
    # Live-server tests need a transactional database; the rest the ordinary one.
    request.getfixturevalue("transactional_db" if "sandbox_site" in request.fixturenames else "db")
    faults.reset()
    yield
    faults.reset()


class SandboxApi:
    """Django's test client speaking to the sandbox as one user, with a Bearer token issued on
    first use (so a test's fake_clock, if any, is already in place)."""

    def __init__(self, client, user, scope: str = ALL_SCOPES):
        self.client = client
        self.user = user
        self.scope = scope
        self._token = None

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = IssuedToken.issue(self.user, SANDBOX_CLIENT, self.scope).access_token
        return self._token

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{API}{path}"

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **params):
        return self.client.get(self._url(path), params or None, **self._headers())

    def _send(self, method: str, path: str, body):
        data = b"" if body is None else json.dumps(body)
        return getattr(self.client, method)(
            self._url(path), data, content_type="application/json", **self._headers()
        )

    def post(self, path: str, body=None):
        return self._send("post", path, body)

    def put(self, path: str, body=None):
        return self._send("put", path, body)

    def delete(self, path: str, body=None):
        return self._send("delete", path, body)

    def walk(self, path: str, **params) -> tuple[list, int]:
        """Follow `next` links to the end; returns (items, number of requests)."""
        items, requests = [], 0
        response = self.get(path, **params)
        while True:
            requests += 1
            assert response.status_code == 200, response.content
            page = response.json()
            items.extend(page["items"])
            if not page["next"]:
                return items, requests
            response = self.get(page["next"])


@pytest.fixture
def users(db):
    return seed_users(3)


@pytest.fixture
def ada(users):
    return users[0]


@pytest.fixture
def grace(users):
    return users[1]


@pytest.fixture
def alan(users):
    return users[2]


@pytest.fixture
def api(client, ada):
    return SandboxApi(client, ada)


@pytest.fixture
def grace_api(ada, grace):
    from django.test import Client

    return SandboxApi(Client(), grace)


@pytest.fixture
def alan_api(ada, alan):
    from django.test import Client

    return SandboxApi(Client(), alan)


@pytest.fixture
def extended(settings):
    settings.SPOTIFY_API_MODE = "extended"
    return settings


@pytest.fixture
def library(ada, grace):
    """A small seeded world: Ada's library (two playlists, the second collaborative with
    Grace), drawn from a 300-track catalog."""
    from sandbox.spotify.seed import ItemMix, seed_library

    seed_library(
        ada,
        tracks=300,
        playlists=[40, 12],
        liked=45,
        saved_albums=6,
        followed_artists=9,
        plays=80,
        collaborator=grace,
        collaborative_every=2,
        mix=ItemMix(duplicates=0.1, local=0.08, unavailable=0.08),
    )
    return ada


@pytest.fixture
def own_playlist(library):
    from sandbox.spotify.models import Playlist

    return Playlist.objects.get(owner=library, collaborative=False)


@pytest.fixture
def shared_playlist(library):
    from sandbox.spotify.models import Playlist

    return Playlist.objects.get(owner=library, collaborative=True)
