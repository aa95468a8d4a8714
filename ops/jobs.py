"""One shape for long work.

Every long job (library refresh, sync, enforcement batch, rollback, history import, enrichment)
is a model that inherits `Job`: status, progress (done / total), current step, ETA, paused-until
and error, all on one row that `templates/ops/progress.html` renders and HTMX polls.

A job that meets a Spotify pause (`spotify.errors.Paused`) calls `job.pause(until, reason)` and
its task returns; the beat task `ops.tasks.resume_paused_jobs` re-enqueues it when the time
comes, so no worker sleeps through a quota lockout and no long-ETA message sits in the broker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from ops.database import DATABASE_ERRORS, reopen_database_connections
from spotify import clock


@contextlib.contextmanager
def requeued_if_database_drops(job: Job, task=None) -> Iterator[None]:
    """Run a job's body; if the database connection drops, put the job back in the queue and
    re-raise, so the task's retry policy (ops.retry.RETRY_TRANSIENT) runs it again. The job goes
    on from its last checkpoint: nothing done is lost, and nothing is marked failed that is not.

    When `task` (the bound Celery task) has no retry left, the job is failed instead: the
    database keeps failing, the task lands in Dead letters, and the job's Retry goes on from
    the checkpoint once the database is well again."""
    try:
        yield
    except DATABASE_ERRORS as error:
        if task is not None and task.request.retries >= task.max_retries:
            reopen_database_connections()
            with contextlib.suppress(*DATABASE_ERRORS):
                job.fail(
                    f"The database kept failing ({error}). What was done is kept: "
                    "Retry goes on from there."
                )
        else:
            job.requeue_for_retry("The database connection dropped")
        raise


def job_models() -> list[type[Job]]:
    """Every concrete job model, for the resume sweep and the activity page."""
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, Job)]


def find_job(public_id: str, user):
    """The user's job named by `public_id` ("<model>-<pk>"), or None (also for other users')."""
    from core.params import is_id

    model_name, _, pk = public_id.rpartition("-")
    if not is_id(pk):  # ASCII digits only: "²".isdigit() is true, int("²") fails
        return None
    for model in job_models():
        if model._meta.model_name == model_name:
            return model.objects.filter(pk=int(pk), user=user).first()
    return None


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED)


def one_active_per(field: str, name: str) -> models.UniqueConstraint:
    """At most one active (queued, running or paused) job per `field` value: the lock is the
    database's, so two clicks or two workers cannot start the same job twice."""
    return models.UniqueConstraint(
        fields=[field], condition=models.Q(status__in=list(ACTIVE_STATUSES)), name=name
    )


class Job(models.Model):
    """Abstract base of every long-running job. Subclasses set `resume_task` (a task name
    taking the job's pk) and `kind` (a short label such as "Library refresh")."""

    kind = "Job"
    resume_task: str = ""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    step = models.CharField(max_length=200, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        abstract = True

    # --- reading --------------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == JobStatus.COMPLETED else None
        return min(int(self.done * 100 / self.total), 100)

    @property
    def eta(self) -> timedelta | None:
        """Time left at the pace so far; None until there is a pace to go by."""
        if (
            self.status != JobStatus.RUNNING
            or not self.total
            or not self.done
            or not self.started_at
        ):
            return None
        elapsed = (clock.now() - self.started_at).total_seconds()
        if elapsed <= 0:
            return None
        rate = self.done / elapsed
        return timedelta(seconds=max(self.total - self.done, 0) / rate)

    # --- writing: each a single UPDATE of this row ----------------------------------------------

    def _update(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        type(self).objects.filter(pk=self.pk).update(**fields)

    def start(self, total: int | None = None, step: str = "") -> None:
        now = clock.now()
        self._update(
            status=JobStatus.RUNNING,
            started_at=self.started_at or now,
            heartbeat_at=now,
            total=total if total is not None else self.total,
            step=step,
            paused_until=None,
            pause_reason="",
            error="",
        )

    def advance(
        self,
        done: int | None = None,
        *,
        by: int = 0,
        total: int | None = None,
        step: str | None = None,
    ) -> None:
        fields: dict = {"heartbeat_at": clock.now()}
        fields["done"] = done if done is not None else self.done + by
        if total is not None:
            fields["total"] = total
        if step is not None:
            fields["step"] = step
        self._update(**fields)

    def pause(self, until, reason: str) -> None:
        self._update(
            status=JobStatus.PAUSED,
            paused_until=until,
            pause_reason=reason,
            heartbeat_at=clock.now(),
        )

    def complete(self, step: str = "Done") -> None:
        now = clock.now()
        self._update(
            status=JobStatus.COMPLETED,
            finished_at=now,
            heartbeat_at=now,
            step=step,
            paused_until=None,
        )

    def fail(self, error: str) -> None:
        now = clock.now()
        self._update(status=JobStatus.FAILED, finished_at=now, heartbeat_at=now, error=error[:5000])

    def requeue_for_retry(self, reason: str) -> bool:
        """RUNNING → QUEUED on a fresh connection, for the task's retry to claim it again. False
        when the database is still unreachable: the job then stays RUNNING with a stopped
        heartbeat, which is what the stale-job sweeps look for."""
        reopen_database_connections()
        step = f"{reason}; continuing from the last checkpoint"[:200]
        try:
            moved = (
                type(self)
                .objects.filter(pk=self.pk, status=JobStatus.RUNNING)
                .update(status=JobStatus.QUEUED, step=step, heartbeat_at=clock.now())
            )
        except DATABASE_ERRORS:
            return False
        if moved:
            self.status, self.step = JobStatus.QUEUED, step
        return bool(moved)

    def cancel(self) -> None:
        self._update(status=JobStatus.CANCELLED, finished_at=clock.now())

    def retry(self) -> bool:
        """A failed job goes back to the queue (once: a conditional UPDATE), its task re-sent."""
        from celery import current_app
        from django.db import transaction

        moved = (
            type(self)
            .objects.filter(pk=self.pk, status=JobStatus.FAILED)
            .update(status=JobStatus.QUEUED, error="", finished_at=None, paused_until=None)
        )
        if moved:
            self.refresh_from_db()
            if self.resume_task:
                name, pk = self.resume_task, self.pk
                transaction.on_commit(lambda: current_app.send_task(name, args=[pk]))
        return bool(moved)

    @classmethod
    def waiting_for_a_worker(cls, silent_since):
        """Jobs that need their task sent again (ops.tasks.resend_lost_jobs): queued since before
        `silent_since` (the message is lost), or running with no heartbeat since then (the
        worker is gone, or lost the database and could not put the job back in the queue).
        The task's claim takes a silent running job over."""
        queued_long_ago = models.Q(status=JobStatus.QUEUED) & (
            models.Q(heartbeat_at__lt=silent_since)
            | models.Q(heartbeat_at__isnull=True, created_at__lt=silent_since)
        )
        silent = models.Q(status=JobStatus.RUNNING, heartbeat_at__lt=silent_since)
        return cls.objects.filter(queued_long_ago | silent)

    @property
    def public_id(self) -> str:
        """How the API and pages name a job across kinds: "<model>-<pk>"."""
        return f"{self._meta.model_name}-{self.pk}"

    @classmethod
    def claim_for_worker(cls, pk: int, stale_after: timedelta):
        """The job, claimed for this worker: a queued one, or a running one whose worker fell
        silent for `stale_after` (ACKS_LATE redelivered its message). None when it is gone,
        finished, or another live worker has it."""
        job = cls.objects.filter(pk=pk).first()
        if job is None:
            return None
        if job.claim():
            return job
        taken_over = cls.objects.filter(
            pk=pk, status=JobStatus.RUNNING, heartbeat_at__lt=clock.now() - stale_after
        ).update(heartbeat_at=clock.now())
        if taken_over:
            job.refresh_from_db()
            return job
        return None

    def claim(self) -> bool:
        """Move QUEUED → RUNNING for exactly one worker (a conditional UPDATE)."""
        claimed = (
            type(self)
            .objects.filter(pk=self.pk, status=JobStatus.QUEUED)
            .update(status=JobStatus.RUNNING, started_at=clock.now(), heartbeat_at=clock.now())
        )
        if claimed:
            self.refresh_from_db()
        return bool(claimed)
