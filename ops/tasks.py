from datetime import timedelta

from celery import current_app, shared_task
from django.db import transaction
from django.db.models import Q

from ops.jobs import JobStatus, job_models
from spotify import clock

# A job queued this long without a worker claiming it has lost its task message: a broker
# (Redis without persistence) restarted empty, or the message was dropped.
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
    """(task name, pk) of every job still queued LOST_AFTER after it was queued."""
    cutoff = clock.now() - LOST_AFTER
    found = []
    for model in job_models():
        if not model.resume_task:
            continue
        lost = model.waiting_for_a_worker().filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
        )
        found += [
            (model.resume_task, pk) for pk in lost.order_by("pk").values_list("pk", flat=True)
        ]
    return found


@shared_task
def resend_lost_jobs() -> int:
    """Beat, every 5 minutes: send the task of every lost job again. Claims are conditional
    updates, so when the first message was only slow, one of the two finds the job taken and
    does nothing."""
    lost = lost_jobs()
    for task_name, pk in lost:
        current_app.send_task(task_name, args=[pk])
    return len(lost)
