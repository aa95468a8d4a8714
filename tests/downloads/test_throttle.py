"""The search gate: its rules under a FakeClock, and that it holds across processes and outlives
the cache (its state is in the database)."""

import itertools
import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from downloads import throttle
from tests.conftest import ROOT

INSTANCE = "gate-test-000001"


@pytest.fixture
def gate(db):
    throttle.reset(INSTANCE)
    yield
    throttle.reset(INSTANCE)


def token() -> str:
    return str(uuid.uuid4())


def test_one_search_at_a_time_then_the_gap(gate, fake_clock):
    first = token()
    assert throttle.acquire(INSTANCE, first).granted
    blocked = throttle.acquire(INSTANCE, token())
    assert (blocked.granted, blocked.reason) == (False, "in flight")

    throttle.release(INSTANCE, "someone-else")  # only the holder releases
    assert throttle.acquire(INSTANCE, token()).reason == "in flight"
    throttle.release(INSTANCE, first)
    gap = throttle.acquire(INSTANCE, token())
    assert gap.reason == "gap" and gap.wait == pytest.approx(throttle.MIN_GAP_SECONDS)

    fake_clock.advance(throttle.MIN_GAP_SECONDS)
    assert throttle.acquire(INSTANCE, token()).granted


def test_the_window_holds_at_most_the_limit(gate, fake_clock):
    started = fake_clock.now()
    for _ in range(throttle.MAX_SEARCHES):
        held = token()
        assert throttle.acquire(INSTANCE, held).granted
        throttle.release(INSTANCE, held)
        fake_clock.advance(throttle.MIN_GAP_SECONDS)
    full = throttle.acquire(INSTANCE, token())
    elapsed = (fake_clock.now() - started).total_seconds()
    assert full.reason == "window"
    assert full.wait == pytest.approx(throttle.WINDOW_SECONDS - elapsed)
    assert throttle.usage(INSTANCE).used == throttle.MAX_SEARCHES

    fake_clock.advance(full.wait)
    assert throttle.acquire(INSTANCE, token()).granted


def test_a_forgotten_search_frees_the_gate_after_a_while(gate, fake_clock):
    assert throttle.acquire(INSTANCE, token()).granted
    fake_clock.advance(throttle.IN_FLIGHT_SECONDS + 1)
    assert throttle.acquire(INSTANCE, token()).granted


def test_a_start_that_never_reached_slskd_gives_its_place_in_the_window_back(gate, fake_clock):
    for _ in range(throttle.MAX_SEARCHES - 1):
        held = token()
        assert throttle.acquire(INSTANCE, held).granted
        throttle.release(INSTANCE, held)
        fake_clock.advance(throttle.MIN_GAP_SECONDS)
    refused_by_slskd = token()
    assert throttle.acquire(INSTANCE, refused_by_slskd).granted
    throttle.forget_start(INSTANCE, refused_by_slskd)
    throttle.release(INSTANCE, refused_by_slskd)
    fake_clock.advance(throttle.MIN_GAP_SECONDS)

    assert throttle.usage(INSTANCE).used == throttle.MAX_SEARCHES - 1
    assert throttle.acquire(INSTANCE, token()).granted  # the last place in the window


def test_a_ban_pause_and_the_window_hold_with_redis_gone(gate, fake_clock, settings):
    held = token()
    assert throttle.acquire(INSTANCE, held).granted
    throttle.release(INSTANCE, held)
    until = throttle.pause(INSTANCE, 1800, "possible ban")
    # Redis restarting (nothing answers): the gate never kept anything there.
    dead = "redis://127.0.0.1:1/0"
    settings.REDIS_URL = dead
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
    }

    assert throttle.paused_until(INSTANCE) == (until, "possible ban")
    assert throttle.acquire(INSTANCE, token()).reason == "paused"
    assert throttle.usage(INSTANCE).used == 1


def test_a_pause_stops_every_search_until_it_ends(gate, fake_clock):
    until = throttle.pause(INSTANCE, 1800, "possible ban")
    refused = throttle.acquire(INSTANCE, token())
    assert (refused.reason, refused.wait) == ("paused", pytest.approx(1800))
    assert throttle.paused_until(INSTANCE) == (until, "possible ban")
    assert throttle.pause(INSTANCE, 60, "shorter") == until  # a pause only ever extends

    fake_clock.advance(1800)
    assert throttle.paused_until(INSTANCE) is None
    assert throttle.acquire(INSTANCE, token()).granted


WORKER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, uuid
    import django
    django.setup()
    from downloads import throttle
    from core import clock

    class Recording(clock.SystemClock):
        # The gate decides on clock.now(): keep the value it used for each grant.
        def now(self):
            self.last = super().now()
            return self.last

    recording = Recording()
    clock.use(recording)
    throttle.WINDOW_SECONDS, throttle.MAX_SEARCHES = 2.0, 4
    throttle.MIN_GAP_SECONDS, throttle.IN_FLIGHT_SECONDS = 0.1, 1.0
    instance, deadline, grants = sys.argv[1], time.time() + float(sys.argv[2]), []
    while time.time() < deadline:
        held = str(uuid.uuid4())
        decision = throttle.acquire(instance, held)
        if decision.granted:
            grants.append(recording.last.timestamp())
            time.sleep(0.02)
            throttle.release(instance, held)
        else:
            time.sleep(min(decision.wait, 0.03))
    print(json.dumps(grants))
    """
)


@pytest.mark.django_db(transaction=True)
def test_the_gate_holds_across_processes():
    """Three processes hammer one gate: together they never beat its limits."""
    instance = f"procs-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TUNEKEEPER_USE_TEST_DATABASE": "1",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT, instance, "5"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    per_process = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        per_process.append(json.loads(out.strip().splitlines()[-1]))
    grants = sorted(t for times in per_process for t in times)

    assert len(grants) >= 8  # the gate let work through: ~4 per 2 s over 5 s
    assert sum(1 for times in per_process if times) >= 2  # and more than one process won
    for start in grants:  # the times each grant was decided at, as the gate saw them
        assert sum(1 for t in grants if start <= t < start + 2.0) <= 4
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= 0.1 - 1e-6
    throttle.reset(instance)
