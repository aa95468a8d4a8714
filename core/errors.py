"""What can go wrong when talking to an outside service, as types that say what to do next.

Every service's own error tree (spotify.errors, downloads.errors, MusicBrainz's) subclasses
these, so code that does not care which service failed — the task retry policy, a job's
failure handling — can still tell a hiccup from a dead end:

- `TransientError`: the same request may well work in a little while (5xx, timeout, refused
  connection). Tasks retry these with backoff (core.retry).
- `Deferred`: the service said when to come back (`until`): a quota, a long Retry-After, an
  open circuit. The job re-schedules itself for then; it is not retried in a loop.
- `PermanentError`: sending it again changes nothing (bad request, not found, refused
  credentials) until a person changes something.
"""

from __future__ import annotations

from datetime import datetime


class ServiceError(Exception):
    """Base of every outbound error. `status` is the HTTP status, 0 for transport failures."""

    status: int = 0
    # Worth trying again later without anyone changing anything.
    transient: bool = False

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = ""):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.endpoint = endpoint


class TransientError(ServiceError):
    transient = True


class PermanentError(ServiceError):
    transient = False


class Deferred(ServiceError):
    """Come back at `until`; `reason` is shown to people."""

    transient = True

    def __init__(self, message: str, *, until: datetime, reason: str = "", endpoint: str = ""):
        super().__init__(message, endpoint=endpoint)
        self.until = until
        self.reason = reason
