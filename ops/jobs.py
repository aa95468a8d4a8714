"""One shape for long work.

Every long job (library refresh, sync, enforcement batch, rollback, history import, enrichment)
is a model that inherits `Job`: status, progress (done / total), current step, ETA, paused-until
and error, all on one row that `templates/ops/progress.html` renders and HTMX polls.

A job that meets a Spotify pause (`spotify.errors.Paused`) calls `job.pause(until, reason)` and
its task returns; the beat task `ops.tasks.resume_paused_jobs` re-enqueues it when the time
comes, so no worker sleeps through a quota lockout and no long-ETA message sits in the broker.

This module owns every job's life, for every kind alike:

- **Enqueue**: `Job.start_or_get_active(...)` creates the job or returns the active one (the
  database's one-active constraint is the lock), and `job.enqueue()` sends its `resume_task` by
  name once the transaction commits. The queue comes from `CELERY_TASK_ROUTES` only.
- **Claim**: `Model.claim_for_worker(pk)` — QUEUED → RUNNING for one worker, or a RUNNING job
  whose heartbeat is older than the kind's `lost_after()` taken over (its worker died; the job
  resumes from its checkpoint). A re-delivered or re-sent message is harmless either way.
- **Rescue**: `rescue_lost_jobs()` (beat every minute, and at every worker start) applies each
  kind's `on_lost` policy to jobs whose worker or message is gone: send the task again, or fail
  the job when it cannot go on.
- **Quarantine**: a job whose worker died under it twice in a row, with no progress between,
  is failed into Dead letters (`ops.models.DeadLetter`) and never re-run by itself; the
  operator's Retry in the admin puts it back in the queue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery import current_app
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import clock
from core.database import DATABASE_ERRORS, reopen_database_connections
from ops.models import DeadLetter


@contextlib.contextmanager
def requeued_if_database_drops(job: Job, task=None) -> Iterator[None]:
    """Run a job's body; if the database connection drops, put the job back in the queue and
    re-raise, so the task's retry policy (core.retry.RETRY_TRANSIENT) runs it again. The job goes
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


def find_job(public_id: str, user=None):
    """The user's job named by `public_id` ("<model>-<pk>"), or None (also for other users').
    Without `user` (operator tools only, e.g. a dead letter's Retry): anyone's job."""
    from core.params import is_id

    model_name, _, pk = public_id.rpartition("-")
    if not is_id(pk):  # ASCII digits only: "²".isdigit() is true, int("²") fails
        return None
    for model in job_models():
        if model._meta.model_name == model_name:
            jobs = model.objects.filter(pk=int(pk))
            return (jobs if user is None else jobs.filter(user=user)).first()
    return None


def send(task_name: str, pk: int) -> None:
    """Send a job's task by name, now. Its queue is CELERY_TASK_ROUTES' choice, nobody else's."""
    current_app.send_task(task_name, args=[pk])


class LostPolicy(models.TextChoices):
    RESEND = "resend"  # send the task again: the job resumes from its checkpoint
    FAIL = "fail"  # the job cannot go on without its worker: fail it with `lost_message`


# A worker died under the same job this many times in a row with no progress between: the job
# is what kills it (a file that blows the memory, say). It goes to Dead letters, not round again.
POISON_LOSSES = 2


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
    taking the job's pk), `kind` (a short label such as "Library refresh"), and may set
    `heartbeat_interval` (the longest a running job of the kind goes without a heartbeat when
    all is well) and `on_lost` (what the rescue does when its worker or message is gone)."""

    kind = "Job"
    resume_task: str = ""
    heartbeat_interval = timedelta(seconds=30)
    on_lost = LostPolicy.RESEND
    lost_message = (
        "Its worker stopped and this kind of job cannot continue without it: start it again."
    )

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
    # Workers that died under this job in a row with no progress between (see POISON_LOSSES).
    worker_losses = models.PositiveSmallIntegerField(default=0)
    # When the rescue last re-sent the task: at most one re-send per lost_after().
    resent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    # --- the kind's policy -------------------------------------------------------------------

    @classmethod
    def lost_after(cls) -> timedelta:
        """A running job silent this long lost its worker; a queued one this long lost its
        message. A multiple of the kind's heartbeat interval
        (settings.JOBS_LOST_AFTER_HEARTBEATS)."""
        return cls.heartbeat_interval * settings.JOBS_LOST_AFTER_HEARTBEATS

    @classmethod
    def runnable(cls) -> models.QuerySet:
        """The jobs a worker may claim and the rescue looks at (a kind narrows it: a plan
        waits for a person, not for a worker)."""
        return cls.objects.all()

    def claim_fields(self) -> dict:
        """Extra columns set in the claiming UPDATE (a kind records its runner, say)."""
        return {}

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
    def waiting_for_worker_since(self):
        """When this running (or queued) job last heard from a worker, if that is longer ago than
        its kind's lost_after(): nobody is running it now. None while all is well."""
        if self.status not in (JobStatus.RUNNING, JobStatus.QUEUED):
            return None
        last = self.heartbeat_at or self.created_at
        if last is None or last >= clock.now() - self.lost_after():
            return None
        return last

    def person_time_zone(self) -> ZoneInfo:
        """The zone its person reads times in: their history's, else the site's."""
        try:
            return ZoneInfo(self.user.history_profile.time_zone)
        except (ObjectDoesNotExist, AttributeError, ValueError, ZoneInfoNotFoundError):
            return ZoneInfo(settings.TIME_ZONE)

    @property
    def waiting_for_worker(self) -> str:
        """ "waiting for a worker since 12:04" (the person's time; a date too when not today),
        or "" while a worker is on it. What the progress bar shows instead of an ETA."""
        since = self.waiting_for_worker_since
        if since is None:
            return ""
        zone = self.person_time_zone()
        local = since.astimezone(zone)
        shown = f"{local:%H:%M}"
        if local.date() != clock.now().astimezone(zone).date():
            shown = f"{local.day} {local:%b} {shown}"
        return f"waiting for a worker since {shown}"

    @property
    def state_reason(self) -> str:
        """Why the job is where it is, in words (the API's `state_reason`): waiting for a
        worker, paused and why, or its error. Empty while it simply runs or finished well."""
        if waiting := self.waiting_for_worker:
            return waiting
        if self.status == JobStatus.PAUSED:
            return f"paused: {self.pause_reason}" if self.pause_reason else "paused"
        if self.status == JobStatus.FAILED:
            return self.error
        return ""

    @property
    def eta(self) -> timedelta | None:
        """Time left at the pace so far; None until there is a pace to go by, and None while
        no worker is running the job (an ETA would only grow)."""
        if self.waiting_for_worker_since is not None:
            return None
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
        if self.worker_losses and fields["done"] > self.done:
            fields["worker_losses"] = 0  # it moves: whatever killed its worker was not the job
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
            worker_losses=0,
        )

    def complete(self, step: str = "Done") -> None:
        now = clock.now()
        self._update(
            status=JobStatus.COMPLETED,
            finished_at=now,
            heartbeat_at=now,
            step=step,
            paused_until=None,
            worker_losses=0,
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
                .update(
                    status=JobStatus.QUEUED, step=step, heartbeat_at=clock.now(), worker_losses=0
                )
            )
        except DATABASE_ERRORS:
            return False
        if moved:
            self.status, self.step = JobStatus.QUEUED, step
        return bool(moved)

    def cancel(self) -> None:
        self._update(status=JobStatus.CANCELLED, finished_at=clock.now())

    def retry(self) -> bool:
        """A failed job goes back to the queue (once: a conditional UPDATE), its task re-sent.
        Also the operator's Retry of a quarantined job: its count of lost workers starts over."""
        moved = (
            type(self)
            .objects.filter(pk=self.pk, status=JobStatus.FAILED)
            .update(
                status=JobStatus.QUEUED,
                error="",
                finished_at=None,
                paused_until=None,
                worker_losses=0,
                resent_at=None,
                heartbeat_at=clock.now(),
            )
        )
        if moved:
            self.refresh_from_db()
            self.enqueue()
        return bool(moved)

    # --- enqueueing -----------------------------------------------------------------------------

    def enqueue(self) -> None:
        """Send this job's task once the current transaction commits (a task must find the row
        it is about). Outside a transaction it is sent at once."""
        if self.resume_task:
            name, pk = self.resume_task, self.pk
            transaction.on_commit(lambda: send(name, pk))

    @classmethod
    def start_or_get_active(cls, *, enqueue: bool = True, active=None, **fields):
        """Create a queued job with `fields` and enqueue it, or return the active one that the
        kind's one-active constraint protects: (job, created). `active` filters for the active
        job (default: the same user). Nothing checks first and inserts second: the constraint
        is the lock, so of twenty simultaneous clicks one creates and nineteen get it back."""
        fields.setdefault("step", "Queued")
        try:
            with transaction.atomic():
                job = cls.objects.create(**fields)
                if enqueue:
                    job.enqueue()
                return job, True
        except IntegrityError:
            lookup = active if active is not None else {"user": fields["user"]}
            found = cls.objects.filter(status__in=ACTIVE_STATUSES, **lookup).first()
            if found is None:  # it finished between our insert and this read: try again
                return cls.start_or_get_active(enqueue=enqueue, active=active, **fields)
            return found, False

    # --- rescue ---------------------------------------------------------------------------------

    @classmethod
    def waiting_for_a_worker(cls, silent_since=None):
        """Jobs whose task should run but no message or worker is left for: queued since before
        `silent_since` (default: now - lost_after()) with no re-send since (the message is
        lost), or running with no heartbeat since then (the worker is gone, or lost the
        database and could not put the job back in the queue)."""
        if silent_since is None:
            silent_since = clock.now() - cls.lost_after()
        not_resent = models.Q(resent_at__isnull=True) | models.Q(resent_at__lt=silent_since)
        queued_long_ago = models.Q(status=JobStatus.QUEUED) & (
            models.Q(heartbeat_at__lt=silent_since)
            | models.Q(heartbeat_at__isnull=True, created_at__lt=silent_since)
        )
        silent = models.Q(status=JobStatus.RUNNING) & (
            models.Q(heartbeat_at__lt=silent_since)
            | models.Q(heartbeat_at__isnull=True, created_at__lt=silent_since)
        )
        return cls.runnable().filter((queued_long_ago | silent) & not_resent)

    @classmethod
    def rescue_lost(cls) -> int:
        """Apply the kind's `on_lost` policy to its lost jobs; returns how many. Re-sending is
        safe: claims are conditional updates, so a slow first message and the new one cannot
        both run the job."""
        rescued = 0
        now = clock.now()
        for pk in cls.waiting_for_a_worker(now - cls.lost_after()).values_list("pk", flat=True):
            if cls.on_lost == LostPolicy.FAIL:
                job = cls.objects.get(pk=pk)
                if job.is_active:
                    job.fail(cls.lost_message)
                    rescued += 1
                continue
            if not cls.resume_task:
                continue
            with transaction.atomic():
                stamped = cls.objects.filter(pk=pk, status__in=ACTIVE_STATUSES).update(
                    resent_at=now
                )
                if stamped:
                    cls(pk=pk).enqueue()
                    rescued += 1
        return rescued

    @property
    def public_id(self) -> str:
        """How the API and pages name a job across kinds: "<model>-<pk>"."""
        return f"{self._meta.model_name}-{self.pk}"

    @classmethod
    def claim_for_worker(cls, pk: int):
        """The job, claimed for this worker: a queued one, or a running one whose worker fell
        silent for the kind's lost_after() (it died: the job resumes from its checkpoint).
        None when it is gone, finished, paused, quarantined, or another live worker has it.

        Taking over counts a lost worker; the second in a row with no progress between
        quarantines the job instead (see POISON_LOSSES)."""
        job = cls.runnable().filter(pk=pk).first()
        if job is None:
            return None
        if job.claim():
            return job
        return job._take_over()

    def claim(self) -> bool:
        """Move QUEUED → RUNNING for exactly one worker (a conditional UPDATE)."""
        now = clock.now()
        first_start = Coalesce("started_at", models.Value(now, models.DateTimeField()))
        claimed = (
            type(self)
            .runnable()
            .filter(pk=self.pk, status=JobStatus.QUEUED)
            .update(
                status=JobStatus.RUNNING,
                started_at=first_start,
                heartbeat_at=now,
                **self.claim_fields(),
            )
        )
        if claimed:
            self.refresh_from_db()
        return bool(claimed)

    def _take_over(self):
        """This RUNNING job, taken over from its silent worker; None when it is not silent."""
        now = clock.now()
        silent = (
            type(self)
            .runnable()
            .filter(pk=self.pk, status=JobStatus.RUNNING)
            .filter(
                models.Q(heartbeat_at__lt=now - self.lost_after())
                | models.Q(heartbeat_at__isnull=True)
            )
        )
        losses = self.worker_losses + 1
        if losses >= POISON_LOSSES:
            reason = (
                f"Quarantined: its worker died under it {losses} times in a row without "
                "progress, so this job is what kills it. It will not run again by itself; an "
                "operator can retry it from Dead letters."
            )
            with transaction.atomic():
                moved = silent.filter(worker_losses=self.worker_losses).update(
                    status=JobStatus.FAILED,
                    finished_at=now,
                    heartbeat_at=now,
                    worker_losses=losses,
                    error=reason,
                )
                if moved:
                    DeadLetter.quarantine(self, reason)
            return None
        taken_over = silent.filter(worker_losses=self.worker_losses).update(
            heartbeat_at=now, worker_losses=losses, **self.claim_fields()
        )
        if not taken_over:
            return None
        self.refresh_from_db()
        return self


# The page that shows each kind of job, by model label. Names, not imports: ops sits below the
# product apps and must not import them. Jobs whose own page is only a progress partial link to
# the page that hosts it.
_JOB_PAGES = {
    "sync.syncevent": lambda job: ("sync_event", [job.pk]),
    "enforcement.actionbatch": lambda job: ("enforcement_batch", [job.pk]),
    "archive.importjob": lambda job: ("history_import_job", [job.pk]),
    "archive.historysearch": lambda job: ("history_unmatched", []),
    "playlists.libraryrefresh": lambda job: ("library", []),
    "playlists.enrichment": lambda job: ("library", []),
    "playlists.playlistimport": lambda job: ("library_import_detail", [job.pk]),
    "downloads.downloadrun": lambda job: (
        ("downloads:playlist", [job.playlist_id]) if job.playlist_id else ("downloads:index", [])
    ),
}


# Kinds whose Retry goes through their own app (it re-checks locks and plans); the rest use
# Job.retry through ops.views.job_retry.
_JOB_RETRIES = {"enforcement.actionbatch": "enforcement_resume"}


def retry_url(job: Job) -> str:
    from django.urls import reverse

    name = _JOB_RETRIES.get(job._meta.label_lower)
    if name is not None:
        return reverse(name, args=[job.pk])
    return reverse("job_retry", args=[job.public_id])


def job_url(job: Job) -> str:
    """Where a person sees this job; the activity page when its kind has no page of its own."""
    from django.urls import reverse

    page = _JOB_PAGES.get(job._meta.label_lower)
    if page is None:
        return reverse("activity")
    name, args = page(job)
    return reverse(name, args=args)


def cancel_queued(job: Job) -> bool:
    """Cancel a job no worker has claimed yet (a conditional UPDATE: a worker that claims it
    first wins, and the job then runs to its end). Running jobs are not cancelled from here:
    each kind stops at its own checkpoints, through its own page."""
    moved = (
        type(job)
        .objects.filter(pk=job.pk, status=JobStatus.QUEUED)
        .update(status=JobStatus.CANCELLED, finished_at=clock.now())
    )
    if moved:
        job.refresh_from_db()
    return bool(moved)


def can_cancel(job: Job) -> bool:
    # A dry-run plan waits for its person, who discards it on its own page.
    return job.status == JobStatus.QUEUED and not getattr(job, "dry_run", False)


JOB_FINISHED_EVENT = "tk-job-finished"


def announce_if_finished(request, response, job: Job):
    """The last poll of a job that ended (a finished job's progress partial stops polling)
    tells the page, through HTMX's HX-Trigger header, so the parts that show its results
    (`hx-trigger="tk-job-finished from:body"`) fetch themselves again, in this tab too."""
    if getattr(request, "htmx", False) and not job.is_active:
        response["HX-Trigger"] = JOB_FINISHED_EVENT
    return response
