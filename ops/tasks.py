"""The beat tasks of every job's life (ops.jobs): resume paused jobs, rescue lost ones. The same
rescue runs when a worker starts (ops.celery_signals), which may be the replacement of one that
died mid-job."""

from celery import shared_task
from django.db import transaction

from core import clock
from ops.jobs import JobStatus, job_models
from ops.trash import purge_expired


@shared_task
def resume_paused_jobs() -> int:
    """Beat, every minute: re-enqueue jobs whose Spotify pause has passed."""
    resumed = 0
    for model in job_models():
        due = model.objects.filter(status=JobStatus.PAUSED, paused_until__lte=clock.now())
        for pk in due.values_list("pk", flat=True):
            with transaction.atomic():
                moved = model.objects.filter(pk=pk, status=JobStatus.PAUSED).update(
                    status=JobStatus.QUEUED, paused_until=None, pause_reason=""
                )
                if moved and model.resume_task:
                    model(pk=pk).enqueue()
                    resumed += 1
    return resumed


def lost_jobs() -> list[tuple[str, int]]:
    """(task name, pk) of every job whose task should run but no message or worker is left for,
    each by its own kind's lost_after() (see ops.jobs.Job.waiting_for_a_worker)."""
    found = []
    for model in job_models():
        if model.resume_task:
            lost = model.waiting_for_a_worker().order_by("pk")
            found += [(model.resume_task, pk) for pk in lost.values_list("pk", flat=True)]
    return found


def rescue_lost_jobs() -> int:
    """Every kind's on_lost policy over its lost jobs; returns how many were re-sent or failed."""
    return sum(model.rescue_lost() for model in job_models())


@shared_task
def resend_lost_jobs() -> int:
    """Beat, every minute: the one rescue of every job kind (ops.jobs.Job.rescue_lost)."""
    return rescue_lost_jobs()


@shared_task
def purge_deleted() -> dict[str, int]:
    """Beat, daily: what was deleted more than RESTORE_DAYS ago is deleted for good."""
    return purge_expired()
