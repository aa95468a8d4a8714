from datetime import timedelta

from celery import current_app, shared_task
from django.db import transaction

from ops.jobs import JobStatus, job_models
from spotify import clock

# A job queued this long without a worker claiming it has lost its task message (a broker, Redis
# without persistence, restarted empty); one running with no heartbeat this long lost its worker.
LOST_AFTER = timedelta(minutes=15)


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
                    name = model.resume_task
                    transaction.on_commit(
                        lambda name=name, pk=pk: current_app.send_task(name, args=[pk])
                    )
                    resumed += 1
    return resumed


def lost_jobs() -> list[tuple[str, int]]:
    """(task name, pk) of every job whose task should run but no message or worker is left for:
    see Job.waiting_for_a_worker."""
    silent_since = clock.now() - LOST_AFTER
    found = []
    for model in job_models():
        if model.resume_task:
            lost = model.waiting_for_a_worker(silent_since).order_by("pk")
            found += [(model.resume_task, pk) for pk in lost.values_list("pk", flat=True)]
    return found


@shared_task
def resend_lost_jobs() -> int:
    """Beat, every 5 minutes: send the task of every lost job again. Claims are conditional
    updates, so when the first message was only slow (or the silent worker wakes up), one of
    the two finds the job taken and does nothing."""
    lost = lost_jobs()
    for task_name, pk in lost:
        current_app.send_task(task_name, args=[pk])
    return len(lost)


@shared_task
def apply_retention_task() -> dict:
    """Beat, hourly: fold old ledger rows into daily rollups and prune finished jobs past the
    rollback window, in small batches (ops.retention)."""
    from ops.retention import apply_retention

    return apply_retention().as_dict()
