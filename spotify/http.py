"""The one chokepoint for every request to Spotify's Web API.

Order of work per request: persisted pause → circuit breaker → daily budget → pacing slot →
send (pooled session, timeouts, User-Agent, bearer token) → ledger row → the response policy:

- 2xx: done. 401: refresh the token once and resend; a second 401 means reconnect.
- 429: Retry-After (seconds or an HTTP date; +1 s; 5 s when missing). Short waits are slept
  and retried (at most 5 times); a long wait or `QUOTA_EXCEEDED` persists a pause for the app
  and raises `Paused`, which tasks turn into a re-schedule. No worker sleeps for minutes.
- 5xx, timeouts, connection errors: bounded exponential backoff with full jitter, for idempotent
  requests only. A POST that adds items is never resent: the caller re-reads the playlist.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings

from core import clock, outbound
from core.outbound import CallContext
from spotify import pacing, shares, state, tokens
from spotify.errors import (
    BadRequest,
    BudgetExhausted,
    CircuitOpen,
    Forbidden,
    NeedsReconnect,
    NotFound,
    Paused,
    QuotaExceeded,
    RateLimited,
    ServerError,
    SpotifyError,
    TransportError,
)
from spotify.models import Connection

logger = logging.getLogger(__name__)

USER_AGENT = "Tunekeeper/0.1 (self-hosted Spotify library keeper)"
MAX_SHORT_429_RETRIES = 5
MAX_TRANSIENT_RETRIES = 4
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
DEFAULT_RETRY_AFTER = 5

# Endpoints Spotify removed for development-mode apps: a 403 there is not about permissions.
REMOVED_IN_DEVELOPMENT_MODE = {
    "GET /tracks",
    "GET /artists",
    "GET /albums",
    "PUT /me/tracks",
    "DELETE /me/tracks",
    "PUT /me/albums",
    "DELETE /me/albums",
    "PUT /me/following",
    "DELETE /me/following",
}

# Spotify on the outbound kit: its session (User-Agent, pool) and ledger. Pacing, retries and
# the budget are Spotify's own policy below (spotify.pacing and spotify.state), not the kit's.
SERVICE = outbound.ServiceConfig(name="spotify", user_agent=USER_AGENT, pool_maxsize=16)

_jitter = random.Random()


def session() -> requests.Session:
    return outbound.session(SERVICE)


def _url(path: str) -> str:
    if path.startswith("http://") or path.startswith("https://"):
        return path
    return f"{settings.SPOTIFY_API_BASE_URL}{path}"


def parse_retry_after(value: str | None) -> int:
    """Seconds to wait, from a Retry-After of seconds or an HTTP date, plus one second."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        return int(value) + 1
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(int((moment - clock.now()).total_seconds()), 0) + 1


def _error_body(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def record(
    context: CallContext,
    method: str,
    endpoint: str,
    status: int,
    started: float,
    retry_after: int | None = None,
    app: str | None = None,
) -> None:
    """A ledger row for a Spotify request (`app`: "accounts" for the token service)."""
    outbound.record(
        SERVICE, context, method, endpoint, status, started, retry_after, app=app or state.app_id()
    )
    if app is None:
        state.count_call()
        if context.user_id and not context.interactive:
            shares.count(context.user_id, app or state.app_id())


OPERATOR_HOLD_RECHECK = timedelta(minutes=10)


def _check_user(context: CallContext, endpoint: str) -> None:
    """Background work stops for a user whose Spotify grant is gone or whom an operator held."""
    row = (
        Connection.objects.filter(user_id=context.user_id)
        .values("needs_reconnect_since", "jobs_paused_at")
        .first()
    )
    if row is None:
        return
    if row["needs_reconnect_since"]:
        raise NeedsReconnect("Spotify needs reconnecting; background work waits", endpoint=endpoint)
    if row["jobs_paused_at"]:
        raise Paused(
            "an operator paused this user's jobs",
            until=clock.now() + OPERATOR_HOLD_RECHECK,
            reason="paused by operator",
            endpoint=endpoint,
        )


def _check_gates(context: CallContext, endpoint: str) -> None:
    if context.user_id and not context.interactive:
        _check_user(context, endpoint)
    pause = state.current_pause()
    if pause:
        raise (QuotaExceeded if pause.reason == "daily quota" else Paused)(
            f"Spotify paused until {pause.until:%H:%M} UTC ({pause.reason})",
            until=pause.until,
            reason=pause.reason,
            endpoint=endpoint,
        )
    breaker = state.breaker_allows()
    if breaker.state == "open":
        raise CircuitOpen(
            "Spotify keeps failing; calls resume after a cool-down",
            until=breaker.open_until,
            reason="outage",
            endpoint=endpoint,
        )
    if state.budget_left() <= 0:
        if not context.interactive:
            raise BudgetExhausted(
                f"the daily budget of {settings.SPOTIFY_DAILY_BUDGET} Spotify calls is spent",
                until=state.next_budget_day(),
                reason="budget",
                endpoint=endpoint,
            )
        logger.warning(
            "daily Spotify budget spent; interactive call goes ahead", extra={"endpoint": endpoint}
        )
    if context.user_id and not context.interactive and shares.left(context.user_id) <= 0:
        # This person's share is spent: their background work waits for tomorrow; nobody
        # else's does (DESIGN 13).
        raise BudgetExhausted(
            f"your daily share of {shares.share()} background Spotify calls is spent; "
            "it goes on tomorrow",
            until=state.next_budget_day(),
            reason=shares.REASON,
            endpoint=endpoint,
        )


def _wait_for_slot(context: CallContext, endpoint: str) -> None:
    wait = pacing.reserve(state.app_id(), interactive=context.interactive)
    if wait > pacing.MAX_BACKLOG_SECONDS:
        until = clock.now() + timedelta(seconds=wait)
        raise RateLimited(
            "too much Spotify work queued; resuming later",
            until=until,
            reason="rate limit",
            endpoint=endpoint,
        )
    clock.sleep(wait)


def _backoff(attempt: int) -> None:
    clock.sleep(_jitter.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))


def _forbidden_reason(endpoint: str, message: str) -> str:
    text = message.lower()
    old_items_path = endpoint.endswith(" /playlists/{id}/tracks")
    if endpoint in REMOVED_IN_DEVELOPMENT_MODE or old_items_path:
        return Forbidden.REMOVED_IN_DEVELOPMENT_MODE
    if "scope" in text:
        return Forbidden.MISSING_SCOPE
    if "/playlists/" in endpoint:
        return Forbidden.NOT_OWNER
    return Forbidden.OTHER


def call(
    context: CallContext,
    method: str,
    endpoint: str,
    path: str,
    *,
    params: dict | None = None,
    json: Any = None,
    idempotent: bool | None = None,
) -> Any:
    """Send one logical request (with the retries the policy allows); return the JSON body."""
    if idempotent is None:
        idempotent = method in ("GET", "PUT", "DELETE")
    url = _url(path)
    refreshed = False
    short_waits = 0
    transient_failures = 0
    while True:
        _check_gates(context, endpoint)
        _wait_for_slot(context, endpoint)
        token = tokens.access_token(context.user_id, force=False) if context.user_id else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = clock.monotonic()
        try:
            response = session().request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=(5, settings.SPOTIFY_TIMEOUT_SECONDS),
            )
        except (requests.Timeout, requests.ConnectionError) as error:
            record(context, method, endpoint, 0, started)
            state.record_failure()
            if idempotent and transient_failures < MAX_TRANSIENT_RETRIES:
                transient_failures += 1
                _backoff(transient_failures)
                continue
            raise TransportError(
                f"{endpoint}: {type(error).__name__}", endpoint=endpoint
            ) from error

        status = response.status_code
        retry_after = (
            parse_retry_after(response.headers.get("Retry-After")) if status == 429 else None
        )
        record(context, method, endpoint, status, started, retry_after)

        if status < 300:
            state.record_success()
            pacing.recover(state.app_id())
            if status == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                return None  # some writes answer 200 with an empty or non-JSON body

        error = _error_body(response)
        message = str(error.get("message") or response.reason or status)
        if status == 401:
            if context.user_id and not refreshed:
                refreshed = True
                tokens.access_token(context.user_id, force=True, stale=token)
                continue
            raise NeedsReconnect(f"{endpoint}: {message}", endpoint=endpoint)
        if status == 429:
            if error.get("reason") == "QUOTA_EXCEEDED":
                until = clock.now() + timedelta(seconds=retry_after)
                state.persist_pause(until, "daily quota")
                raise QuotaExceeded(
                    f"Spotify's daily quota is used up until {until:%H:%M} UTC",
                    until=until,
                    reason="daily quota",
                    endpoint=endpoint,
                )
            pacing.slow_down(state.app_id())
            if (
                retry_after <= settings.SPOTIFY_SHORT_WAIT_SECONDS
                and short_waits < MAX_SHORT_429_RETRIES
            ):
                short_waits += 1
                clock.sleep(retry_after)
                continue
            until = clock.now() + timedelta(seconds=retry_after)
            state.persist_pause(until, "rate limit")
            raise RateLimited(
                f"Spotify's rate limit: paused until {until:%H:%M:%S} UTC",
                until=until,
                reason="rate limit",
                endpoint=endpoint,
            )
        if status >= 500:
            state.record_failure()
            if idempotent and transient_failures < MAX_TRANSIENT_RETRIES:
                transient_failures += 1
                _backoff(transient_failures)
                continue
            raise ServerError(f"{endpoint}: {status} {message}", status=status, endpoint=endpoint)
        if status == 403:
            raise Forbidden(
                f"{endpoint}: {message}",
                reason=_forbidden_reason(endpoint, message),
                endpoint=endpoint,
            )
        if status == 404:
            raise NotFound(f"{endpoint}: {message}", endpoint=endpoint)
        if status == 400:
            raise BadRequest(f"{endpoint}: {message}", endpoint=endpoint)
        raise SpotifyError(f"{endpoint}: {status} {message}", status=status, endpoint=endpoint)
