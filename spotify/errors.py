"""What can go wrong when talking to Spotify, as types a caller can act on."""

from __future__ import annotations

from datetime import datetime

from core.errors import Deferred, PermanentError, ServiceError, TransientError


class SpotifyError(ServiceError):
    """Base of every gateway error. `status` is the HTTP status, 0 for transport failures."""


class NeedsReconnect(SpotifyError, PermanentError):
    """The user's grant is gone (revoked, or the 6-month refresh-token lifetime ended)."""

    status = 401


class Forbidden(SpotifyError, PermanentError):
    """403. `reason` tells why: removed in development mode, missing scope, or not the owner."""

    status = 403
    REMOVED_IN_DEVELOPMENT_MODE = "removed in development mode"
    MISSING_SCOPE = "missing scope"
    NOT_OWNER = "not owner or collaborator"
    OTHER = "forbidden"

    def __init__(self, message: str, *, reason: str, endpoint: str = ""):
        super().__init__(message, endpoint=endpoint)
        self.reason = reason


class NotFound(SpotifyError, PermanentError):
    status = 404


class BadRequest(SpotifyError, PermanentError):
    status = 400


class ServerError(SpotifyError, TransientError):
    """5xx after the retries an idempotent request is allowed (or at once for a POST)."""

    status = 500


class TransportError(SpotifyError, TransientError):
    """Timeout or connection failure after the allowed retries."""


class Paused(SpotifyError, Deferred):
    """Spotify work must wait until `until`; a task re-schedules itself for then.

    `reason` is shown to people: "daily quota", "rate limit", "budget" or "outage".
    """

    status = 429

    def __init__(self, message: str, *, until: datetime, reason: str, endpoint: str = ""):
        super().__init__(message, until=until, reason=reason, endpoint=endpoint)


class QuotaExceeded(Paused):
    """Spotify's daily quota (429 with reason QUOTA_EXCEEDED): often ~24 hours."""


class RateLimited(Paused):
    """The 30-second window: Retry-After longer than we wait in-process, or retries used up."""


class BudgetExhausted(Paused):
    """Tunekeeper's own daily budget (SPOTIFY_DAILY_BUDGET) is spent; background work waits."""


class CircuitOpen(Paused):
    """Spotify keeps failing (5xx, timeouts): calls stop for a cool-down instead of piling up."""
