"""Celery tasks: thin wrappers that take a job's primary key and call a domain function.

Long jobs go to the `bulk` queue. Queues are CELERY_TASK_ROUTES' alone, so a job sent by name
(ops.jobs: enqueue, resume, rescue) lands where a direct call would.
"""

from __future__ import annotations

from celery import shared_task

from core.logs import job_context
from core.retry import RETRY_TRANSIENT
from ops.jobs import requeued_if_database_drops
from playlists.models import Enrichment, LibraryRefresh, PlaylistImport


def claim(model, pk: int):
    """The job, claimed for this worker (see ops.jobs.Job.claim_for_worker)."""
    return model.claim_for_worker(pk)


@shared_task(**RETRY_TRANSIENT)
def refresh_library_task(self, job_pk: int) -> None:
    from playlists.refresh import run_refresh_job

    job = claim(LibraryRefresh, job_pk)
    if job is not None:
        with (
            job_context(job_id=job.ledger_job_id, user_id=job.user_id, purpose="library"),
            requeued_if_database_drops(job, self),
        ):
            run_refresh_job(job)


@shared_task(**RETRY_TRANSIENT)
def enrich_task(self, job_pk: int) -> None:
    from playlists.enrichment import run_enrichment_job

    job = claim(Enrichment, job_pk)
    if job is not None:
        with (
            job_context(job_id=job.ledger_job_id, user_id=job.user_id, purpose="enrichment"),
            requeued_if_database_drops(job, self),
        ):
            run_enrichment_job(job)


@shared_task(**RETRY_TRANSIENT)
def import_task(self, job_pk: int) -> None:
    from playlists.imports.jobs import run_import_job

    job = claim(PlaylistImport, job_pk)
    if job is not None:
        with requeued_if_database_drops(job, self):
            run_import_job(job)
