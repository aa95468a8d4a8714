"""Tasks that exist only for the tests; the test worker loads them with --include."""

from celery import shared_task
from django.core.cache import cache

from spotify.errors import TransportError


@shared_task(
    bind=True, autoretry_for=(TransportError,), retry_backoff=1, retry_jitter=False, max_retries=2
)
def always_fails_transiently(self, marker: str) -> None:
    attempts = cache.get(f"attempts:{marker}", 0) + 1
    cache.set(f"attempts:{marker}", attempts, timeout=600)
    raise TransportError(f"Spotify did not answer (attempt {attempts})")
