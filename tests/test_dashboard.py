"""The dashboard: what changed since the last visit (automatic runs marked), what needs the
person (failed jobs with Retry, an outside edit, a Spotify pause), what runs next in their time
zone, and today's budget; and Activity's Retry / Cancel for any kind of job."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from core import clock
from enforcement.models import ActionBatch, BatchOrigin
from ops.jobs import JobStatus
from spotify import state
from sync import schedules
from sync.models import Outcome, Schedule, SyncEvent
from tests.archive.factories import make_user
from tests.sync.factories import owned_base, owned_child, owned_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(client):
    user = make_user("ada", time_zone="Asia/Tokyo")
    client.force_login(user)
    return user


def test_changes_since_the_last_visit_link_to_their_pages_and_mark_automatic_runs(client, ada):
    now = clock.now()
    base = owned_base(ada)
    event = owned_event(ada, base, status=JobStatus.COMPLETED, finished_at=now)
    batch = ActionBatch.objects.create(
        user=ada,
        dry_run=False,
        origin=BatchOrigin.AUTOMATIC,
        status=JobStatus.COMPLETED,
        finished_at=now,
        done=3,
    )
    mallory = make_user("mallory")
    owned_event(mallory, status=JobStatus.COMPLETED, finished_at=now)

    page = client.get(reverse("dashboard")).content.decode()
    changes = page.split('id="dash-changes"')[1].split("</section>")[0]
    assert f'href="{reverse("sync_event", args=[event.pk])}"' in changes
    assert "Sync of “Base”: completed" in changes
    automatic = re.search(
        rf'href="{reverse("enforcement_batch", args=[batch.pk])}">Automatic enforcement: '
        r"completed, 3 changes</a>\s*<span class=\"tag\">automatic</span>",
        changes,
    )
    assert automatic, changes
    assert changes.count("Sync of") == 1  # Mallory's run is not Ada's news

    # The second visit starts from the first: nothing new since then.
    page = client.get(reverse("dashboard")).content.decode()
    assert "Nothing new." in page.split('id="dash-changes"')[1]


def test_attention_lists_failures_with_retry_outside_edits_and_a_pause(client, ada):
    failed = owned_event(
        ada, status=JobStatus.FAILED, finished_at=clock.now(), error="Spotify said 500"
    )
    child = owned_child(ada, last_outcome=Outcome.STOPPED)
    child.name = "Road trip"
    child.save()
    state.persist_pause(clock.now() + timedelta(hours=2), "quota")

    page = client.get(reverse("dashboard")).content.decode()
    attention = page.split('id="dash-attention"')[1].split("</section>")[0]
    assert "Playlist sync failed: Spotify said 500" in attention
    assert f'action="{reverse("job_retry", args=[failed.public_id])}"' in attention
    assert f'href="{reverse("sync_child", args=[child.pk])}"' in attention
    assert "“Road trip” was edited outside Tunekeeper" in attention
    assert "Spotify is paused (quota)" in attention

    response = client.post(
        reverse("job_retry", args=[failed.public_id]), {"next": reverse("dashboard")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert SyncEvent.objects.get(pk=failed.pk).status == JobStatus.QUEUED
    page = client.get(reverse("dashboard")).content.decode()
    assert "Playlist sync failed" not in page


def test_scheduled_runs_show_in_the_persons_time_zone(client, ada):
    base = owned_base(ada)
    base.schedule = Schedule.DAILY
    base.save()
    schedules.apply_schedule(base)  # daily at 04:<pk % 60> server time (UTC)
    page = client.get(reverse("dashboard")).content.decode()
    upcoming = page.split('id="dash-next"')[1].split("</section>")[0]
    assert f'href="{reverse("sync_base", args=[base.pk])}"' in upcoming
    # 04:mm UTC is 13:mm in Tokyo.
    assert re.search(rf", 13:{base.pk % 60:02d}</time>", upcoming), upcoming
    assert "Asia/Tokyo" in upcoming or "JST" in upcoming


def test_the_budget_shows_the_household_total_and_the_persons_share(client, ada):
    page = client.get(reverse("dashboard")).content.decode()
    budget = page.split('id="dash-budget"')[1].split("</section>")[0]
    assert 'role="progressbar"' in budget and 'aria-valuenow="0"' in budget
    assert "0 of them yours" in budget


def test_activity_shows_times_links_and_retry_or_cancel_where_they_apply(client, ada):
    started = clock.now() - timedelta(minutes=5)
    done = owned_event(
        ada,
        status=JobStatus.COMPLETED,
        started_at=started,
        finished_at=started + timedelta(seconds=90),
    )
    failed = owned_event(ada, status=JobStatus.FAILED, finished_at=clock.now())
    queued = owned_event(ada, status=JobStatus.QUEUED)
    page = client.get(reverse("activity")).content.decode()
    assert f'href="{reverse("sync_event", args=[done.pk])}"' in page
    assert "0:01:30" in page  # the duration
    local = started.astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%H:%M") in page
    assert reverse("job_retry", args=[failed.public_id]) in page
    assert reverse("job_retry", args=[done.public_id]) not in page
    assert reverse("job_cancel", args=[queued.public_id]) in page
    assert reverse("job_cancel", args=[done.public_id]) not in page

    client.post(reverse("job_cancel", args=[queued.public_id]))
    assert SyncEvent.objects.get(pk=queued.pk).status == JobStatus.CANCELLED
    # Retrying a job that did not fail changes nothing and says why.
    response = client.post(reverse("job_retry", args=[done.public_id]), follow=True)
    assert SyncEvent.objects.get(pk=done.pk).status == JobStatus.COMPLETED
    assert "only failed jobs can be retried" in response.content.decode()


def test_job_actions_refuse_hostile_input(client, ada):
    for job_id in ("nonsense", "syncevent-999999", "user-1", "syncevent--1"):
        assert client.post(reverse("job_retry", args=[job_id])).status_code == 404
    event = owned_event(ada, status=JobStatus.FAILED)
    response = client.post(
        reverse("job_retry", args=[event.public_id]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("sync_event", args=[event.pk])


def test_retry_respects_one_job_at_a_time_and_batches_resume_through_enforcement(client, ada):
    from playlists.models import LibraryRefresh

    failed = LibraryRefresh.objects.create(
        user=ada, status=JobStatus.FAILED, finished_at=clock.now()
    )
    LibraryRefresh.objects.create(user=ada, status=JobStatus.RUNNING)
    response = client.post(reverse("job_retry", args=[failed.public_id]), follow=True)
    assert response.status_code == 200
    assert "Another library refresh is under way" in response.content.decode()
    assert LibraryRefresh.objects.get(pk=failed.pk).status == JobStatus.FAILED

    batch = ActionBatch.objects.create(
        user=ada, dry_run=False, status=JobStatus.FAILED, finished_at=clock.now()
    )
    page = client.get(reverse("activity")).content.decode()
    assert f'action="{reverse("enforcement_resume", args=[batch.pk])}"' in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'action="{reverse("enforcement_resume", args=[batch.pk])}"' in dashboard
