import json
import logging
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from config.tasks import beat_heartbeat
from core.logs import JobContextFilter, JsonFormatter, job_context
from ops import health
from ops.health import BEAT_HEARTBEAT_KEY, WORKER_HEARTBEAT_KEY
from ops.models import DeadLetter

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part_and_nothing_private(client):
    beat_heartbeat()  # as a worker runs it
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ok", "database", "redis", "broker", "worker", "beat"}
    assert body["database"] is True and body["broker"] is True


def stamp(key: str, seconds_ago: int) -> None:
    cache.set(key, (timezone.now() - timedelta(seconds=seconds_ago)).isoformat(), timeout=None)


def test_healthz_says_not_ok_when_no_worker_took_work_recently(client, settings):
    settings.WORKER_STALE_SECONDS = 180
    cache.delete(WORKER_HEARTBEAT_KEY)
    never = client.get("/healthz")
    assert never.status_code == 503
    assert never.json()["worker"] == {"seconds_since_heartbeat": None, "ok": False}

    # Beat ticks on time, but no worker ran its heartbeat for 10 minutes: the worker is
    # wedged, and it is the worker that is blamed, not beat.
    stamp(BEAT_HEARTBEAT_KEY, 20)
    stamp(WORKER_HEARTBEAT_KEY, 600)
    wedged = client.get("/healthz").json()
    assert wedged["ok"] is False and wedged["worker"]["ok"] is False
    assert wedged["worker"]["seconds_since_heartbeat"] >= 600
    assert wedged["beat"]["ok"] is True

    beat_heartbeat()  # a worker ran a task just now
    fresh = client.get("/healthz")
    assert fresh.status_code == 200
    assert fresh.json()["worker"]["ok"] is True and fresh.json()["ok"] is True


def test_a_late_beat_is_blamed_on_beat_not_on_the_worker(client):
    stamp(BEAT_HEARTBEAT_KEY, 900)
    stamp(WORKER_HEARTBEAT_KEY, 30)
    body = client.get("/healthz").json()
    assert body["beat"]["ok"] is False and body["worker"]["ok"] is True


def test_a_running_job_with_a_fresh_heartbeat_shows_a_busy_worker_alive(client, django_user_model):
    """A one-task worker busy with a long job starts no heartbeat task; the job's own
    heartbeat says it is alive."""
    from playlists.models import LibraryRefresh

    stamp(WORKER_HEARTBEAT_KEY, 900)
    user = django_user_model.objects.create(username="ada")
    job = LibraryRefresh.objects.create(user=user, step="Queued")
    assert client.get("/healthz").status_code == 503
    job.start(step="Reading")  # running, heartbeat now
    body = client.get("/healthz").json()
    assert body["worker"]["ok"] is True and body["worker"]["seconds_since_heartbeat"] < 60


def test_publishing_the_beat_heartbeat_stamps_beat_even_when_no_worker_runs_it(settings):
    """Beat's tick is stamped when beat sends the task, in beat's process."""
    from ops.celery_signals import stamp_beat

    cache.delete(BEAT_HEARTBEAT_KEY)
    stamp_beat(sender="config.tasks.beat_heartbeat")
    assert 0 <= health.beat_seconds_since_tick() < 5
    cache.delete(BEAT_HEARTBEAT_KEY)
    stamp_beat(sender="sync.tasks.sync_task")  # any other task is not beat's tick
    assert health.beat_seconds_since_tick() is None


def test_healthz_reports_a_stopped_redis_as_unhealthy(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: a stopped Redis
    beat_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] is False and response.json()["ok"] is False


def test_the_operator_page_is_for_staff_only(client, django_user_model, admin_client):
    assert client.get("/ops/").status_code == 302
    client.force_login(django_user_model.objects.create(username="ada"))
    assert client.get("/ops/").status_code == 302
    page = admin_client.get("/ops/").content.decode()
    assert "Workers online" in page and "Schedules" in page and "Failures in the last 24 h" in page


def test_every_admin_changelist_opens_for_staff_and_refuses_everyone_else(
    admin_client, client, django_user_model
):
    client.force_login(django_user_model.objects.create(username="ada"))
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        assert client.get(url).status_code == 302, url


def test_discarding_dead_letters(admin_client):
    letter = DeadLetter.objects.create(task_id="t1", task_name="x.y", error="boom")
    admin_client.post(
        "/admin/ops/deadletter/", {"action": "discard", "_selected_action": [letter.pk]}
    )
    assert not DeadLetter.objects.exists()


def test_lifting_a_spotify_pause_from_admin(admin_client, fake_clock):
    from datetime import timedelta

    from spotify import state
    from spotify.models import AppState

    state.persist_pause(fake_clock.now() + timedelta(hours=20), "daily quota")
    row = AppState.objects.get()
    admin_client.post(
        "/admin/spotify/appstate/", {"action": "lift_pause", "_selected_action": [row.pk]}
    )
    assert state.current_pause() is None


def test_json_logs_carry_the_job_context():
    record = logging.LogRecord("sync", logging.INFO, __file__, 1, "wrote %s items", (12,), None)
    with job_context(job_id="sync-9", user_id=7, purpose="sync"):
        JobContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "wrote 12 items"
    assert (line["job_id"], line["user_id"], line["purpose"]) == ("sync-9", 7, "sync")


def test_admin_pauses_resumes_and_forces_a_reconnect(admin_client, django_user_model):
    from spotify.models import Connection

    connection = Connection.objects.create(user=django_user_model.objects.create(username="ada"))
    changelist = "/admin/spotify/connection/"
    admin_client.post(changelist, {"action": "pause_jobs", "_selected_action": [connection.pk]})
    connection.refresh_from_db()
    assert connection.jobs_paused_at is not None
    admin_client.post(changelist, {"action": "resume_jobs", "_selected_action": [connection.pk]})
    connection.refresh_from_db()
    assert connection.jobs_paused_at is None
    admin_client.post(
        changelist, {"action": "force_reconnect", "_selected_action": [connection.pk]}
    )
    connection.refresh_from_db()
    assert connection.needs_reconnect


def test_approving_a_waitlist_entry_from_admin(admin_client):
    from spotify.models import WaitlistEntry

    entry = WaitlistEntry.objects.create(spotify_id="grace", display_name="Grace")
    admin_client.post(
        "/admin/spotify/waitlistentry/", {"action": "approve", "_selected_action": [entry.pk]}
    )
    entry.refresh_from_db()
    assert entry.approved


def test_every_project_task_is_routed_to_one_of_the_three_queues():
    from config.celery import app

    app.loader.import_default_modules()
    ours = [
        name
        for name in app.tasks
        if name.split(".")[0]
        in {"playlists", "sync", "enforcement", "archive", "downloads", "ops", "config"}
    ]
    assert len(ours) >= 15
    queues = {name: app.amqp.router.route({}, name)["queue"].name for name in ours}
    assert set(queues.values()) <= {"interactive", "default", "bulk"}, queues
    assert queues["playlists.tasks.refresh_library_task"] == "bulk"


def test_admin_marks_a_stale_sync_failed(admin_client, django_user_model):
    from tests.sync.factories import owned_event

    event = owned_event(django_user_model.objects.create(username="ada"), status="running")
    admin_client.post(
        "/admin/sync/syncevent/", {"action": "mark_failed", "_selected_action": [event.pk]}
    )
    event.refresh_from_db()
    assert event.status == "failed" and "operator" in event.error


def test_admin_retries_a_failed_batch_and_rolls_back_a_finished_one(
    admin_client, django_user_model
):
    from enforcement.models import ActionBatch, ActionItem, ItemKind, ItemStatus
    from tests.enforcement.factories import finished_batch

    ada = django_user_model.objects.create(username="ada")
    failed = ActionBatch.objects.create(
        user=ada, dry_run=False, status="failed", error="Spotify down"
    )
    admin_client.post(
        "/admin/enforcement/actionbatch/",
        {"action": "retry_batches", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == "queued"

    ActionBatch.objects.filter(pk=failed.pk).update(status="completed")
    done = finished_batch(django_user_model.objects.create(username="grace"))
    ActionItem.objects.create(
        batch=done,
        kind=ItemKind.LIKED_TRACK,
        uri="spotify:track:0123456789abcdefghijAB",
        status=ItemStatus.DONE,
    )
    admin_client.post(
        "/admin/enforcement/actionbatch/",
        {"action": "roll_back_batches", "_selected_action": [done.pk]},
    )
    assert done.rollbacks.count() == 1


def test_lost_jobs_are_those_queued_or_silent_for_too_long_and_not_plans_or_live_ones(
    django_user_model, fake_clock
):
    from datetime import timedelta

    from archive.models import ImportJob
    from downloads.models import DownloadRun
    from enforcement.models import ActionBatch
    from ops.jobs import JobStatus
    from ops.tasks import lost_jobs
    from playlists.models import Enrichment, LibraryRefresh, PlaylistImport
    from sync.models import BasePlaylist, SyncEvent

    ada, grace, alan = (
        django_user_model.objects.create(username=name) for name in ("ada", "grace", "alan")
    )
    now = fake_clock.now()
    long_ago = now - timedelta(hours=1)
    lost = LibraryRefresh.objects.create(user=ada, created_at=long_ago)
    # Queued just now: its message is on its way.
    LibraryRefresh.objects.create(user=grace, created_at=now)
    # Requeued long ago (e.g. after a dropped database connection), never claimed since.
    requeued = Enrichment.objects.create(
        user=ada, created_at=long_ago, started_at=long_ago, heartbeat_at=long_ago
    )
    # Running, its worker silent: it died, or lost the database before it could say so.
    silent = PlaylistImport.objects.create(
        user=ada, status=JobStatus.RUNNING, created_at=long_ago, heartbeat_at=long_ago
    )
    Enrichment.objects.create(  # running and alive
        user=grace, status=JobStatus.RUNNING, created_at=long_ago, heartbeat_at=now
    )
    ActionBatch.objects.create(user=ada, created_at=long_ago, dry_run=True)  # a plan
    # A download run is "running" while its downloads go on, each with its own tasks.
    DownloadRun.objects.create(
        user=alan, status=JobStatus.RUNNING, created_at=long_ago, heartbeat_at=long_ago
    )

    # Each kind by its own limit, a multiple of its heartbeat: 90 s of silence is lost for an
    # import (a heartbeat every few seconds), not yet for a sync (one per page or write).
    ninety_seconds_ago = now - timedelta(seconds=90)
    assert ImportJob.lost_after() < timedelta(seconds=90) < SyncEvent.lost_after()
    silent_import = ImportJob.objects.create(
        user=alan,
        status=JobStatus.RUNNING,
        created_at=long_ago,
        heartbeat_at=ninety_seconds_ago,
        min_ms_played=30000,
    )
    base = BasePlaylist.objects.create(user=alan, spotify_id="b" * 22, name="Base")
    SyncEvent.objects.create(
        user=alan,
        base=base,
        status=JobStatus.RUNNING,
        created_at=long_ago,
        heartbeat_at=ninety_seconds_ago,
    )

    assert sorted(lost_jobs()) == [
        ("archive.tasks.run_import", silent_import.pk),
        ("playlists.tasks.enrich_task", requeued.pk),
        ("playlists.tasks.import_task", silent.pk),
        ("playlists.tasks.refresh_library_task", lost.pk),
    ]


def test_a_paused_job_is_queued_again_once_its_pause_has_passed_and_not_before(
    django_user_model, fake_clock
):
    from datetime import timedelta

    from ops.jobs import JobStatus
    from ops.tasks import resume_paused_jobs
    from playlists.models import LibraryRefresh

    job = LibraryRefresh.objects.create(
        user=django_user_model.objects.create(username="ada"),
        status=JobStatus.PAUSED,
        paused_until=fake_clock.now() + timedelta(hours=20),
        pause_reason="daily quota",
    )

    assert resume_paused_jobs() == 0
    job.refresh_from_db()
    assert job.status == JobStatus.PAUSED

    fake_clock.advance(20 * 3600)
    assert resume_paused_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.paused_until, job.pause_reason) == (JobStatus.QUEUED, None, "")


def test_the_operator_page_says_which_of_worker_and_beat_is_late(admin_client):
    stamp(BEAT_HEARTBEAT_KEY, 20)
    stamp(WORKER_HEARTBEAT_KEY, 900)
    page = admin_client.get("/ops/").content.decode()
    assert "Worker: <strong>NOT OK</strong> (wedged or stopped), last took work 9" in page
    assert "Beat: ok, last tick" in page

    beat_heartbeat()
    stamp(BEAT_HEARTBEAT_KEY, 900)
    page = admin_client.get("/ops/").content.decode()
    assert "Worker: ok, last took work" in page
    assert "Beat: LATE, last tick 9" in page


def test_the_workers_line_loads_after_the_operator_page_and_is_for_staff_only(
    client, django_user_model, admin_client
):
    page = admin_client.get("/ops/").content.decode()
    assert 'hx-get="/ops/workers/"' in page and 'hx-trigger="load"' in page
    fragment = admin_client.get("/ops/workers/").content.decode()
    assert fragment.startswith('<p id="ops-workers">Workers online:')
    client.force_login(django_user_model.objects.create(username="ada"))
    assert client.get("/ops/workers/").status_code == 302


def test_admin_names_every_kind_of_row_in_a_proper_plural():
    """No "Library refreshs" or "Slskd settingss": English plurals of our own models."""
    import re

    from django.contrib import admin

    ours = ("spotify", "sandbox", "ops", "api", "playlists", "sync", "enforcement", "archive")
    ours += ("downloads",)
    wrong = [
        f"{model._meta.label}: {model._meta.verbose_name_plural}"
        for model in admin.site._registry
        if model._meta.app_label in ours
        and re.search(r"(ss|sh|ch|x)s$|settingss$", str(model._meta.verbose_name_plural))
    ]
    assert wrong == []
