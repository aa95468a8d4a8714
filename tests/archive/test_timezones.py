"""Stats are in the user's time zone, DST included; a new zone recounts the rollups."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from archive import rollups, stats
from archive.models import HistoryProfile, HourlyListening, MonthlyTrackPlays, PlaySource
from archive.plays import NewPlay, store
from tests.archive.factories import make_track, make_user

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _store(user, track, moments, ms=60_000):
    with transaction.atomic():
        store(
            user.pk,
            [
                NewPlay(track_id=track, played_at=m, source=PlaySource.EXTENDED, ms_played=ms)
                for m in moments
            ],
        )


def _hours(user):
    return {
        (row.day, row.hour): row.plays
        for row in HourlyListening.objects.filter(user=user).order_by("day", "hour")
    }


def test_plays_land_in_the_local_hour_on_both_dst_changes():
    user = make_user(time_zone="Europe/Berlin")
    track = make_track(1)
    spring = datetime(2025, 3, 30, tzinfo=UTC)  # 02:00 CET jumps to 03:00 CEST
    autumn = datetime(2025, 10, 26, tzinfo=UTC)  # 03:00 CEST falls back to 02:00 CET
    _store(
        user,
        track,
        [
            spring + timedelta(minutes=30),  # 01:30 CET
            spring + timedelta(hours=1, minutes=30),  # 03:30 CEST: 02:xx never happened
            autumn + timedelta(minutes=30),  # 02:30 CEST
            autumn + timedelta(hours=1, minutes=30),  # 02:30 CET, the second 02:30
        ],
    )
    assert _hours(user) == {
        (date(2025, 3, 30), 1): 1,
        (date(2025, 3, 30), 3): 1,
        (date(2025, 10, 26), 2): 2,
    }


def test_a_late_evening_utc_play_counts_on_the_next_local_day_and_month():
    user = make_user(time_zone="Europe/Berlin")
    track = make_track(1)
    _store(user, track, [datetime(2025, 6, 30, 22, 30, tzinfo=UTC)])  # 00:30 on 1 July
    assert _hours(user) == {(date(2025, 7, 1), 0): 1}
    assert MonthlyTrackPlays.objects.get(user=user).month == date(2025, 7, 1)

    june = stats.Range(date(2025, 6, 1), date(2025, 6, 30), BERLIN)
    july = stats.Range(date(2025, 7, 1), date(2025, 7, 31), BERLIN)
    assert stats.totals(user.pk, june)["plays"] == 0
    assert stats.totals(user.pk, july)["plays"] == 1
    assert stats.top_lists(user.pk, june)["tracks"] == []
    assert [row.plays for row in stats.top_lists(user.pk, july)["tracks"]] == [1]


def test_top_lists_agree_whether_a_month_is_whole_or_cut_at_local_midnight():
    user = make_user(time_zone="Europe/Berlin")
    track = make_track(1)
    # 31 May 22:30 UTC is already 1 June in Berlin; 15 June 22:30 UTC is 16 June.
    _store(
        user,
        track,
        [datetime(2025, 5, 31, 22, 30, tzinfo=UTC), datetime(2025, 6, 15, 22, 30, tzinfo=UTC)],
    )
    whole_june = stats.Range(date(2025, 6, 1), date(2025, 6, 30), BERLIN)
    first_half = stats.Range(date(2025, 6, 1), date(2025, 6, 15), BERLIN)
    whole_months, edges = stats.split_range(whole_june)
    assert (whole_months, edges) == ((date(2025, 6, 1), date(2025, 6, 1)), [])
    assert stats.split_range(first_half)[0] is None  # read from the plays themselves
    assert stats.top_lists(user.pk, whole_june)["tracks"][0].plays == 2
    assert stats.top_lists(user.pk, first_half)["tracks"][0].plays == 1


def test_local_midnight_on_a_dst_day_is_the_right_instant():
    period = stats.Range(date(2025, 3, 30), date(2025, 3, 30), BERLIN)
    low, high = period.utc_bounds()
    assert low == datetime(2025, 3, 29, 23, 0, tzinfo=UTC)
    assert high == datetime(2025, 3, 30, 22, 0, tzinfo=UTC)  # a 23-hour day


def test_a_new_time_zone_recounts_the_rollups():
    user = make_user(time_zone="UTC")
    track = make_track(1)
    _store(user, track, [datetime(2025, 1, 1, 3, 0, tzinfo=UTC)])
    assert _hours(user) == {(date(2025, 1, 1), 3): 1}

    HistoryProfile.objects.filter(user=user).update(time_zone="America/Los_Angeles")
    assert rollups.rebuild(user.pk) == 1
    assert _hours(user) == {(date(2024, 12, 31), 19): 1}
    profile = HistoryProfile.objects.get(user=user)
    assert profile.rollup_time_zone == "America/Los_Angeles"


def test_streaks_count_local_days_in_a_row():
    user = make_user(time_zone="Europe/Berlin")
    track = make_track(1)
    days = [datetime(2025, 4, d, 12, tzinfo=UTC) for d in (1, 2, 3, 5, 6)]
    _store(user, track, days)
    result = stats.streaks(user.pk, today=date(2025, 4, 7))
    assert (result.longest, result.longest_end, result.current) == (3, date(2025, 4, 3), 2)
    assert stats.streaks(user.pk, today=date(2025, 4, 9)).current == 0
