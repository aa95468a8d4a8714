"""Settings for the test suite: the real settings, plus a throwaway key, a fast hasher and
isolation from a demo running on the same machine (own SQLite file, queue folder, Redis prefix).

A Celery worker started by the tests runs with TUNEKEEPER_USE_TEST_DATABASE=1 so it opens the
test database the test run created, not the developer's own.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# The tests run with DEBUG off and need the sandboxes (config/sandboxes.py).
os.environ.setdefault("SANDBOX", "true")

from config.env import env_float
from config.settings import *  # noqa: F403
from config.settings import (
    CACHES,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_QUEUE_DIR,
    DATABASES,
    REDIS_URL,
    VAR_DIR,
)

# Enrichment tests speak to musicbrainz.org through `responses` and set MUSICBRAINZ_CONTACT
# themselves; the MusicBrainz sandbox's tests point MUSICBRAINZ_BASE_URL at the live server.
MUSICBRAINZ_BASE_URL = "https://musicbrainz.org/ws/2"
MUSICBRAINZ_CONTACT = ""
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks that exist only for the tests (the test worker runs with these settings).
CELERY_IMPORTS = ("tests.e2e.fixture_tasks",)
# Most tests log in through the sandbox to set a scene and count the calls they make; the
# first-run jobs (tests/test_first_run.py turns them on) would add their own.
START_FIRST_RUN_JOBS = False
# Tests that are about pacing set their own rate (a worker they start gets it through
# TUNEKEEPER_TEST_CALLS_PER_SECOND); the rest should not wait for it.
SPOTIFY_CALLS_PER_SECOND = env_float("TUNEKEEPER_TEST_CALLS_PER_SECOND", 1000.0, minimum=0.01)

_database = DATABASES["default"]
if _database["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a real worker process can open the test database too.
    _database["TEST"] = {"NAME": str(VAR_DIR / "test_tunekeeper.sqlite3")}
    _test_name = _database["TEST"]["NAME"]
else:
    _test_name = f"test_{_database['NAME']}"
if os.environ.get("TUNEKEEPER_USE_TEST_DATABASE") == "1":
    _database["NAME"] = _test_name

# Parallel test runs on one machine set TUNEKEEPER_VAR_DIR (own SQLite file and queue folder),
# their own DATABASE_URL name and this suffix (own Redis keys).
_isolation = os.environ.get("TUNEKEEPER_TEST_ISOLATION", "")
if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = f"tktest{_isolation}"
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"tktest{_isolation}:"
else:
    _queue = CELERY_QUEUE_DIR.parent / "test-celery"
    for _folder in ("queue", "processed", "control"):
        (_queue / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_queue / "queue"),
        data_folder_out=str(_queue / "queue"),
        processed_folder=str(_queue / "processed"),
        control_folder=str(_queue / "control"),
    )
