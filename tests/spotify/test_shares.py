"""Fair shares of the household's daily budget: each person's background work stays within
their share and pauses at it until the next day (resuming by itself); clicks keep their lane;
one person's spent share never pauses another's work; the usage page shows each person."""

from datetime import timedelta

import pytest
import responses
from django.conf import settings

from ops.jobs import JobStatus
from playlists.imports.jobs import run_import_job, start_import
from playlists.imports.parsers import parse_upload
from playlists.models import MatchStatus
from spotify import shares
from spotify.client import SpotifyClient
from spotify.errors import BudgetExhausted
from spotify.models import ApiCall, Purpose
from tests.playlists.fake_spotify import FakeSpotify
from tests.spotify.factories import connected_user

pytestmark = pytest.mark.django_db

API = settings.SPOTIFY_API_BASE_URL


@pytest.fixture
def household(django_user_model, fake_clock, settings):
    """Two people; a budget of 20 with half kept for clicks: a share of 5 each."""
    settings.SPOTIFY_DAILY_BUDGET = 20
    settings.SPOTIFY_INTERACTIVE_RESERVE = 0.5
    ada = connected_user(django_user_model, "ada", token="access-ada", expires_in=3 * 86400)
    grace = connected_user(
        django_user_model, "grace", token="access-grace", uid="acct-grace", expires_in=3 * 86400
    )
    shares.forget_all()
    return ada, grace


@responses.activate
def test_a_spent_share_pauses_only_its_owner_until_tomorrow_and_clicks_go_on(household, fake_clock):
    ada, grace = household
    responses.get(f"{API}/me", json={"id": "someone"})
    assert shares.share() == 5

    for _ in range(5):
        SpotifyClient(ada, purpose=Purpose.SYNC).current_user()
    with pytest.raises(BudgetExhausted) as paused:
        SpotifyClient(ada, purpose=Purpose.ARCHIVE).current_user()

    assert paused.value.reason == "your daily share"
    tomorrow = fake_clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert paused.value.until == tomorrow + timedelta(days=1)
    # Grace's work is not Ada's: her whole share is there.
    for _ in range(5):
        SpotifyClient(grace, purpose=Purpose.SYNC).current_user()
    # Ada's clicks keep their lane, and are not counted against her share.
    SpotifyClient(ada, purpose=Purpose.INTERACTIVE).current_user()
    assert len(responses.calls) == 11
    assert ApiCall.objects.filter(user=ada, interactive=True).count() == 1
    assert shares.used(ada.pk) == 5 and shares.used(grace.pk) == 5
    # The next budget day, Ada's background work goes on.
    fake_clock.advance((paused.value.until - fake_clock.now()).total_seconds() + 1)
    SpotifyClient(ada, purpose=Purpose.SYNC).current_user()


def test_the_shares_add_up_to_the_budget_less_the_reserve(django_user_model, settings):
    settings.SPOTIFY_DAILY_BUDGET = 1000
    settings.SPOTIFY_INTERACTIVE_RESERVE = 0.1
    for n in range(5):
        connected_user(django_user_model, f"p{n}", uid=f"acct-{n}")
    shares.forget_all()
    assert shares.share() == 180
    assert shares.share() * shares.people() <= 1000 - 100


def test_a_large_import_says_its_cost_then_pauses_at_the_share_and_resumes_the_next_day(
    household, fake_clock
):
    ada, grace = household
    fake = FakeSpotify()
    lines = [f"Artist {n} - Song {n}" for n in range(8)]  # 8 searches; the share is 5
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        job = start_import(
            ada, parse_upload("big.txt", "\n".join(lines).encode()), name="Big", file_name="b"
        )
        assert job.estimated_calls == 8
        assert "up to 8 Spotify calls, more than your daily share of 5" in job.step
        assert "about 2 days" in job.step

        job.claim()
        run_import_job(job)
        job.refresh_from_db()
        assert job.status == JobStatus.PAUSED and job.pause_reason == "your daily share"
        assert job.rows.exclude(status=MatchStatus.PENDING).count() == 5  # kept as it went
        # Grace imports the same day: Ada's spent share does not touch hers.
        theirs = start_import(
            grace, parse_upload("g.txt", b"Artist 1 - Song 1\n"), name="G", file_name="g"
        )
        theirs.claim()
        run_import_job(theirs)
        theirs.refresh_from_db()
        assert theirs.status == JobStatus.COMPLETED

        # Midnight UTC: the beat resumes the job by itself, and it finishes.
        fake_clock.advance((job.paused_until - fake_clock.now()).total_seconds() + 60)
        from ops.tasks import resume_paused_jobs

        resume_paused_jobs()
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED
        job.claim()
        run_import_job(job)
        job.refresh_from_db()
        assert job.status == JobStatus.COMPLETED
        assert not job.rows.filter(status=MatchStatus.PENDING).exists()
    assert ApiCall.objects.filter(user=ada, endpoint="GET /search").count() == 8


def test_the_usage_page_shows_each_persons_use_and_share(client, household):
    ada, grace = household
    ApiCall.objects.create(
        at=shares.clock.now(), app=settings.SPOTIFY_CLIENT_ID, user=ada, method="GET",
        endpoint="GET /me", status=200, duration_ms=1, purpose=Purpose.SYNC,
    )  # fmt: skip
    ApiCall.objects.create(
        at=shares.clock.now(), app=settings.SPOTIFY_CLIENT_ID, user=grace, method="GET",
        endpoint="GET /me", status=200, duration_ms=1, purpose=Purpose.INTERACTIVE,
        interactive=True,
    )  # fmt: skip
    client.force_login(ada)

    page = " ".join(client.get("/activity/spotify/").content.decode().split())

    assert "Each person's share today" in page
    assert "within 5 calls a day; 10 are kept for clicks" in page
    assert "<td>ada</td>" in page and "<td>grace</td>" in page
    assert '20% of the share">20%</progress> 1</td> <td>5</td><td>0</td>' in page
    assert '0% of the share">0%</progress> 0</td> <td>5</td><td>1</td>' in page
