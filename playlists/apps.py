from django.apps import AppConfig


class PlaylistsConfig(AppConfig):
    name = "playlists"
    verbose_name = "Library"

    def ready(self) -> None:
        from playlists import signals  # noqa: F401 - receivers
