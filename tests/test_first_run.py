"""A new person connects Spotify and their library and history start arriving by themselves;
History's Check now asks Spotify at once, on the interactive lane, at most once a minute."""

import pytest
from celery import current_app
from django.contrib.auth import get_user_model
from django.urls import reverse

from archive.models import PlayEvent, PollOutcome, PollRun
from archive.tasks import check_history_now_task
from ops.jobs import JobStatus
from playlists.models import LibraryRefresh, Playlist
from sandbox.spotify.seed import seed_library
from tests.conftest import login_through_sandbox, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def first_run_on(settings):
    settings.START_FIRST_RUN_JOBS = True
    settings.SPOTIFY_CALLS_PER_SECOND = 1000


@pytest.fixture
def ada_library(sandbox_users):
    ada = sandbox_users[0]
    seed_library(
        ada, tracks=60, playlists=[12, 20], liked=10, saved_albums=1, followed_artists=3, plays=7
    )
    return ada


def test_connecting_spotify_queues_the_first_refresh_and_history_check_and_shows_them(
    client, sandbox_site, ada_library, first_run_on, sent_tasks
):
    login_through_sandbox(client, ada_library)
    user = get_user_model().objects.get()

    refresh = LibraryRefresh.objects.get(user=user)
    assert refresh.status == JobStatus.QUEUED
    assert sorted(name for name, *_ in sent_tasks) == [
        "archive.tasks.check_history_now_task",
        "playlists.tasks.refresh_library_task",
    ]
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Fetching your library from Spotify" in dashboard
    assert f'hx-get="{reverse("library_job", args=["refresh", refresh.pk])}"' in dashboard
    assert "being checked now" in dashboard


def test_logging_in_again_starts_nothing_new(
    client, sandbox_site, ada_library, first_run_on, sent_tasks
):
    login_through_sandbox(client, ada_library)
    LibraryRefresh.objects.update(status=JobStatus.COMPLETED)
    client.logout()
    sent_tasks.clear()
    login_through_sandbox(client, ada_library)
    assert LibraryRefresh.objects.count() == 1
    assert sent_tasks == []


@pytest.mark.worker
def test_a_new_connection_reaches_a_refreshed_library_and_checked_history_on_a_worker(
    client, sandbox_site, ada_library, first_run_on, monkeypatch, request
):
    monkeypatch.setenv("SANDBOX_BASE_URL", f"{sandbox_site.url}/sandbox-spotify")
    monkeypatch.setenv("SPOTIFY_CALLS_PER_SECOND", "1000")
    request.getfixturevalue("celery_worker_process")

    login_through_sandbox(client, ada_library)  # the only click: Connect
    user = get_user_model().objects.get()

    wait_for(
        lambda: not LibraryRefresh.objects.get(user=user).is_active,
        timeout=120,
        message="the first refresh",
    )
    refresh = LibraryRefresh.objects.get(user=user)
    assert refresh.status == JobStatus.COMPLETED, refresh.error
    assert Playlist.objects.filter(user=user, mirrored_snapshot_id__gt="").count() == 2
    check = wait_for(
        lambda: PollRun.objects.filter(user=user).exclude(outcome=PollOutcome.RUNNING).first(),
        timeout=60,
        message="the first history check",
    )
    assert (check.outcome, check.stored) == (PollOutcome.OK, 7)
    assert PlayEvent.objects.filter(user=user).count() == 7


def test_check_now_asks_spotify_once_a_minute_at_most(
    client, sandbox_site, ada_library, settings, sent_tasks
):
    settings.SPOTIFY_CALLS_PER_SECOND = 1000
    login_through_sandbox(client, ada_library)
    user = get_user_model().objects.get()
    page = client.get(reverse("history")).content.decode()
    assert f'action="{reverse("history_check_now")}"' in page

    response = client.post(reverse("history_check_now"), follow=True)
    assert "Checking Spotify for your recent plays now." in response.content.decode()
    [(name, args, queue)] = sent_tasks
    assert (name, args[0], queue) == (
        "archive.tasks.check_history_now_task",
        user.pk,
        "interactive",
    )

    check_history_now_task(*sent_tasks[0][1])  # what the worker runs for that click
    run = PollRun.objects.get(user=user)
    assert (run.outcome, run.calls, run.stored) == (PollOutcome.OK, 1, 7)

    sent_tasks.clear()
    response = client.post(reverse("history_check_now"), follow=True)
    assert sent_tasks == []
    assert "Checked less than a minute ago" in response.content.decode()
    assert PollRun.objects.filter(user=user).count() == 1


def test_check_now_takes_the_interactive_queue():
    route = current_app.amqp.router.route({}, check_history_now_task.name)
    assert route["queue"].name == "interactive"


def test_check_now_refuses_a_get_and_an_anonymous_post(client):
    assert client.get(reverse("history_check_now")).status_code == 405
    response = client.post(reverse("history_check_now"))
    assert response.status_code == 302 and "next=/history/check-now/" in response["Location"]
    assert PollRun.objects.count() == 0
