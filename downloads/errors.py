"""What can go wrong when talking to slskd, as types a caller can act on."""

from __future__ import annotations

from datetime import datetime


class SlskdError(Exception):
    """Base of every slskd error. `status` is the HTTP status, 0 for transport failures."""

    status: int = 0
    # Worth trying again later without anyone changing anything.
    transient: bool = False

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = ""):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.endpoint = endpoint


class Unauthorized(SlskdError):
    """401: the API key is wrong, or slskd's CIDR rule refuses our address."""

    status = 401


class NotLoggedIn(SlskdError):
    """409 on a search: slskd is up but not logged in to the Soulseek network."""

    status = 409
    transient = True


class Busy(SlskdError):
    """429: another search or two enqueues were being processed at that instant (slskd ≥0.24)."""

    status = 429
    transient = True


class NotFound(SlskdError):
    """404: unknown search or transfer, or (on enqueue) the peer is offline."""

    status = 404


class Conflict(SlskdError):
    """409 outside searches, e.g. a download batch with that id already exists."""

    status = 409


class BadRequest(SlskdError):
    status = 400


class ServerError(SlskdError):
    status = 500
    transient = True


class TransportError(SlskdError):
    """Timeout or connection failure: slskd is unreachable or hung."""

    transient = True


class NotConfigured(SlskdError):
    """No slskd URL at all (production without SLSKD_URL): nothing to retry until one is set."""


class SearchesPaused(SlskdError):
    """Searching on this slskd waits until `until` (the throttle, or a suspected flood ban)."""

    transient = True

    def __init__(self, message: str, *, until: datetime, reason: str):
        super().__init__(message)
        self.until = until
        self.reason = reason
