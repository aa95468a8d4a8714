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

    class Meta:
        ordering = ["-last_failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.task_id})"

    def retry(self) -> str:
        """Send the task again with the same arguments; returns the new task id."""
        from celery import current_app

        options = {"queue": self.queue} if self.queue else {}
        result = current_app.send_task(
            self.task_name, args=self.args, kwargs=self.kwargs, **options
        )
        self.retried_at = timezone.now()
        self.retried_as = result.id
        self.save(update_fields=["retried_at", "retried_as"])
        return result.id
