"""Celery tasks of the archive: thin, taking ids, calling archive's plain functions.

- `plan_polls` (beat, hourly) fans out `poll_user_task` per user and slot, each with an ETA
  inside the coming hour; a slot delivered twice is polled once (PollRun is the key).
- `run_import` works on one ImportJob for a time slice and re-enqueues itself until done.
- An import or search whose worker died is re-sent by ops.jobs' one rescue and taken over from
  its checkpoint by the claim.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime

from celery import shared_task
from django.db import DataError, IntegrityError, transaction

from archive.models import HistorySearch, ImportJob
from core.database import DATABASE_ERRORS
from core.logs import job_context
from core.retry import RETRY_TRANSIENT
from ops.jobs import requeued_if_database_drops

logger = logging.getLogger(__name__)


@shared_task
def plan_polls() -> int:
    from archive.poller import plan_hour

    planned = plan_hour()
    for poll in planned:
        poll_user_task.apply_async(args=[poll.user_id, poll.slot.isoformat()], eta=poll.slot)
    return len(planned)


@shared_task
def poll_user_task(user_id: int, slot: str) -> None:
    from archive.poller import poll_user

    with job_context(job_id=f"history-poll-{user_id}-{slot}", user_id=user_id, purpose="archive"):
        poll_user(user_id, datetime.fromisoformat(slot))


@shared_task
def check_history_now_task(user_id: int, slot: str) -> None:
    """A person's Check now (and the first check after connecting): on the interactive lane."""
    from archive.poller import poll_user

    with job_context(job_id=f"history-poll-{user_id}-{slot}", user_id=user_id, purpose="archive"):
        poll_user(user_id, datetime.fromisoformat(slot), interactive=True)


def check_history_now(user_id: int) -> bool:
    """Queue a history check for the person now (after commit); False when one ran or was asked
    for less than a minute ago."""
    from archive.poller import check_now_slot

    slot = check_now_slot(user_id)
    if slot is None:
        return False
    transaction.on_commit(lambda: check_history_now_task.delay(user_id, slot.isoformat()))
    return True


def claim(pk: int) -> ImportJob | None:
    """The job, claimed for this worker (see ops.jobs.Job.claim_for_worker)."""
    return ImportJob.claim_for_worker(pk)


@shared_task(**RETRY_TRANSIENT)
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


@shared_task(**RETRY_TRANSIENT)
def run_history_search(self, job_pk: int) -> None:
    from archive.search import run_history_search as run

    job = HistorySearch.claim_for_worker(job_pk)
    if job is not None:
        with (
            job_context(job_id=job.ledger_job_id, user_id=job.user_id, purpose="archive"),
            requeued_if_database_drops(job, self),
        ):
            run(job)


@shared_task
def rebuild_rollups_task(user_id: int) -> int:
    from archive.rollups import rebuild

    return rebuild(user_id)
