from datetime import timedelta

import pytest

from core import clock
from spotify import state
from spotify.models import ApiCall, Purpose

pytestmark = pytest.mark.django_db


def ledger_row(**fields):
    defaults = {
        "at": clock.now(),
        "app": state.app_id(),
        "method": "GET",
        "endpoint": "GET /me/tracks",
        "status": 200,
        "duration_ms": 40,
        "purpose": Purpose.LIBRARY,
    }
    return ApiCall.objects.create(**{**defaults, **fields})


def test_the_usage_page_shows_budget_use_per_purpose_and_endpoint(
    client, django_user_model, settings, fake_clock
):
    settings.SPOTIFY_DAILY_BUDGET = 10
    client.force_login(django_user_model.objects.create(username="ada"))
    for _ in range(3):
        ledger_row()
    ledger_row(
        endpoint="GET /playlists/{id}/items", purpose=Purpose.SYNC, status=429, retry_after=4
    )
    page = client.get("/activity/spotify/").content.decode()
    assert "<strong>4</strong> of 10 calls" in page
    assert "GET /playlists/{id}/items" in page
    assert "Rate-limited answers (429) today: 1" in page


def test_the_banner_says_until_when_spotify_is_paused_and_why(
    client, django_user_model, fake_clock
):
    client.force_login(django_user_model.objects.create(username="ada"))
    state.persist_pause(
        fake_clock.now().replace(hour=14, minute=5) + timedelta(days=1), "daily quota"
    )
    page = client.get("/dashboard/").content.decode()
    assert "Spotify paused until 14:05 (daily quota)" in page


def test_the_usage_page_needs_a_login(client):
    assert client.get("/activity/spotify/").status_code == 302


def test_the_forecast_waits_until_the_day_has_a_pace(client, django_user_model, settings):
    """31 minutes after midnight, 260 calls are not "about 12,000 by midnight"."""
    from datetime import UTC, datetime

    fake = clock.FakeClock(datetime(2026, 11, 24, 0, 31, tzinfo=UTC))
    clock.use(fake)
    try:
        settings.SPOTIFY_DAILY_BUDGET = 15000
        client.force_login(django_user_model.objects.create(username="ada"))
        for _ in range(260):
            ledger_row()
        page = client.get("/activity/spotify/").content.decode()
        assert "too early in the day (UTC) for a forecast" in page
        assert "on course for" not in page
        fake.advance(11 * 3600 + 29 * 60)  # noon: 260 calls in 12 hours → about 520 by midnight
        state.forget()
        page = client.get("/activity/spotify/").content.decode()
        assert "on course for about 520 by midnight UTC" in page
    finally:
        state.forget()  # while the fake day is "today": its cached count goes too
        clock.reset()
