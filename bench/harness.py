"""The benchmark harness: a fresh database, the sandbox Spotify in its own server process, and
measurements per scenario (Spotify calls from the ledger, wall time, peak RSS, rows/s).

Everything runs over real HTTP against the sandbox, the same code path as production.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def configure_environment() -> dict[str, str]:
    """Bench settings: its own database (never the user's), fast pacing unless a scenario
    asks for Spotify's pace. Returns the environment the sandbox server gets too."""
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "bench-only-not-secret")
    env["DEBUG"] = "false"
    env["SANDBOX"] = "true"  # the bench's Spotify is the sandbox, with DEBUG off
    env["TUNEKEEPER_VAR_DIR"] = str(ROOT / "var" / "bench")
    env.setdefault("SPOTIFY_CALLS_PER_SECOND", "1000")
    env.setdefault("SPOTIFY_DAILY_BUDGET", "10000000")
    database_url = env.get("DATABASE_URL", "")
    if database_url:
        base, _, name = database_url.rpartition("/")
        name = name.split("?")[0]
        env["DATABASE_URL"] = f"{base}/{name}_bench"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.update(env)
    return env


def reset_database() -> str:
    """Drop and recreate the bench database, then migrate. Returns its engine's name."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        path = Path(database["NAME"])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = "sqlite"
    else:
        import psycopg

        admin = psycopg.connect(
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            user=database["USER"] or None,
            password=database["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database["NAME"]}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{database["NAME"]}"')
        engine = "postgresql"
    connection.close()
    call_command("migrate", verbosity=0, interactive=False)
    return engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SandboxServer:
    """gunicorn serving the app (and so the sandbox) on a loopback port, in its own process."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "SITE_URL": self.url}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> SandboxServer:
        log = open(ROOT / "var" / "bench" / "sandbox-server.log", "w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "8",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the sandbox server did not start; see var/bench/sandbox-server.log")
        from django.conf import settings

        base = f"{self.url}/sandbox-spotify"
        settings.SITE_URL = self.url
        settings.SANDBOX_BASE_URL = base
        settings.SPOTIFY_API_BASE_URL = f"{base}/v1"
        settings.SPOTIFY_ACCOUNTS_BASE_URL = f"{base}/accounts"
        return self

    def __exit__(self, *exc) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so each scenario gets its own peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Outcome:
    """What a scenario reports about itself; the harness adds time, memory and identity."""

    spotify_calls: int
    minimum_calls: int | None
    ok: bool
    rows: int | None = None
    wall_s: float | None = None  # set by scenarios whose headline time is not the whole run
    rows_per_s: float | None = None  # set when the rate is of one part (e.g. database writes)
    notes: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Result:
    scenario: str
    spotify_calls: int
    minimum_calls: int | None
    wall_s: float
    peak_rss_mb: float
    rows_per_s: float | None
    ok: bool
    git_sha: str
    database: str
    created_at: str
    notes: str = ""
    extra: dict = field(default_factory=dict)


SCENARIOS: dict[str, Callable[[SandboxServer], Outcome]] = {}


class Stopwatch:
    """Times the part of a scenario that is measured (not the seeding before it)."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


def scenario(name: str):
    def register(function: Callable[[SandboxServer], Outcome]):
        SCENARIOS[name] = function
        return function

    return register


def git_sha() -> str:
    try:
        return subprocess.check_output(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True
        ).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> str:
    cores = os.cpu_count() or 0
    try:
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{memory_kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "? GiB"
    return f"{platform.machine()}, {cores} cores, {memory}, Python {platform.python_version()}"


def run(name: str, server: SandboxServer, database: str, sha: str) -> Result:
    import gc

    from django.db import connection

    gc.collect()
    reset_peak_rss()
    started = time.perf_counter()
    try:
        outcome = SCENARIOS[name](server)
    except Exception as error:  # a crashed scenario is a failed row, not a crashed bench
        import traceback

        traceback.print_exc()
        outcome = Outcome(
            spotify_calls=0, minimum_calls=None, ok=False, notes=f"crashed: {error!r}"
        )
    wall = time.perf_counter() - started
    connection.close()
    headline = outcome.wall_s if outcome.wall_s is not None else wall
    return Result(
        scenario=name,
        spotify_calls=outcome.spotify_calls,
        minimum_calls=outcome.minimum_calls,
        wall_s=round(headline, 3),
        peak_rss_mb=round(peak_rss_mb(), 1),
        rows_per_s=round(
            outcome.rows_per_s
            if outcome.rows_per_s is not None
            else (outcome.rows / headline if outcome.rows and headline else 0),
            1,
        )
        or None,
        ok=outcome.ok,
        git_sha=sha,
        database=database,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        notes=outcome.notes,
        extra=outcome.extra,
    )


def as_dicts(results: list[Result]) -> list[dict]:
    return [asdict(result) for result in results]
