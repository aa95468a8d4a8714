from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(sender, **kwargs) -> None:
    # Without Redis the cache lives in the database; `migrate` alone should make it work.
    from django.core.management import call_command

    call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)


class SpotifyConfig(AppConfig):
    name = "spotify"
    verbose_name = "Spotify connection"

    def ready(self) -> None:
        # Local: apps.py is imported before the models are loaded; ready() runs after.
        from core import outbound
        from spotify import signals, tokens  # noqa: F401 - receivers
        from spotify.ledger import call_ledger

        # core imports no app: the ledger that every outbound request lands in is handed to it.
        outbound.use_ledger(call_ledger)
        tokens.connect_encryption()
        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="tk-cache-table")
