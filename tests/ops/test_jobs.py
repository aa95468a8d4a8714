"""ops.jobs owns every job's life: enqueue (by name, after commit, routed by CELERY_TASK_ROUTES
alone), start-or-get-active, one claim, and one rescue with a per-kind limit."""

from datetime import timedelta

import pytest
from celery import current_app

from core import clock
from downloads import scheduling
from ops.jobs import JobStatus, job_models
from ops.tasks import rescue_lost_jobs
from playlists.models import Enrichment, LibraryRefresh

pytestmark = pytest.mark.django_db


def test_no_task_names_its_own_queue_so_the_routes_alone_decide():
    current_app.loader.import_default_modules()
    ours = [
        task
        for name, task in current_app.tasks.items()
        if name.split(".")[0] in {"ops", "sync", "playlists", "archive", "enforcement", "downloads"}
    ]
    assert len(ours) > 10
    assert [task.name for task in ours if getattr(task, "queue", None)] == []


def test_a_download_search_pump_goes_to_the_interactive_queue(
    sent_tasks, django_capture_on_commit_callbacks
):
    # The routes and the download scheduler used to disagree (default vs interactive).
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.later("downloads.tasks.pump_searches", ["slskd"], 0)
    assert sent_tasks == [("downloads.tasks.pump_searches", ["slskd"], "interactive")]


def test_enqueue_sends_the_task_by_name_only_after_the_commit(
    django_user_model, sent_tasks, django_capture_on_commit_callbacks
):
    ada = django_user_model.objects.create(username="ada")
    with django_capture_on_commit_callbacks(execute=True):
        job, created = LibraryRefresh.start_or_get_active(user=ada)
        assert created and sent_tasks == []  # the row is not visible to a worker yet
    assert sent_tasks == [("playlists.tasks.refresh_library_task", [job.pk], "bulk")]


def test_start_or_get_active_returns_the_active_job_and_sends_nothing_more(
    django_user_model, sent_tasks
):
    ada = django_user_model.objects.create(username="ada")
    first, created = Enrichment.start_or_get_active(user=ada)
    again, created_again = Enrichment.start_or_get_active(user=ada)
    assert created and not created_again and again == first
    assert Enrichment.objects.filter(user=ada).count() == 1
    first.complete()
    fresh, created = Enrichment.start_or_get_active(user=ada)
    assert created and fresh != first


def test_every_job_kind_has_a_lost_limit_that_is_a_multiple_of_its_heartbeat(settings):
    settings.JOBS_LOST_AFTER_HEARTBEATS = 3
    for model in job_models():
        assert model.lost_after() == model.heartbeat_interval * 3, model
        assert model.lost_after() < timedelta(minutes=15)  # not the old flat quarter hour


def test_a_running_job_is_taken_over_only_once_its_heartbeat_is_stale(
    django_user_model, fake_clock
):
    ada = django_user_model.objects.create(username="ada")
    job = LibraryRefresh.objects.create(user=ada)
    assert LibraryRefresh.claim_for_worker(job.pk) is not None  # queued → running
    assert LibraryRefresh.claim_for_worker(job.pk) is None  # its worker is alive
    fake_clock.advance(LibraryRefresh.lost_after().total_seconds() + 1)
    taken = LibraryRefresh.claim_for_worker(job.pk)
    assert taken is not None and taken.status == JobStatus.RUNNING and taken.worker_losses == 1
    assert LibraryRefresh.claim_for_worker(job.pk) is None  # the new worker's now
    taken.advance(by=1)  # progress: the loss was not the job's fault
    assert LibraryRefresh.objects.get(pk=job.pk).worker_losses == 0


def test_the_rescue_resends_a_lost_job_once_per_limit_not_at_every_sweep(
    django_user_model, fake_clock
):
    ada = django_user_model.objects.create(username="ada")
    job = LibraryRefresh.objects.create(user=ada, status=JobStatus.RUNNING)
    LibraryRefresh.objects.filter(pk=job.pk).update(heartbeat_at=clock.now())
    assert rescue_lost_jobs() == 0
    fake_clock.advance(LibraryRefresh.lost_after().total_seconds() + 1)
    assert rescue_lost_jobs() == 1
    assert rescue_lost_jobs() == 0  # sent a minute ago: give it time
    fake_clock.advance(LibraryRefresh.lost_after().total_seconds() + 1)
    assert rescue_lost_jobs() == 1
    assert LibraryRefresh.objects.get(pk=job.pk).status == JobStatus.RUNNING  # never failed


def a_job_of(model, user):
    """A running job of `model` for `user`, with only the fields its kind requires."""
    from sync.models import BasePlaylist

    extra = {
        "actionbatch": {"dry_run": False},
        "syncevent": {
            "base": BasePlaylist.objects.create(user=user, spotify_id="b" * 22, name="Base")
        },
        "importjob": {"min_ms_played": 30000},
        "playlistimport": {"name": "Mix", "file_name": "mix.csv", "file_format": "exportify"},
    }.get(model._meta.model_name, {})
    return model.objects.create(user=user, status=JobStatus.RUNNING, **extra)


@pytest.mark.parametrize("model", job_models(), ids=lambda model: model._meta.model_name)
def test_every_kind_is_taken_over_from_a_dead_worker_by_the_one_claim(
    model, django_user_model, fake_clock
):
    ada = django_user_model.objects.create(username="ada")
    job = a_job_of(model, ada)
    model.objects.filter(pk=job.pk).update(heartbeat_at=clock.now())
    assert model.claim_for_worker(job.pk) is None  # its worker is alive
    fake_clock.advance(model.lost_after().total_seconds() + 1)
    taken = model.claim_for_worker(job.pk)
    assert taken is not None and taken.pk == job.pk
    assert taken.status == JobStatus.RUNNING and taken.heartbeat_at == clock.now()


def test_a_job_whose_worker_died_twice_in_a_row_is_quarantined_until_an_operator_retries_it(
    django_user_model, fake_clock, admin_client, sent_tasks, django_capture_on_commit_callbacks
):
    from ops.models import DeadLetter

    ada = django_user_model.objects.create(username="ada")
    job = LibraryRefresh.objects.create(user=ada)
    silence = LibraryRefresh.lost_after().total_seconds() + 1
    assert LibraryRefresh.claim_for_worker(job.pk) is not None  # the first worker dies on it
    fake_clock.advance(silence)
    assert LibraryRefresh.claim_for_worker(job.pk).worker_losses == 1  # the second too
    fake_clock.advance(silence)

    assert LibraryRefresh.claim_for_worker(job.pk) is None  # no third victim

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.worker_losses == 2
    assert "died under it 2 times in a row" in job.error
    letter = DeadLetter.objects.get(job=job.public_id)
    assert (letter.task_name, letter.args) == ("playlists.tasks.refresh_library_task", [job.pk])
    assert letter.error == job.error
    fake_clock.advance(silence)
    assert rescue_lost_jobs() == 0  # never re-run by itself
    assert sent_tasks == []

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/ops/deadletter/", {"action": "retry", "_selected_action": [letter.pk]}
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.worker_losses == 0 and job.error == ""
    assert sent_tasks == [("playlists.tasks.refresh_library_task", [job.pk], "bulk")]
    letter.refresh_from_db()
    assert letter.retried_at is not None and letter.retried_as == job.public_id


def test_a_kind_that_cannot_go_on_without_its_worker_is_failed_by_the_rescue_not_resent(
    django_user_model, fake_clock, monkeypatch, sent_tasks
):
    from ops.jobs import LostPolicy

    monkeypatch.setattr(LibraryRefresh, "on_lost", LostPolicy.FAIL)
    ada = django_user_model.objects.create(username="ada")
    job = LibraryRefresh.objects.create(user=ada, status=JobStatus.RUNNING)
    LibraryRefresh.objects.filter(pk=job.pk).update(heartbeat_at=clock.now())
    fake_clock.advance(LibraryRefresh.lost_after().total_seconds() + 1)

    assert rescue_lost_jobs() == 1

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == LibraryRefresh.lost_message
    assert sent_tasks == []
