"""The one chokepoint for every request to slskd (the only module in downloads/ that imports
requests).

Every call: pooled session, connect and read timeouts (a hung slskd must never wedge a worker),
the `X-API-Key` header, JSON in and out, and the status mapped to a typed error. Idempotent
reads are retried twice after a short pause on 5xx or a transport failure; writes (POST) are
never resent here, because slskd may have acted on them: the caller decides (a search is
re-created by the throttle's next slot, an enqueue is re-read by its batch id).

The API key is never logged and never part of an error message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

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
from spotify import clock

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v0"
USER_AGENT = "Tunekeeper/0.1 (self-hosted; slskd client)"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
READ_RETRIES = 2
RETRY_PAUSE_SECONDS = 0.5

_session: requests.Session | None = None


def session() -> requests.Session:
    global _session
    if _session is None:
        _session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        _session.mount("https://", adapter)
        _session.mount("http://", adapter)
        _session.headers["User-Agent"] = USER_AGENT
    return _session


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
    idempotent = method in ("GET", "PUT", "DELETE")
    attempt = 0
    while True:
        started = clock.monotonic()
        try:
            response = session().request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, read_timeout),
                verify=endpoint.verify_tls,
                allow_redirects=False,
            )
        except (requests.Timeout, requests.ConnectionError) as error:
            if idempotent and attempt < READ_RETRIES:
                attempt += 1
                clock.sleep(RETRY_PAUSE_SECONDS * attempt)
                continue
            raise TransportError(
                f"{label}: slskd did not answer ({type(error).__name__})", endpoint=label
            ) from error
        except requests.RequestException as error:
            raise TransportError(f"{label}: {type(error).__name__}", endpoint=label) from error
        status = response.status_code
        logger.debug(
            "slskd %s -> %s in %.0f ms", label, status, (clock.monotonic() - started) * 1000
        )
        if status < 300 or status in accept:
            if status == 204 or not response.content:
                return status, None
            try:
                return status, response.json()
            except ValueError:
                return status, response.text
        if status >= 500 and idempotent and attempt < READ_RETRIES:
            attempt += 1
            clock.sleep(RETRY_PAUSE_SECONDS * attempt)
            continue
        raise _error_for(
            status,
            _message(response),
            label,
            searching=(method == "POST" and label.endswith("/searches")),
        )
