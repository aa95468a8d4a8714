"""Tasks that exist only for the tests; the test worker loads them with --include."""

import os
import signal

from celery import shared_task
from celery.signals import task_prerun
from django.core.cache import cache

from spotify.errors import TransportError


@shared_task(
    bind=True, autoretry_for=(TransportError,), retry_backoff=1, retry_jitter=False, max_retries=2
)
def always_fails_transiently(self, marker: str) -> None:
    attempts = cache.get(f"attempts:{marker}", 0) + 1
    cache.set(f"attempts:{marker}", attempts, timeout=600)
    raise TransportError(f"Spotify did not answer (attempt {attempts})")


# --- a job that kills its worker --------------------------------------------------------------
# A history file named like this stands in for the 400 KB, deeply nested file that drove a worker
# to 17 GB until the kernel killed it: the worker that reads it dies at once, as by the OOM killer
# (SIGKILL: no exception, no clean-up, no ack). Installed in test workers only, at their first
# task; everything around it (claim, rescue, quarantine) is the product's own.
KILLS_ITS_WORKER = "kills-its-worker"


@task_prerun.connect
def _install_the_worker_killer(**_kwargs) -> None:
    from archive import importer

    if getattr(importer._read_file, "kills_workers", False):
        return
    read_file = importer._read_file

    def reading_that_kills(job, import_file, *args, **kwargs):
        if KILLS_ITS_WORKER in import_file.name:
            os.kill(os.getpid(), signal.SIGKILL)
        return read_file(job, import_file, *args, **kwargs)

    reading_that_kills.kills_workers = True
    importer._read_file = reading_that_kills
