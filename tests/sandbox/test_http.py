"""The sandbox over real HTTP (the live server), as the gateway and spotipy/curl reach it."""

import requests

from sandbox.spotify import faults
from sandbox.spotify.models import IssuedToken
from sandbox.spotify.seed import seed_library


def test_walking_pages_over_http_follows_absolute_next_urls(sandbox_site, ada, grace):
    seed_library(
        ada, tracks=200, playlists=[120, 7], liked=0, saved_albums=0, followed_artists=0, plays=0
    )
    token = IssuedToken.issue(ada, "tunekeeper-sandbox", "playlist-read-private").access_token
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"{sandbox_site.url}/sandbox-spotify/v1"

    playlists = session.get(f"{base}/me/playlists", params={"limit": 1}, timeout=10).json()
    assert playlists["next"].startswith(base)
    biggest = max(
        [playlists["items"][0], session.get(playlists["next"], timeout=10).json()["items"][0]],
        key=lambda p: p["items"]["total"],
    )
    url, rows, calls = f"{base}/playlists/{biggest['id']}/items?limit=50", [], 0
    while url:
        page = session.get(url, timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"] == "application/json"
        rows.extend(page.json()["items"])
        url, calls = page.json()["next"], calls + 1
    assert (len(rows), calls) == (120, 3)
    assert [r["endpoint"] for r in faults.requests()][-3:] == ["GET /playlists/{id}/items"] * 3


def test_a_429_over_http_carries_retry_after(sandbox_site, ada):
    token = IssuedToken.issue(ada, "tunekeeper-sandbox", "").access_token
    faults.fail_next(429, retry_after=3)  # configured here, seen by the server thread
    response = requests.get(
        f"{sandbox_site.url}/sandbox-spotify/v1/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
