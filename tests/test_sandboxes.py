"""Sandboxes only where they belong (config/sandboxes.py): on by default under DEBUG when the real
service is unconfigured; with DEBUG off only with SANDBOX=true, with a banner; never beside real
Spotify credentials in production."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.sandboxes import Sandboxes, decide
from tests.conftest import ROOT

SANDBOX_PATHS = [
    "/sandbox-spotify/accounts/authorize?client_id=tunekeeper-sandbox",
    "/sandbox-spotify/v1/me",
    "/sandbox-slskd/health",
    "/sandbox-slskd/api/v0/session",
    "/sandbox-musicbrainz/ws/2/isrc/USRC17607839?inc=tags",
    "/sandbox-musicbrainz/ws/2/genre/all?fmt=txt",
]


def decided(**given) -> Sandboxes:
    settings = {
        "debug": False,
        "sandbox": False,
        "spotify_configured": False,
        "slskd_configured": False,
    }
    return decide(**{**settings, **given})


def test_debug_serves_each_sandbox_whose_service_is_unconfigured():
    assert decided(debug=True) == Sandboxes(spotify=True, slskd=True, musicbrainz=True)
    assert decided(debug=True, spotify_configured=True) == Sandboxes(slskd=True, musicbrainz=True)
    assert decided(debug=True, slskd_configured=True).slskd is False


def test_without_debug_only_an_explicit_sandbox_true_serves_them_with_a_banner():
    assert decided(spotify_configured=True) == Sandboxes()
    assert not decided(spotify_configured=True, slskd_configured=False).any
    assert decided(sandbox=True) == Sandboxes(
        spotify=True, slskd=True, musicbrainz=True, banner=True
    )


def test_production_refuses_to_start_half_configured():
    with pytest.raises(ImproperlyConfigured, match="SANDBOX=true to run the sandbox"):
        decided()  # no Spotify app, no SANDBOX: nobody could log in
    with pytest.raises(ImproperlyConfigured, match="never serves sandboxes"):
        decided(sandbox=True, spotify_configured=True)


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
print(json.dumps({path: client.get(path).status_code for path in %r}))
"""


def statuses_under(**environment: str) -> dict:
    """GET each sandbox URL in a fresh process running the real settings with this environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SANDBOX", "DEBUG", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "probe", **environment})
    result = subprocess.run(
        [sys.executable, "-c", PROBE % SANDBOX_PATHS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_answers_404_on_every_sandbox_url():
    statuses = statuses_under(
        DEBUG="false",
        SPOTIFY_CLIENT_ID="real-app",
        SPOTIFY_CLIENT_SECRET="real-secret",
        ALLOWED_HOSTS="testserver",
    )
    assert statuses == dict.fromkeys(SANDBOX_PATHS, 404)


def test_debug_without_spotify_credentials_serves_them():
    statuses = statuses_under(DEBUG="true", ALLOWED_HOSTS="testserver")
    assert all(status != 404 for status in statuses.values()), statuses


def test_the_sandbox_banner_is_on_every_page_when_sandbox_is_set(db, client, settings):
    # The test settings run as a SANDBOX=true site with DEBUG off.
    assert settings.SANDBOX_BANNER and not settings.DEBUG
    assert 'id="sandbox-banner"' in client.get("/").content.decode()
    settings.SANDBOX_BANNER = False
    assert 'id="sandbox-banner"' not in client.get("/").content.decode()
