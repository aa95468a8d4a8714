"""The one chokepoint for requests to MusicBrainz (reference/musicbrainz-api.md §1, §7, §9), on
the outbound kit (core.outbound).

- A descriptive User-Agent with the operator's contact (`MUSICBRAINZ_CONTACT`); without one no
  request is sent at all, since MusicBrainz blocks anonymous clients.
- Pacing: one request every 1.1 s for the whole installation (MusicBrainz limits per source
  IP), on the kit's shared slot scheduler (core.pacing: Redis when REDIS_URL is set, this
  process otherwise).
- 503 (per-IP limit or load shedding): honour Retry-After (at least 1 s), back off 1→2→4→8 s
  and push the shared schedule back so the other workers wait too; after that, raise
  `Unavailable` with a time to come back — the job pauses, no worker sleeps for minutes.
  Other 5xx and transport errors: the same bounded backoff (all requests are GETs).
- 404 → `NotFound` (callers cache the miss), 400 → `BadRequest` (a bug: never retried),
  403 → `Blocked` (the User-Agent is refused: stop).
- Every request lands in the call ledger with service "musicbrainz" and the caller's purpose.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings

from core import clock, outbound, pacing
from core.errors import Deferred, PermanentError, ServiceError
from core.outbound import CallContext, RetryPolicy, ServiceConfig

logger = logging.getLogger(__name__)

BASE_URL = "https://musicbrainz.org/ws/2"
APP = "musicbrainz"
VERSION = "0.1"
INTERVAL_SECONDS = 1.1
MAX_SLOT_WAIT_SECONDS = 30.0  # a slot further ahead is not waited for: the job pauses
MAX_RETRIES = 4
BACKOFF_CAP_SECONDS = 16.0
COME_BACK_AFTER = timedelta(minutes=2)
TIMEOUT = (5, 15)  # search can take 3 s on the server
PLACEHOLDER_CONTACTS = {"", "you@example.com", "email@example.com", "changeme", "contact"}


class MusicBrainzError(ServiceError):
    status = 0


class NotConfigured(MusicBrainzError, PermanentError):
    """No MUSICBRAINZ_CONTACT: MusicBrainz asks every client for a way to reach its operator."""


class NotFound(MusicBrainzError, PermanentError):
    status = 404


class BadRequest(MusicBrainzError, PermanentError):
    status = 400


class Blocked(MusicBrainzError, PermanentError):
    status = 403


class Unavailable(MusicBrainzError, Deferred):
    """MusicBrainz keeps answering 503/5xx or is unreachable: come back at `until`."""

    status = 503

    def __init__(self, message: str, *, until: datetime):
        super().__init__(message, until=until, reason="MusicBrainz busy")


def user_agent() -> str:
    contact = (settings.MUSICBRAINZ_CONTACT or "").strip()
    if contact.lower() in PLACEHOLDER_CONTACTS:
        raise NotConfigured(
            "Set MUSICBRAINZ_CONTACT (an email address or URL) to enable MusicBrainz enrichment"
        )
    return f"Tunekeeper/{VERSION} ( {contact} )"


SERVICE = ServiceConfig(
    name=APP,
    user_agent=f"Tunekeeper/{VERSION}",  # each request adds the operator's contact
    rate=1 / INTERVAL_SECONDS,
    timeout=TIMEOUT,
    retry=RetryPolicy(
        max_retries=MAX_RETRIES,
        backoff_base=1.0,  # 1, 2, 4, 8 s, and never less than Retry-After
        backoff_cap=BACKOFF_CAP_SECONDS,
        retry_after_statuses=frozenset({503}),
        hold_schedule=True,
    ),
    max_slot_wait=MAX_SLOT_WAIT_SECONDS,
    pool_maxsize=4,
)


def reserve() -> float:
    """Reserve the next send slot; returns the seconds to wait for it (tests, benchmarks)."""
    return pacing.reserve(APP, INTERVAL_SECONDS)


def reset() -> None:
    """Forget the schedule (tests; an operator after an outage)."""
    pacing.reset(APP)


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or str(response.status_code)
    return str(body.get("error") if isinstance(body, dict) else body)[:300]


def get(context: CallContext, endpoint: str, path: str, params: dict | None = None) -> Any:
    """GET one resource as JSON (or text for `fmt=txt`), paced, retried, recorded."""
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    query = {"fmt": "json", **(params or {})}
    url = f"{getattr(settings, 'MUSICBRAINZ_BASE_URL', BASE_URL)}{path}"
    try:
        response = outbound.send(
            SERVICE, context, "GET", url, endpoint=endpoint, params=query, headers=headers
        )
    except outbound.Backlogged as error:
        raise Unavailable("too much MusicBrainz work queued", until=error.until) from error
    except outbound.Unreachable as error:
        raise Unavailable(
            "MusicBrainz is unreachable; enrichment resumes later",
            until=clock.now() + COME_BACK_AFTER,
        ) from error
    status = response.status_code
    if status < 300:
        if query.get("fmt") == "txt":
            return response.text
        return response.json()
    if status == 404:
        raise NotFound(f"{endpoint}: not found")
    if status == 400:
        raise BadRequest(f"{endpoint}: {_error_text(response)}")
    if status in (401, 403):
        raise Blocked(f"{endpoint}: {status} {_error_text(response)} (User-Agent refused?)")
    if status < 500:
        raise MusicBrainzError(f"{endpoint}: {status} {_error_text(response)}")
    raise Unavailable(
        "MusicBrainz is busy or unreachable; enrichment resumes later",
        until=clock.now() + COME_BACK_AFTER,
    )
