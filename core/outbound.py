"""The outbound kit: how Tunekeeper talks to any outside service (in the spirit of healthchecks'
hc/lib/). Each service's chokepoint describes itself once with a `ServiceConfig` and sends
through `send()`:

    budget → pacing slot (core.pacing, shared by every process) → pooled session with timeouts
    and User-Agent → a ledger row (service, endpoint, status, duration) → the retry policy for
    transport failures and 5xx → the final response, for the service to map to its own typed
    errors (which subclass core.errors).

Spotify's chokepoint (spotify/http.py) keeps its own policy — persisted pauses, the daily
quota, the interactive lane, token refresh — and uses the kit's session, scheduler and ledger.

The ledger lives in an app (spotify.models.ApiCall), and core imports no app: the app that owns
it registers it with `use_ledger()` when Django starts.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from core import clock, pacing
from core.errors import Deferred, TransientError

logger = logging.getLogger(__name__)

VERSION = "0.1"


@dataclass(frozen=True)
class RetryPolicy:
    """What happens after a timeout, a refused connection or a 5xx."""

    max_retries: int = 2
    backoff_base: float = 0.5  # the n-th retry waits min(base * 2**n, cap), n from 0
    backoff_cap: float = 8.0
    jitter: bool = False  # full jitter: a random wait up to the backoff
    # A write may have been acted on although the answer never came: never resent blindly.
    idempotent_only: bool = True
    # Statuses whose Retry-After (seconds, at least 1) is the least a retry waits.
    retry_after_statuses: frozenset[int] = frozenset({503})
    # Push the shared schedule back while waiting, so every process waits, not only this one.
    hold_schedule: bool = False

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        backoff = min(self.backoff_base * 2**retry, self.backoff_cap)
        if self.jitter:
            backoff = _jitter.uniform(0, backoff)
        return max(retry_after or 0.0, backoff)


@dataclass(frozen=True)
class ServiceConfig:
    """One outside service: who we say we are, how fast, how patient, how much per day."""

    name: str  # the ledger's `service` and the pacing schedule's name
    user_agent: str
    rate: float | None = None  # calls per second for the whole installation; None: unpaced
    burst: int = 1  # calls that may go at once after a quiet spell
    timeout: tuple[float, float] = (5.0, 30.0)  # connect, read: a hung service never wedges us
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    daily_budget: int | None = None  # calls per UTC day; None: no budget of our own
    max_slot_wait: float = 30.0  # a slot further ahead is not waited for: the job pauses
    pool_maxsize: int = 8

    def configured(self) -> ServiceConfig:
        """This configuration with the operator's overrides from `OUTBOUND_SERVICES`."""
        overrides = (getattr(settings, "OUTBOUND_SERVICES", None) or {}).get(self.name)
        return dataclasses.replace(self, **overrides) if overrides else self


@dataclass(frozen=True)
class CallContext:
    """Who a call is for and why: fills the ledger and picks the pacing lane."""

    user_id: int | None
    purpose: str
    job_id: str = ""
    interactive: bool = False


class Ledger(Protocol):
    def record(
        self,
        *,
        service: str,
        app: str,
        context: CallContext,
        method: str,
        endpoint: str,
        status: int,
        started: float,
        retry_after: int | None,
    ) -> None: ...

    def count_since(self, service: str, since: datetime) -> int: ...


_ledger: Ledger | None = None


def use_ledger(ledger: Ledger) -> None:
    global _ledger
    _ledger = ledger


def ledger() -> Ledger:
    if _ledger is None:
        raise RuntimeError("no call ledger registered (core.outbound.use_ledger)")
    return _ledger


def record(
    service: ServiceConfig | str,
    context: CallContext,
    method: str,
    endpoint: str,
    status: int,
    started: float,
    retry_after: int | None = None,
    *,
    app: str | None = None,
) -> None:
    """One ledger row for a request that was sent (status 0: no answer)."""
    name = service if isinstance(service, str) else service.name
    ledger().record(
        service=name,
        app=app or name,
        context=context,
        method=method,
        endpoint=endpoint,
        status=status,
        started=started,
        retry_after=retry_after,
    )


class Unreachable(TransientError):
    """A timeout or connection failure after the retries the policy allows."""


class Backlogged(Deferred):
    """The next pacing slot is too far ahead to wait for in a worker."""


class BudgetSpent(Deferred):
    """The service's own daily budget (ServiceConfig.daily_budget) is spent until midnight UTC."""


# --- sessions -----------------------------------------------------------------------------------

_sessions: dict[str, requests.Session] = {}
_sessions_lock = threading.Lock()
_jitter = random.Random()


def session(service: ServiceConfig) -> requests.Session:
    """The pooled session of a service: User-Agent set, no urllib3 retries (the policy's)."""
    with _sessions_lock:
        existing = _sessions.get(service.name)
        if existing is None:
            existing = requests.Session()
            adapter = HTTPAdapter(
                pool_connections=4, pool_maxsize=service.pool_maxsize, max_retries=0
            )
            existing.mount("https://", adapter)
            existing.mount("http://", adapter)
            existing.headers["User-Agent"] = service.user_agent
            _sessions[service.name] = existing
        return existing


# --- pacing and budget --------------------------------------------------------------------------


def _midnight_after(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def check_budget(service: ServiceConfig, endpoint: str = "") -> None:
    if not service.daily_budget:
        return
    now = clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if ledger().count_since(service.name, today) >= service.daily_budget:
        raise BudgetSpent(
            f"the daily budget of {service.daily_budget} {service.name} calls is spent",
            until=_midnight_after(now),
            reason="budget",
            endpoint=endpoint,
        )


def wait_for_slot(service: ServiceConfig, *, interactive: bool = False, endpoint: str = "") -> None:
    if not service.rate:
        return
    wait = pacing.reserve(
        service.name, 1.0 / service.rate, interactive=interactive, burst=service.burst
    )
    if wait > service.max_slot_wait:
        raise Backlogged(
            f"too much {service.name} work queued; resuming later",
            until=clock.now() + timedelta(seconds=wait),
            reason="rate limit",
            endpoint=endpoint,
        )
    clock.sleep(wait)


def retry_after_seconds(response: requests.Response) -> float:
    """Retry-After in seconds (at least 1; an HTTP date or garbage counts as 1)."""
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        return max(float(value), 1.0)
    except ValueError:
        return 1.0


# --- sending ------------------------------------------------------------------------------------


def send(
    service: ServiceConfig,
    context: CallContext,
    method: str,
    url: str,
    *,
    endpoint: str,
    idempotent: bool | None = None,
    **request: Any,
) -> requests.Response:
    """Send one logical request with the service's pacing, budget, ledger and retry policy.

    Returns the last response, whatever its status (the service maps it to its errors);
    raises `Unreachable` when no answer came, `Backlogged` / `BudgetSpent` before sending.
    `request` goes to requests (params, json, headers, verify, allow_redirects, timeout).
    """
    service = service.configured()
    policy = service.retry
    if idempotent is None:
        idempotent = method in ("GET", "HEAD", "PUT", "DELETE")
    may_retry = idempotent or not policy.idempotent_only
    request.setdefault("timeout", service.timeout)
    retries = 0
    while True:
        check_budget(service, endpoint)
        wait_for_slot(service, interactive=context.interactive, endpoint=endpoint)
        started = clock.monotonic()
        try:
            response = session(service).request(method, url, **request)
        except (requests.Timeout, requests.ConnectionError) as error:
            record(service, context, method, endpoint, 0, started)
            failure: BaseException = error
            retry_after = None
        except requests.RequestException as error:  # a bad URL, too many redirects…
            record(service, context, method, endpoint, 0, started)
            raise Unreachable(f"{endpoint}: {type(error).__name__}", endpoint=endpoint) from error
        else:
            status = response.status_code
            retry_after = (
                retry_after_seconds(response) if status in policy.retry_after_statuses else None
            )
            record(
                service,
                context,
                method,
                endpoint,
                status,
                started,
                int(retry_after) if retry_after else None,
            )
            if status < 500:
                return response
            failure = None
        if not may_retry or retries >= policy.max_retries:
            if failure is not None:
                raise Unreachable(
                    f"{endpoint}: {service.name} did not answer ({type(failure).__name__})",
                    endpoint=endpoint,
                ) from failure
            return response
        delay = policy.delay(retries, retry_after)
        retries += 1
        if policy.hold_schedule and service.rate:
            pacing.hold(service.name, delay)  # every worker waits, not only this one
        else:
            clock.sleep(delay)
