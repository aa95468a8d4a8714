from django.conf import settings


def sandbox_banner(request) -> dict:
    """A site run with DEBUG off and SANDBOX=true says so on every page (config/sandboxes.py)."""
    return {"sandbox_banner": settings.SANDBOX_BANNER}
