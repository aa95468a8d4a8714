from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "spotify.emulator"
    label = "sandbox"
    verbose_name = "Sandbox Spotify"
