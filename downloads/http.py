"""The one chokepoint for every request to slskd (the only module in downloads/ that imports
requests), on the outbound kit (core.outbound).

Every call: the kit's pooled session, connect and read timeouts (a hung slskd must never wedge a
worker), the `X-API-Key` header, JSON in and out, a ledger row (service "slskd"), and the status
mapped to a typed error. Idempotent reads are retried twice after a short pause on 5xx or a
transport failure; writes (POST) are never resent here, because slskd may have acted on them:
the caller decides (a search is re-created by the throttle's next slot, an enqueue is re-read by
its batch id). No pacing here: slskd is the household's own daemon, and the one thing it must
not do too often — searching the Soulseek network — has its own throttle (downloads.throttle).

The API key is never logged and never part of an error message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests

from core import outbound
from core.outbound import CallContext, RetryPolicy, ServiceConfig
from downloads.errors import (
    BadRequest,
    Busy,
    Conflict,
    NotConfigured,
    NotFound,
    NotLoggedIn,
    ServerError,
    SlskdError,
    TransportError,
    Unauthorized,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v0"
USER_AGENT = "Tunekeeper/0.1 (self-hosted; slskd client)"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
READ_RETRIES = 2
RETRY_PAUSE_SECONDS = 0.5

SERVICE = ServiceConfig(
    name="slskd",
    user_agent=USER_AGENT,
    timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
    retry=RetryPolicy(
        max_retries=READ_RETRIES,
        backoff_base=RETRY_PAUSE_SECONDS,  # 0.5 s, then 1 s
        retry_after_statuses=frozenset(),
    ),
)
CONTEXT = CallContext(user_id=None, purpose="downloads")


def session() -> requests.Session:
    return outbound.session(SERVICE)


@dataclass(frozen=True)
class Endpoint:
    """Where one slskd instance answers and the key it accepts."""

    base_url: str  # scheme://host:port plus slskd's optional url_base, no trailing slash
    api_key: str
    verify_tls: bool = True

    def __repr__(self) -> str:  # keeps the key out of logs and tracebacks
        return f"Endpoint({self.base_url!r})"


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = response.text[:200]
    if isinstance(body, dict):
        body = body.get("message") or body.get("title") or body.get("error") or ""
    return str(body or response.reason or response.status_code)[:300]


def _error_for(status: int, message: str, label: str, *, searching: bool) -> SlskdError:
    text = f"{label}: {status} {message}"
    if status == 401 or status == 403:
        return Unauthorized(text, status=status, endpoint=label)
    if status == 404:
        return NotFound(text, endpoint=label)
    if status == 409:
        # On POST /searches a 409 means slskd is not on the Soulseek network.
        cls = NotLoggedIn if searching else Conflict
        return cls(text, endpoint=label)
    if status == 429:
        return Busy(text, endpoint=label)
    if status == 400:
        return BadRequest(text, endpoint=label)
    if status >= 500:
        return ServerError(text, status=status, endpoint=label)
    return SlskdError(text, status=status, endpoint=label)


def call(
    endpoint: Endpoint,
    method: str,
    path: str,
    *,
    label: str,
    params: dict | None = None,
    json: Any = None,
    api: bool = True,
    read_timeout: float = READ_TIMEOUT,
    accept: tuple[int, ...] = (),
) -> tuple[int, Any]:
    """Send one request; return (status, parsed JSON body or None).

    `label` is the endpoint template for logs and errors ("GET /searches/{id}"). Statuses in
    `accept` are returned instead of raised (e.g. 404 on a delete that may already be done).
    """
    if not endpoint.base_url:
        raise NotConfigured(
            f"{label}: no slskd URL (set SLSKD_URL, or your own in the download settings)",
            endpoint=label,
        )
    url = endpoint.base_url + (API_PREFIX if api else "") + path
    headers = {"X-API-Key": endpoint.api_key} if endpoint.api_key else {}
    if json is not None:
        headers["Content-Type"] = "application/json"
    try:
        response = outbound.send(
            SERVICE,
            CONTEXT,
            method,
            url,
            endpoint=label,
            idempotent=method in ("GET", "PUT", "DELETE"),
            params=params,
            json=json,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, read_timeout),
            verify=endpoint.verify_tls,
            allow_redirects=False,
        )
    except outbound.Unreachable as error:
        raise TransportError(
            f"{label}: slskd did not answer ({type(error.__cause__).__name__})", endpoint=label
        ) from error
    status = response.status_code
    if status < 300 or status in accept:
        if status == 204 or not response.content:
            return status, None
        try:
            return status, response.json()
        except ValueError:
            return status, response.text
    raise _error_for(
        status,
        _message(response),
        label,
        searching=(method == "POST" and label.endswith("/searches")),
    )
