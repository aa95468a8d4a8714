"""Security headers: CSP that the pages pass (no inline script or handler), Permissions-Policy,
HSTS behind HTTPS, no-store where a secret is shown, no DEBUG with HTTPS."""

import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.urls import own_routes

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I)


@pytest.fixture
def member(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create(username="ada"))
    return client


def test_every_page_has_a_strict_csp_and_no_inline_script(member):
    checked = 0
    for route in own_routes():
        if route.params or not route.name:
            continue
        response = member.get(reverse(route.name))
        csp = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, route
        assert "camera=()" in response.get("Permissions-Policy", ""), route
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html), (route, INLINE_SCRIPT.search(html)[0])
            assert not INLINE_HANDLER.search(html), (route, INLINE_HANDLER.search(html)[0])
            assert "hx-on" not in html, route
            assert "<style" not in html and " style=" not in html, route
            checked += 1
    assert checked > 10


def test_htmx_is_told_not_to_inject_styles_or_eval(member):
    html = member.get(reverse("dashboard")).content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert "js/app.js" in html


def test_the_page_showing_a_new_token_is_not_stored(member):
    response = member.post(reverse("api_token_create"), {"name": "script", "scope": "read"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_hsts_is_sent_over_https_when_https_is_on(member, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = member.get(reverse("dashboard"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def _settings_with(env: dict) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "HTTPS")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x" * 50)
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.DEBUG, settings.SECURE_HSTS_SECONDS)"
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True
    )


def test_https_turns_hsts_on_and_refuses_debug():
    assert _settings_with({"HTTPS": "true"}).stdout.split() == ["False", "31536000"]
    refused = _settings_with({"HTTPS": "true", "DEBUG": "true"})
    assert refused.returncode != 0
    assert "DEBUG is for `make demo` only" in refused.stderr


def test_the_debug_page_filter_hides_connection_strings():
    from config.debug import SecretsHiddenFilter

    hidden = SecretsHiddenFilter().hidden_settings
    assert hidden.search("DATABASE_URL") and hidden.search("REDIS_URL")
