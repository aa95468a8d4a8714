"""The cache, for state that is only ever a shortcut: while the cache is unreachable (Redis
restarting) reads miss and writes are dropped, instead of failing the work that asked.

Use it only where a miss is safe: the Spotify breaker and budget counter (recounted from the
ledger), the slskd version and pump bookkeeping. Anything that keeps work from running twice
lives in the database.
"""

from __future__ import annotations

import logging

from django.core.cache import cache as _django_cache

logger = logging.getLogger(__name__)


class FailSafeCache:
    def __getattr__(self, name):
        operation = getattr(_django_cache, name)

        def fail_safe(*args, **kwargs):
            try:
                return operation(*args, **kwargs)
            except ValueError:
                raise  # incr of a missing key: the caller handles it
            except Exception:  # the cache is unreachable
                logger.warning("cache unavailable for %s; carrying on without it", name)
                return None

        return fail_safe


fail_safe_cache = FailSafeCache()
