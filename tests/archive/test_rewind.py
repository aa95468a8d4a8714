"""Rewind: a year's or a month's recap from the rollups, its coverage in words, and a read-only
share link that shows that recap and nothing else, until it is revoked."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from archive import plays, rewind
from archive.models import ListeningGap, PlaySource, RewindShare
from tests.archive.factories import make_track, make_user, track_id

pytestmark = pytest.mark.django_db

JAN = datetime(2025, 1, 6, 20, 30, tzinfo=UTC)  # a Monday, 21:30 in Berlin


def store(user, number: int, at: datetime, source=PlaySource.EXTENDED):
    with transaction.atomic():
        plays.store(
            user.pk,
            [
                plays.NewPlay(
                    track_id=track_id(number),
                    played_at=at,
                    source=source,
                    ms_played=180_000,
                    duration_ms=180_000,
                )
            ],
        )


@pytest.fixture
def year_of_music():
    return listen_through_2025()


def listen_through_2025():
    """Ada's 2025: January from her data export, polled from September, one gap."""
    ada = make_user("ada", time_zone="Europe/Berlin")
    make_track(1, artist="Portishead")
    make_track(2, artist="Portishead")
    make_track(3, artist="Björk")
    # Three days in a row in January from the export, four plays on the 7th.
    for day, count in ((0, 1), (1, 4), (2, 1)):
        for n in range(count):
            store(ada, 1 + n % 2, JAN + timedelta(days=day, minutes=5 * n))
    # Polled from September on; one gap the poller noticed.
    september = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
    store(ada, 3, september, source=PlaySource.POLL)
    store(ada, 3, september + timedelta(days=10), source=PlaySource.POLL)
    ListeningGap.objects.create(
        user=ada, start=september, end=september + timedelta(days=5), detected_at=september
    )
    store(ada, 3, datetime(2024, 12, 30, 12, tzinfo=UTC))  # last year: not in 2025's recap
    return ada


def test_a_year_recap_adds_up_and_says_what_it_covers(year_of_music):
    recap = rewind.build(year_of_music.pk, 2025)

    assert (recap.plays, recap.minutes) == (8, 8 * 3)
    assert [row.label for row in recap.top["artists"]] == ["Portishead", "Björk"]
    assert recap.top["tracks"][0].label == "Song 1"
    assert recap.discoveries == 2  # Björk's song 3 was first played in 2024
    assert (recap.longest_streak, str(recap.longest_streak_end)) == (3, "2025-01-08")
    assert recap.busiest_day == (datetime(2025, 1, 7).date(), 4)
    assert recap.busiest_hour[0] == 21  # local time, Berlin
    assert recap.coverage == [
        "Polled from Spotify since 1 September; before that from your data export.",
        "1 gap: times more than 50 plays passed between two checks, so some plays may be missing.",
    ]


def test_a_month_recap_and_an_empty_one(year_of_music):
    january = rewind.build(year_of_music.pk, 2025, 1)
    assert (january.title, january.plays, january.coverage) == (
        "January 2025",
        6,
        ["From your Spotify data export."],
    )
    assert rewind.build(year_of_music.pk, 2025, 3).plays == 0


def test_the_rewind_page_opens_on_the_last_whole_year_and_refuses_odd_periods(
    client, year_of_music, fake_clock
):
    client.force_login(year_of_music)

    page = client.get(reverse("history_rewind")).content.decode()
    assert "Rewind 2025" in page and "minutes listened" in page
    assert client.get(reverse("history_rewind_month", args=[2025, 1])).status_code == 200
    assert client.get(reverse("history_rewind_month", args=[2025, 13])).status_code == 404
    assert client.get(reverse("history_rewind_year", args=[1999])).status_code == 404
    assert client.get("/history/rewind/99999999999999999999/").status_code == 404


def test_a_share_link_shows_the_recap_logged_out_and_nothing_after_revoking(client, year_of_music):
    client.force_login(year_of_music)
    response = client.post(reverse("history_rewind_share", args=[2025]), follow=True)
    link = RewindShare.objects.get(user=year_of_music)
    url = reverse("rewind_shared", args=[link.token])
    assert url in response.content.decode()
    # A second click shows the same link rather than making another.
    client.post(reverse("history_rewind_share", args=[2025]))
    assert RewindShare.objects.filter(user=year_of_music).count() == 1

    stranger = Client()
    shared = stranger.get(url)
    text = shared.content.decode()
    assert shared.status_code == 200
    assert "ada's 2025 in music" in text and "Portishead" in text
    assert shared["X-Robots-Tag"] == "noindex"
    # Nothing else of the account: no navigation into it, no other period, no share controls.
    assert "/library/" not in text and "Revoke" not in text and "/history/rewind/" not in text
    assert stranger.get(reverse("history_rewind_year", args=[2025])).status_code == 302

    client.post(reverse("history_rewind_revoke", args=[link.pk]))
    assert stranger.get(url).status_code == 404


def test_only_the_owner_revokes_and_csrf_is_required(client, year_of_music):
    link = rewind.share(year_of_music, 2025, None)
    mallory = make_user("mallory")
    client.force_login(mallory)
    assert client.post(reverse("history_rewind_revoke", args=[link.pk])).status_code == 404
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(year_of_music)
    assert guarded.post(reverse("history_rewind_revoke", args=[link.pk])).status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None
