from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class DeadLetter(models.Model):
    """A task that failed for good: a permanent error, or a transient one after every retry."""

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    queue = models.CharField(max_length=32, blank=True)
    error = models.TextField()
    traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField(default=timezone.now)
    last_failed_at = models.DateTimeField(default=timezone.now)
    retried_at = models.DateTimeField(null=True, blank=True)
    retried_as = models.CharField(max_length=64, blank=True)
    # A quarantined job ("<model>-<pk>", ops.jobs): Retry puts the job itself back in the queue.
    job = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-last_failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.task_id})"

    @classmethod
    def quarantine(cls, job, reason: str) -> DeadLetter:
        """File a job that kept killing its worker (ops.jobs.Job._take_over)."""
        now = timezone.now()
        return cls.objects.create(
            task_id=f"quarantine-{job.public_id}-{uuid.uuid4().hex[:12]}",
            task_name=job.resume_task,
            args=[job.pk],
            job=job.public_id,
            error=reason[:5000],
            attempts=job.worker_losses + 1,
            first_failed_at=now,
            last_failed_at=now,
        )

    def retry(self) -> str:
        """Send the task again with the same arguments; returns the new task id. A quarantined
        job is put back in the queue instead (its task alone would find it failed)."""
        from celery import current_app

        if self.job:
            from ops.jobs import find_job  # ops.jobs files its quarantined jobs here

            job = find_job(self.job)
            if job is not None and job.retry():
                self.retried_at = timezone.now()
                self.retried_as = job.public_id
                self.save(update_fields=["retried_at", "retried_as"])
                return job.public_id

        options = {"queue": self.queue} if self.queue else {}
        result = current_app.send_task(
            self.task_name, args=self.args, kwargs=self.kwargs, **options
        )
        self.retried_at = timezone.now()
        self.retried_as = result.id
        self.save(update_fields=["retried_at", "retried_as"])
        return result.id
