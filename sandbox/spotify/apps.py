from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class SandboxConfig(AppConfig):
    name = "sandbox.spotify"
    label = "sandbox"
    verbose_name = "Sandbox Spotify"

    def ready(self):
        from django.conf import settings

        from sandbox.spotify import faults

        # A bad SANDBOX_FAULTS stops the process at start, like any other bad setting.
        try:
            faults.build(dict(getattr(settings, "SANDBOX_FAULTS", {}) or {}))
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured(f"SANDBOX_FAULTS: {error}") from None
