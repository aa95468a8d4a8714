"""The one chokepoint for requests to MusicBrainz (reference/musicbrainz-api.md §1, §7, §9).

- A descriptive User-Agent with the operator's contact (`MUSICBRAINZ_CONTACT`); without one no
  request is sent at all, since MusicBrainz blocks anonymous clients.
- Pacing: one request every 1.1 s for the whole installation (MusicBrainz limits per source
  IP), from a schedule in Redis when REDIS_URL is set — every worker and web process reserves
  its slot there — or in this process otherwise.
- 503 (per-IP limit or load shedding): honour Retry-After (at least 1 s), back off 1→2→4→8 s
  and push the shared schedule back so the other workers wait too; after that, raise
  `Unavailable` with a time to come back — the job pauses, no worker sleeps for minutes.
  Other 5xx and transport errors: the same bounded backoff (all requests are GETs).
- 404 → `NotFound` (callers cache the miss), 400 → `BadRequest` (a bug: never retried),
  403 → `Blocked` (the User-Agent is refused: stop).
- Every request is written to the call ledger (spotify.models.ApiCall) with app "musicbrainz"
  and the caller's purpose (enrichment).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from core import clock
from spotify.http import CallContext, record

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


class MusicBrainzError(Exception):
    status = 0


class NotConfigured(MusicBrainzError):
    """No MUSICBRAINZ_CONTACT: MusicBrainz asks every client for a way to reach its operator."""


class NotFound(MusicBrainzError):
    status = 404


class BadRequest(MusicBrainzError):
    status = 400


class Blocked(MusicBrainzError):
    status = 403


class Unavailable(MusicBrainzError):
    """MusicBrainz keeps answering 503/5xx or is unreachable: come back at `until`."""

    status = 503

    def __init__(self, message: str, *, until: datetime):
        super().__init__(message)
        self.until = until


def user_agent() -> str:
    contact = (settings.MUSICBRAINZ_CONTACT or "").strip()
    if contact.lower() in PLACEHOLDER_CONTACTS:
        raise NotConfigured(
            "Set MUSICBRAINZ_CONTACT (an email address or URL) to enable MusicBrainz enrichment"
        )
    return f"Tunekeeper/{VERSION} ( {contact} )"


# --- pacing -------------------------------------------------------------------------------------

_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local floor = tonumber(ARGV[3])
local next_slot = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_slot, floor)
redis.call('SET', KEYS[1], slot + interval, 'PX', 600000)
return tostring(slot - now)
"""
_HOLD = """
local until = tonumber(ARGV[1])
local next_slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if until > next_slot then redis.call('SET', KEYS[1], until, 'PX', 600000) end
return 1
"""

_local_lock = threading.Lock()
_local_next = 0.0
_redis_client = None


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis_client


def _key() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "tk"
    return f"{prefix}:pace:{APP}"


def _reserve_local(now: float) -> float:
    global _local_next
    with _local_lock:
        slot = max(now, _local_next)
        _local_next = slot + INTERVAL_SECONDS
        return slot - now


def _follow(not_before: float) -> None:
    """Note a slot (or hold) the shared schedule gave out, in this process's own schedule."""
    global _local_next
    with _local_lock:
        _local_next = max(_local_next, not_before)


def reserve() -> float:
    """Reserve the next send slot; returns the seconds to wait for it.

    The shared schedule (Redis) and this process's own one keep each other's last slot, so a
    Redis that goes away or comes back empty never lets this process send sooner than 1/s.
    """
    now = clock.monotonic()
    if settings.REDIS_URL:
        try:
            # One time base for every process: wall-clock seconds.
            wall = clock.now().timestamp()
            floor = wall + (_local_next - now)
            script = _redis().register_script(_RESERVE)
            wait = float(script(keys=[_key()], args=[wall, INTERVAL_SECONDS, floor]))
            _follow(now + wait + INTERVAL_SECONDS)
            return max(wait, 0.0)
        except Exception:  # Redis away: pace this process on its own rather than not at all
            logger.warning("MusicBrainz pacing falls back to this process: Redis unavailable")
    return _reserve_local(clock.monotonic())


def hold(seconds: float) -> None:
    """Nobody sends before `seconds` from now (after a 503)."""
    if settings.REDIS_URL:
        try:
            _redis().register_script(_HOLD)(keys=[_key()], args=[clock.now().timestamp() + seconds])
        except Exception:  # Redis away: hold this process only
            logger.warning("MusicBrainz hold applies to this process only: Redis unavailable")
    _follow(clock.monotonic() + seconds)


def reset() -> None:
    """Forget the schedule (tests; an operator after an outage)."""
    global _local_next
    with _local_lock:
        _local_next = 0.0
    if settings.REDIS_URL:
        try:
            _redis().delete(_key())
        except Exception:  # nothing to reset when Redis is away
            return


# --- sending ------------------------------------------------------------------------------------

_session: requests.Session | None = None


def session() -> requests.Session:
    global _session
    if _session is None:
        _session = requests.Session()
        _session.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=0))
        _session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=0))
    return _session


def _retry_after(response: requests.Response) -> float:
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        return max(float(value), 1.0)
    except ValueError:
        return 1.0


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
    for attempt in range(MAX_RETRIES + 1):
        wait = reserve()
        if wait > MAX_SLOT_WAIT_SECONDS:
            raise Unavailable(
                "too much MusicBrainz work queued", until=clock.now() + timedelta(seconds=wait)
            )
        clock.sleep(wait)
        started = clock.monotonic()
        try:
            response = session().get(url, params=query, headers=headers, timeout=TIMEOUT)
        except (requests.Timeout, requests.ConnectionError):
            record(context, "GET", endpoint, 0, started, app=APP)
            delay = None
        else:
            status = response.status_code
            retry_after = _retry_after(response) if status == 503 else None
            record(
                context,
                "GET",
                endpoint,
                status,
                started,
                int(retry_after) if retry_after else None,
                app=APP,
            )
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
            delay = retry_after
        backoff = min(2.0**attempt, BACKOFF_CAP_SECONDS)
        delay = max(delay or 0.0, backoff)
        if attempt == MAX_RETRIES:
            break
        hold(delay)  # every worker waits, not only this one
    raise Unavailable(
        "MusicBrainz is busy or unreachable; enrichment resumes later",
        until=clock.now() + COME_BACK_AFTER,
    )
