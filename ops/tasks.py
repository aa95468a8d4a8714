from celery import current_app, shared_task
from django.db import transaction

from ops.jobs import JobStatus, job_models
from spotify import clock


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
