"""The embedded default survives a dead pool child: a real worker on kombu's filesystem broker
(no REDIS_URL), one of its pool's idle children killed. Afterwards either work still flows
(a task sent now runs) or the health check says the worker is not ok — within a minute,
never a silent "ok" over a wedged worker.

The demo's own worker (the Makefile's DEMO_WORKER_POOL) must keep work flowing; a prefork
worker, which the demo used to run, may wedge, and then the health check must say so.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from config.tasks import WORKER_HEARTBEAT_KEY, beat_heartbeat
from ops import health
from tests.conftest import ROOT, wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

WITHIN = 60.0  # seconds: work flows again, or the health check says "not ok"


@pytest.fixture
def embedded_default(request, tmp_path):
    """These tests are about the embedded default (kombu's filesystem broker, SQLite). On a run
    with Redis and PostgreSQL (CI), each runs again in a child pytest on the embedded defaults,
    and this run checks that it passed there; True tells the test body it is done."""
    if not settings.REDIS_URL:
        return False
    hidden = {
        "DATABASE_URL", "REDIS_URL", "TUNEKEEPER_REQUIRE_SERVICES", "TUNEKEEPER_TEST_ISOLATION",
        "PYTEST_ADDOPTS",
    }  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key not in hidden}
    env["TUNEKEEPER_VAR_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", request.node.nodeid],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"\b1 passed\b", result.stdout), result.stdout[-2000:]
    return True


def demo_pool() -> tuple[str, ...]:
    """The pool arguments `make demo` gives its worker, read from the Makefile itself."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^DEMO_WORKER_POOL\s*:?=\s*(.+)$", text, flags=re.M)
    assert match, "the Makefile names the demo worker's pool in DEMO_WORKER_POOL"
    return tuple(match.group(1).split())


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing paren
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def a_task_runs(timeout: float) -> bool:
    """Send the heartbeat task (as beat does) and wait for a worker to run it: the stamp it
    writes is newer than the moment it was sent."""
    sent = timezone.now().isoformat()
    beat_heartbeat.delay()
    try:
        wait_for(
            lambda: (cache.get(WORKER_HEARTBEAT_KEY) or "") > sent,
            timeout=timeout,
            message="a task",
        )
        return True
    except AssertionError:
        return False


def started(process) -> None:
    assert wait_for(lambda: a_task_runs(10) or process.poll() is not None, timeout=90)
    assert process.poll() is None, "the worker did not start"


def test_the_demo_worker_keeps_taking_work_after_an_idle_child_is_killed(
    settings, embedded_default
):
    if embedded_default:
        return  # ran and passed on the embedded defaults (see the fixture)
    settings.WORKER_STALE_SECONDS = 30
    with worker_process("demo", pool=demo_pool()) as process:
        started(process)
        killed = children(process.pid)
        for child in killed:  # a thread pool has none; anything it has, dies
            os.kill(child, signal.SIGKILL)
        time.sleep(2)

        assert a_task_runs(WITHIN), "the demo worker stopped taking work"
        assert process.poll() is None
        ok, report = health.health()
        assert report["worker"]["ok"] is True and ok, report


def test_a_wedged_prefork_worker_is_reported_not_ok_within_a_minute(settings, embedded_default):
    """The old demo mode: prefork on the filesystem broker. Killing an idle child wedges it
    most of the time; when it does, the health check must say so (and not blame beat)."""
    if embedded_default:
        return  # ran and passed on the embedded defaults (see the fixture)
    settings.WORKER_STALE_SECONDS = 20
    with worker_process("prefork", pool=("--pool", "prefork", "--concurrency", "2")) as process:
        started(process)
        pool_children = wait_for(lambda: children(process.pid), timeout=30, message="children")
        os.kill(pool_children[0], signal.SIGKILL)
        killed_at = time.monotonic()

        outcome = None
        while time.monotonic() - killed_at < WITHIN and outcome is None:
            if a_task_runs(5):
                outcome = "work flows"
            elif not health.health()[1]["worker"]["ok"]:
                outcome = "not ok"
        assert outcome is not None, "a wedged worker went unreported for a minute"
        print(f"prefork worker after its child was killed: {outcome}")
        if outcome == "not ok":
            ok, report = health.health()
            assert not ok and report["worker"]["ok"] is False
            assert report["worker"]["seconds_since_heartbeat"] >= settings.WORKER_STALE_SECONDS
