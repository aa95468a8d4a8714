from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        from celery.signals import worker_ready

        worker_ready.connect(_fail_stale_syncs_at_worker_start, weak=False)


def _fail_stale_syncs_at_worker_start(**_kwargs) -> None:
    # A worker that starts may be the replacement of one that died mid-sync.
    from sync.locks import fail_stale_syncs  # local: apps.py loads before the models

    fail_stale_syncs()
