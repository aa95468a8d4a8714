"""How tasks retry: transient errors with exponential backoff and jitter, permanent ones never.

    @shared_task(**RETRY_TRANSIENT)
    def refresh(job_id): ...

After the last attempt the failure lands in the dead-letter list (ops.celery_signals).
"""

from core.database import DATABASE_ERRORS
from core.errors import TransientError

TRANSIENT_ERRORS = (
    TransientError,  # each service's 5xx and transport errors subclass it
    *DATABASE_ERRORS,  # Django's, and psycopg's own from the COPY paths
    ConnectionError,
    TimeoutError,
)

RETRY_TRANSIENT = {
    "bind": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,  # 5 s, 10 s, 20 s … (Celery's exponential backoff)
    "retry_backoff_max": 600,
    "retry_jitter": True,  # full jitter: a random delay up to the backoff
    "max_retries": 5,
}
