"""Celery tasks of the archive: thin, taking ids, calling archive's plain functions.

- `plan_polls` (beat, hourly) fans out `poll_user_task` per user and slot, each with an ETA
  inside the coming hour; a slot delivered twice is polled once (PollRun is the key).
- `run_import` works on one ImportJob for a time slice and re-enqueues itself until done.
- A worker that starts re-enqueues imports whose worker died (a restart resumes them).
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.db import DataError, IntegrityError
from django.db.models import Q

from archive.models import HistorySearch, ImportJob
from ops.database import DATABASE_ERRORS
from ops.jobs import JobStatus, requeued_if_database_drops
from ops.logs import job_context
from ops.retry import RETRY_TRANSIENT
from spotify import clock

logger = logging.getLogger(__name__)

# An import's heartbeat moves with every batch (seconds apart); one this old lost its worker.
STALE_AFTER = timedelta(minutes=3)
# A search's heartbeat moves with every song (one paced call each).
SEARCH_STALE_AFTER = timedelta(minutes=10)


@shared_task(queue="default")
def plan_polls() -> int:
    from archive.poller import plan_hour

    planned = plan_hour()
    for poll in planned:
        poll_user_task.apply_async(args=[poll.user_id, poll.slot.isoformat()], eta=poll.slot)
    resume_stalled_imports()
    return len(planned)


@shared_task(queue="default")
def poll_user_task(user_id: int, slot: str) -> None:
    from archive.poller import poll_user

    with job_context(job_id=f"history-poll-{user_id}-{slot}", user_id=user_id, purpose="archive"):
        poll_user(user_id, datetime.fromisoformat(slot))


def claim(pk: int) -> ImportJob | None:
    """The job, claimed for this worker (see ops.jobs.Job.claim_for_worker)."""
    return ImportJob.claim_for_worker(pk, STALE_AFTER)


@shared_task(queue="bulk", **RETRY_TRANSIENT)
def run_import(self, job_pk: int) -> None:
    from archive.importer import run_import_job

    job = claim(job_pk)
    if job is None:
        return
    # A dropped database connection is not the upload's fault: keep the file, go on later.
    with requeued_if_database_drops(job, self):
        try:
            with job_context(job_id=job.public_id, user_id=job.user_id, purpose="archive"):
                run_import_job(job)
        except DATABASE_ERRORS:
            raise
        except (DataError, IntegrityError):
            # The database's own words ("COPY staging_…") mean nothing to the person; the log
            # keeps them. Records are validated before they are written, so this is a bug.
            logger.exception("history import %s: the database refused a batch", job.pk)
            job.fail(
                "The import stopped: the database refused a record in the file being read. "
                "The plays before it were kept; please report this with the file's name."
            )
            shutil.rmtree(job.upload_dir, ignore_errors=True)
            raise
        except Exception as error:
            job.fail(f"The import stopped on an unexpected error: {error}")
            shutil.rmtree(job.upload_dir, ignore_errors=True)
            raise


@shared_task(queue="bulk", **RETRY_TRANSIENT)
def run_history_search(self, job_pk: int) -> None:
    from archive.search import run_history_search as run

    job = HistorySearch.claim_for_worker(job_pk, SEARCH_STALE_AFTER)
    if job is not None:
        with (
            job_context(job_id=job.ledger_job_id, user_id=job.user_id, purpose="archive"),
            requeued_if_database_drops(job, self),
        ):
            run(job)


@shared_task(queue="bulk")
def rebuild_rollups_task(user_id: int) -> int:
    from archive.rollups import rebuild

    return rebuild(user_id)


def resume_stalled_imports() -> int:
    """Re-enqueue imports whose worker died mid-slice or whose message was lost."""
    stale = clock.now() - STALE_AFTER
    pks = list(
        ImportJob.objects.filter(
            Q(status=JobStatus.RUNNING, heartbeat_at__lt=stale)
            | Q(status=JobStatus.QUEUED, created_at__lt=stale)
            & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
        ).values_list("pk", flat=True)
    )
    for pk in pks:
        run_import.delay(pk)
    return len(pks)


@worker_ready.connect
def _resume_after_restart(sender=None, **kwargs) -> None:
    try:
        resumed = resume_stalled_imports()
    except Exception:  # a worker must start even when the database is not there yet
        logger.warning("could not look for stalled history imports", exc_info=True)
        return
    if resumed:
        logger.info("re-enqueued %s stalled history imports", resumed)
