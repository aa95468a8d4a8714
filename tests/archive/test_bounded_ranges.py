"""Stats ranges are clamped to what the archive holds, charts have a bounded number of bars,
and a cache entry past the size limit is not stored (issue 19)."""

from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from archive import stats, views
from archive.models import PlaySource
from archive.plays import NewPlay, store
from tests.archive.factories import make_track, make_user, track_id

pytestmark = pytest.mark.django_db


def test_a_range_is_clamped_to_the_first_play_and_today():
    first, today = date(2020, 5, 1), date(2026, 12, 2)
    assert stats.held_range(date(2000, 1, 1), date(2100, 12, 31), first, today) == (first, today)
    assert stats.held_range(date(2000, 1, 1), date(2001, 1, 1), first, today) == (
        date(2001, 1, 1),
        date(2001, 1, 1),
    )


def test_per_day_bars_become_weeks_then_months_past_the_cap():
    assert stats.capped_grouping("day", 300) == "day"
    assert stats.capped_grouping("day", 1000) == "week"
    assert stats.capped_grouping("day", 40_000) == "month"


def test_the_stats_page_for_a_century_counts_only_the_archived_days(client):
    user = make_user()
    make_track(1)
    with transaction.atomic():
        store(user.pk, [NewPlay(track_id(1), datetime(2025, 6, 1, tzinfo=UTC), PlaySource.POLL)])
    client.force_login(user)
    response = client.get(
        reverse("history_stats"),
        {"range": "custom", "start": "0002-01-01", "end": "9998-12-31", "by": "day"},
    )
    assert response.status_code == 200
    assert response.context["period"].start == date(2025, 6, 1)
    assert response.context["period"].days < 1000
    assert len(response.content) < 2_000_000


def test_an_oversized_cache_entry_is_not_stored():
    cache.delete("hostile:small")
    cache.delete("hostile:big")
    assert views._cache_bounded("hostile:small", {"a": 1}, 60)
    assert not views._cache_bounded("hostile:big", "x" * (views.MAX_CACHE_ENTRY_BYTES + 1), 60)
    assert cache.get("hostile:big") is None
