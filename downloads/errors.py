"""What can go wrong when talking to slskd, as types a caller can act on."""

from __future__ import annotations

from datetime import datetime

from core.errors import Deferred, PermanentError, ServiceError, TransientError


class SlskdError(ServiceError):
    """Base of every slskd error. `status` is the HTTP status, 0 for transport failures."""


class Unauthorized(SlskdError, PermanentError):
    """401: the API key is wrong, or slskd's CIDR rule refuses our address."""

    status = 401


class NotLoggedIn(SlskdError, TransientError):
    """409 on a search: slskd is up but not logged in to the Soulseek network."""

    status = 409


class Busy(SlskdError, TransientError):
    """429: another search or two enqueues were being processed at that instant (slskd ≥0.24)."""

    status = 429


class NotFound(SlskdError, PermanentError):
    """404: unknown search or transfer, or (on enqueue) the peer is offline."""

    status = 404


class Conflict(SlskdError, PermanentError):
    """409 outside searches, e.g. a download batch with that id already exists."""

    status = 409


class BadRequest(SlskdError, PermanentError):
    status = 400


class ServerError(SlskdError, TransientError):
    status = 500


class TransportError(SlskdError, TransientError):
    """Timeout or connection failure: slskd is unreachable or hung."""


class NotConfigured(SlskdError, PermanentError):
    """No slskd URL at all (production without SLSKD_URL): nothing to retry until one is set."""


class SearchesPaused(SlskdError, Deferred):
    """Searching on this slskd waits until `until` (the throttle, or a suspected flood ban)."""

    def __init__(self, message: str, *, until: datetime, reason: str):
        super().__init__(message, until=until, reason=reason)
