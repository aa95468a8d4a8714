"""Celery tasks for downloads: thin, ids in, one engine call out (downloads.engine)."""

from celery import shared_task

from core.retry import RETRY_TRANSIENT
from downloads import engine


@shared_task
def pump_searches(instance: str) -> None:
    """Start the next queued search of one slskd, if its gate allows."""
    engine.pump(instance)


@shared_task
def advance_download(pk: int) -> None:
    """One step of one download (poll its search, enqueue or poll its transfer)."""
    engine.advance(pk)


@shared_task(**RETRY_TRANSIENT)
def start_playlist_run(self, run_pk: int) -> None:
    """Queue a search for every missing track of a playlist."""
    engine.run_playlist(run_pk, self)


@shared_task
def sweep() -> dict:
    """Beat: retry due wishlist entries, rescue overdue downloads, look at every queue."""
    return engine.sweep()
