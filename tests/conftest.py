import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# CI sets this: a test that needs a service must fail, not skip, when the service is missing.
REQUIRE_SERVICES = os.environ.get("TUNEKEEPER_REQUIRE_SERVICES") == "1"


def full_trials(request) -> bool:
    """Heavy randomized trials run in full in CI and under `-m chaos`; a plain local run takes a
    few of them, so the default `make test` stays quick."""
    return REQUIRE_SERVICES or "chaos" in (request.config.getoption("markexpr") or "")


def trials(request, *, full: int, quick: int) -> int:
    return full if full_trials(request) else quick


def require_service(available: bool, what: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (TUNEKEEPER_REQUIRE_SERVICES=1) but missing")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session", autouse=True)
def no_stray_database_sessions(django_db_setup, django_db_blocker):
    """At the end of the run, end the sessions other threads still hold on the test database (a
    live server's keep-alive thread keeps its connection until its client hangs up), so that
    the test database can be dropped."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def fresh_spotify_state():
    """Pacing, pause, breaker and budget live partly in Redis, and the sandbox's fault counters
    in this process, which no test transaction rolls back: every test starts and ends with
    them forgotten."""
    from core import clock
    from sandbox.spotify import faults
    from spotify import pacing, state

    def forget():
        pacing.reset(state.app_id())
        faults.forget_counters()
        # The database (cache, fault row) is out of reach in tests without database access.
        with contextlib.suppress(Exception):
            state.forget()
        with contextlib.suppress(Exception):
            faults.reset()

    forget()
    yield
    clock.reset()
    forget()


@pytest.fixture
def sandbox_users(db):
    from sandbox.spotify.seed import seed_users

    return seed_users(3)


@pytest.fixture
def sandbox_site(live_server, settings):
    """Point the Spotify URLs at the sandbox served by the live test server."""
    base = f"{live_server.url}/sandbox-spotify"
    settings.SITE_URL = live_server.url
    settings.SANDBOX_BASE_URL = base
    settings.SPOTIFY_API_BASE_URL = f"{base}/v1"
    settings.SPOTIFY_ACCOUNTS_BASE_URL = f"{base}/accounts"
    yield live_server
    # Hang up the gateway's keep-alive connections: the live server's thread for each one
    # holds a database connection until then, which would keep the test database from being
    # dropped at the end of the run.
    from spotify import http

    http.session().close()


def hidden_inputs(html: str) -> dict[str, str]:
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }


def login_through_sandbox(client, sandbox_user, *, decision: str = "agree"):
    """Walk the browser side of the OAuth flow with Django's test client; the back channel
    (code exchange, profile) goes over real HTTP to the live server."""
    response = client.post("/accounts/spotify/login/", {"process": "login"})
    assert response.status_code == 302, response
    consent = client.get(response["Location"])
    assert consent.status_code == 200
    form = hidden_inputs(consent.content.decode())
    form.update(sandbox_user=str(sandbox_user.pk), decision=decision)
    return client.post(response["Location"].split("?")[0], form, follow=True)


# How many heartbeat intervals of silence a test worker calls a job lost (settings'
# JOBS_LOST_AFTER_HEARTBEATS): a twentieth, 1.5 s for most kinds.
WORKER_LOST_AFTER_HEARTBEATS = 0.05


def silent_long_enough(model, pk: int) -> None:
    """Wait until the job's heartbeat is older than a test worker's limit for its kind: from then
    on, a task sent for it takes it over (ops.jobs' claim)."""
    from core import clock

    limit = model.heartbeat_interval * WORKER_LOST_AFTER_HEARTBEATS
    wait_for(
        lambda: model.objects.get(pk=pk).heartbeat_at < clock.now() - limit,
        timeout=limit.total_seconds() + 30,
        interval=0.1,
        message="the job to be silent for its kind's limit",
    )


@contextlib.contextmanager
def worker_process(
    name: str = "worker",
    *,
    site_url: str | None = None,
    env: dict | None = None,
    pool: tuple[str, ...] = ("--pool", "solo"),
):
    """A real Celery worker (own process group) on the test database and the configured broker;
    `site_url` points it at a live server's sandbox, `env` overrides its environment (another
    Redis, a PGAPPNAME that tells its database connections apart). Yields the Popen; stopping
    it is the caller's choice (SIGKILL mid-job) or ours at exit. `pool`: the pool arguments
    (a solo pool unless the test is about another)."""
    worker_env = {
        # A test cannot wait minutes for a dead worker's job to be called lost: a job silent
        # for a twentieth of its kind's heartbeat interval (1.5 s for most) is taken over.
        "JOBS_LOST_AFTER_HEARTBEATS": str(WORKER_LOST_AFTER_HEARTBEATS),
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TUNEKEEPER_USE_TEST_DATABASE": "1",
        **({"SITE_URL": site_url} if site_url else {}),
        **(env or {}),
    }
    log = (Path(settings.VAR_DIR) / f"test-worker-{name}.log").open("a")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "interactive,default,bulk",
            *pool,
            "--loglevel",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@pytest.fixture
def sent_tasks(monkeypatch):
    """What the broker would receive, without publishing it: every task sent (by `.delay()`,
    `apply_async` or by name) as (task name, args, queue), the queue as CELERY_TASK_ROUTES
    routes it. Celery's own `send_task` is replaced, nothing of ours."""
    from celery import Celery

    sent: list[tuple[str, list, str]] = []

    def send_task(self, name, args=None, kwargs=None, **options):
        route = self.amqp.router.route(dict(options), name, args, kwargs)
        sent.append((name, list(args or []), route["queue"].name))

    monkeypatch.setattr(Celery, "send_task", send_task)
    return sent


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker in its own process, on the test database and the configured broker."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        require_service(bool(settings.REDIS_URL), "REDIS_URL (a Redis broker for the worker)")
    with worker_process("fixture") as process:
        yield process


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def fake_clock():
    """Drive time for Spotify code (gateway, tokens, sandbox) from the test."""
    from core import clock

    fake = clock.FakeClock()
    clock.use(fake)
    # The budget and share counters are keyed by day: forget the fake day's too (with Redis
    # they outlive a test, and `fresh_spotify_state` ran before this clock was installed).
    from spotify import state

    with contextlib.suppress(Exception):
        state.forget()
    yield fake
    with contextlib.suppress(Exception):
        state.forget()
    clock.reset()


# --- who asks: the owner of an object, an outsider, staff ---------------------------------------


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create(username="owner")


@pytest.fixture
def owner_client(owner):
    from django.test import Client

    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(django_user_model):
    from django.test import Client

    client = Client()
    client.force_login(django_user_model.objects.create(username="outsider"))
    return client


@pytest.fixture
def staff_client(django_user_model):
    from django.test import Client

    client = Client()
    client.force_login(django_user_model.objects.create(username="staff", is_staff=True))
    return client


def outsider_answers(client, url: str) -> tuple[int, int]:
    """(GET, POST) statuses for a URL of someone else's object. Each may be 405 (the view
    takes only the other method), but at least one must be a real 404: a view that answers
    405 to both never looked the object up, so it says nothing about ownership."""
    return client.get(url).status_code, client.post(url).status_code


def refused(answers: tuple[int, int]) -> bool:
    return set(answers) <= {404, 405} and 404 in answers
