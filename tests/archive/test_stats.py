"""Top lists read rollups three ways (months + ends, all-time totals, totals minus the rest):
each must agree with counting the plays themselves."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from archive import stats
from archive.models import PlayEvent, PlaySource
from archive.plays import NewPlay, store
from tests.archive.factories import make_track, make_user

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def year_of_plays():
    user = make_user(time_zone="America/New_York")
    tracks = [make_track(n) for n in range(6)]
    rng = random.Random(3)
    moment = datetime(2024, 1, 1, 5, tzinfo=UTC)
    plays = []
    while moment < datetime(2025, 1, 1, 5, tzinfo=UTC):
        plays.append(
            NewPlay(
                rng.choice(tracks),
                moment,
                PlaySource.EXTENDED,
                ms_played=rng.randint(1, 9) * 60_000,
            )
        )
        moment += timedelta(hours=rng.randint(5, 30))
    with transaction.atomic():
        store(user.pk, plays)
    return user


def counted(user, start: date, end: date) -> Counter:
    low, high = stats.Range(start, end, ZONE).utc_bounds()
    return Counter(
        PlayEvent.objects.filter(user=user, played_at__gte=low, played_at__lt=high).values_list(
            "track__name", flat=True
        )
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 1, 1), date(2024, 12, 31)),  # all of it: the totals alone
        (date(2024, 2, 15), date(2024, 12, 31)),  # most of it: totals minus the start
        (date(2024, 1, 10), date(2024, 11, 20)),  # totals minus both ends
        (date(2024, 3, 1), date(2024, 5, 31)),  # whole months
        (date(2024, 3, 17), date(2024, 4, 2)),  # days only
        (date(2023, 6, 1), date(2025, 6, 1)),  # wider than the history
    ],
)
def test_top_tracks_match_the_plays(year_of_plays, start, end):
    expected = counted(year_of_plays, start, end)
    rows = stats.top_lists(year_of_plays.pk, stats.Range(start, end, ZONE))["tracks"]
    assert {row.label: row.plays for row in rows} == dict(expected)
    artists = stats.top_lists(year_of_plays.pk, stats.Range(start, end, ZONE))["artists"]
    assert [(row.label, row.plays) for row in artists] == [("Artist", sum(expected.values()))]


def test_an_empty_range_has_empty_lists(year_of_plays):
    period = stats.Range(date(2030, 1, 1), date(2030, 2, 1), ZONE)
    assert stats.top_lists(year_of_plays.pk, period) == {
        "tracks": [],
        "artists": [],
        "albums": [],
        "genres": [],
    }


def test_hide_blocked_artists_leaves_their_tracks_out_of_the_top_lists(year_of_plays):
    from enforcement.models import BlockEntry, Blocklist, EntryKind, EntrySource
    from playlists.models import Track
    from tests.archive.factories import api_track

    blocked = api_track(0, artist="Banned")["artists"][0]["id"]
    # A track by the blocked artist, played once.
    make_track(50, artist="Banned")
    with transaction.atomic():
        store(
            year_of_plays.pk,
            [
                NewPlay(
                    Track.objects.get(name="Song 50").id,
                    datetime(2024, 6, 1, 12, tzinfo=UTC),
                    "poll",
                )
            ],
        )
    blocklist = Blocklist.objects.create(user=year_of_plays, name="Mine")
    BlockEntry.objects.create(
        blocklist=blocklist,
        kind=EntryKind.ARTIST,
        spotify_id=blocked,
        name="Banned",
        source=EntrySource.LINK,
    )
    period = stats.Range(date(2024, 1, 1), date(2024, 12, 31), ZONE)

    shown = stats.top_lists(year_of_plays.pk, period)
    hidden = stats.top_lists(year_of_plays.pk, period, hide_blocked=True)
    assert "Banned" in [row.label for row in shown["artists"]]
    assert "Banned" not in [row.label for row in hidden["artists"]]
    assert "Song 50" not in [row.label for row in hidden["tracks"]]
    assert [row.label for row in hidden["artists"]] == ["Artist"]
