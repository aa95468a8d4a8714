"""Redis unreachable (restarting, or gone): Spotify work carries on safely. Pacing falls back to
the process's own schedule, the cache-held breaker and budget fall back to safe defaults, the
persisted pause still holds (it lives in the database), and no write is sent twice."""

from datetime import timedelta

import pytest

from bench.scenarios.common import connect
from core import pacing as core_pacing
from sandbox.spotify import mutations
from spotify import state
from spotify.errors import QuotaExceeded
from sync.engine import sync_base
from tests.chaos.scenes import base_with_one_child, child_uris, every_base_track_once

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def redis_gone(settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }
    settings.REDIS_URL = DEAD_REDIS
    monkeypatch.setattr(core_pacing, "_redis_client", None)
    yield
    core_pacing._redis_client = None


def test_a_sync_with_redis_unreachable_completes_and_writes_nothing_twice(
    sandbox_site, sandbox_users, redis_gone
):
    _, base, remote = base_with_one_child(sandbox_users[0], items=300, tracks=400)

    event, _ = sync_base(base)

    assert event.status == "completed", event.error
    assert child_uris(base) == every_base_track_once(remote)
    assert mutations.duplicates() == []


def test_the_persisted_pause_holds_while_redis_is_unreachable(
    sandbox_site, sandbox_users, redis_gone, fake_clock
):
    from spotify.client import SpotifyClient

    user = connect(sandbox_users[0])
    state.persist_pause(fake_clock.now() + timedelta(hours=20), "daily quota")
    with pytest.raises(QuotaExceeded):
        SpotifyClient(user, purpose="sync").current_user()
