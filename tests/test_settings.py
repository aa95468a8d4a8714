import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from tests.conftest import ROOT


def load_settings(**overrides: str) -> subprocess.CompletedProcess:
    """Import the real settings module in a fresh interpreter with the given environment."""
    environment = {k: v for k, v in os.environ.items() if k not in overrides}
    environment.update({"DEBUG": "true", **overrides})
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; print(s.MAX_USERS, s.SPOTIFY_SANDBOX)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DEBUG", "maybe", "DEBUG must be one of"),
        ("MAX_USERS", "five", "MAX_USERS must be a whole number"),
        ("MAX_USERS", "0", "MAX_USERS must be at least 1"),
        ("DATABASE_URL", "mysql://db/tunekeeper", "DATABASE_URL must start with"),
        ("DATABASE_URL", "postgres://127.0.0.1:5432/", "DATABASE_URL must name a database"),
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL must start with"),
        ("SPOTIFY_API_MODE", "turbo", "SPOTIFY_API_MODE must be one of development, extended"),
        ("TOKEN_ENCRYPTION_KEY", "too-short", "TOKEN_ENCRYPTION_KEY must be"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE must be an IANA zone"),
        ("SITE_URL", "not a url", "SITE_URL must be an http(s) URL"),
        ("SPOTIFY_CALLS_PER_SECOND", "fast", "SPOTIFY_CALLS_PER_SECOND must be a number"),
    ],
)
def test_a_bad_value_stops_the_start_with_a_message_naming_the_variable(variable, value, says):
    result = load_settings(**{variable: value})
    assert result.returncode != 0
    assert says in result.stderr


def test_secret_key_is_required_when_debug_is_off():
    result = load_settings(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_defaults_need_nothing_but_python():
    result = load_settings(
        DATABASE_URL="", REDIS_URL="", SPOTIFY_CLIENT_ID="", SPOTIFY_CLIENT_SECRET=""
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5", "True"]


def test_a_client_id_leaves_sandbox_mode():
    result = load_settings(SPOTIFY_CLIENT_ID="abc123", SPOTIFY_CLIENT_SECRET="s3cret")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "False"


def test_database_url_parsing():
    parsed = env.database_from_url(
        "DATABASE_URL", "postgres://tk:p%40ss@db.local:6543/tunekeeper?sslmode=require"
    )
    assert parsed["ENGINE"] == "django.db.backends.postgresql"
    assert (parsed["USER"], parsed["PASSWORD"], parsed["HOST"], parsed["PORT"]) == (
        "tk",
        "p@ss",
        "db.local",
        "6543",
    )
    assert parsed["NAME"] == "tunekeeper"
    assert parsed["OPTIONS"] == {"sslmode": "require"}
    assert env.database_from_url("X", "sqlite:////tmp/a.db")["NAME"] == "/tmp/a.db"


def test_booleans_accept_the_usual_words(monkeypatch):
    for word, expected in [("yes", True), ("On", True), ("0", False), ("off", False)]:
        monkeypatch.setenv("SOME_FLAG", word)
        assert env.env_bool("SOME_FLAG", default=not expected) is expected
    monkeypatch.setenv("SOME_FLAG", "yep")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env.env_bool("SOME_FLAG", default=False)


def test_archive_settings_are_parsed_strictly():
    result = load_settings(ARCHIVE_MIN_MS_PLAYED="half a minute")
    assert result.returncode != 0
    assert "ARCHIVE_MIN_MS_PLAYED must be a whole number" in result.stderr
