"""hostile_uploads (issue 19): the worst files the security review found, through the real web
process (gunicorn) and a real Celery worker, with the peak memory of each.

- a history file nesting 20,000 levels deep (`[[[[…]]]]`, 40 KB);
- a zip of 10,000 tiny history files (each `[]`): refused from its directory; and a zip of
  1,000 (the most an upload may have), which the worker reads with a checkpoint per file;
- a 5 MB playlist of one character per line;
- and, queued behind them, another person's small import: the queue must keep serving it.

`ok` only if the web and the worker process each peak under 300 MB, every upload gets its
clean answer, and the other person's import completes while the hostile ones are queued.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import requests
from django.contrib.auth import get_user_model
from django.test import Client

from archive.models import FileStatus, HistoryProfile, ImportJob
from archive.spotify_export import MAX_HISTORY_FILES
from bench.harness import ROOT, Outcome, scenario

LIMIT_MB = 300
DEPTH = 20_000
TINY_MEMBERS = 10_000
PLAYLIST_BYTES = 5 * 1024 * 1024
WAIT_SECONDS = 900


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _peak_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def _session(username: str) -> requests.Session:
    user = get_user_model().objects.create(username=username)
    HistoryProfile.objects.get_or_create(user=user)
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    # A CSRF secret of our own in the cookie, and the same in the header, as a browser sends.
    token = "b" * 32
    session.cookies.set("csrftoken", token)
    session.headers["X-CSRFToken"] = token
    session.user = user
    return session


def _tiny_zip(members: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(members):
            archive.writestr(f"MyData/Streaming_History_Audio_{number}.json", b"[]")
    return buffer.getvalue()


def _history_post(session, base: str, name: str, content: bytes) -> requests.Response:
    return session.post(
        f"{base}/history/import/",
        files={"files": (name, content, "application/octet-stream")},
        data={"min_seconds": "30"},
        allow_redirects=False,
        timeout=120,
    )


def _worker(env: dict) -> subprocess.Popen:
    log = open(ROOT / "var" / "bench" / "hostile-worker.log", "w")  # noqa: SIM115 - the worker keeps it
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "interactive,default,bulk",
            "--pool",
            "solo",  # one process does the work: its peak RSS is the worker's
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_done(pks: list[int], deadline: float) -> dict[int, ImportJob]:
    while True:
        jobs = {job.pk: job for job in ImportJob.objects.filter(pk__in=pks)}
        if all(job.status in ("completed", "failed") for job in jobs.values()):
            return jobs
        if time.monotonic() > deadline:
            return jobs
        time.sleep(0.5)


@scenario("hostile_uploads")
def hostile_uploads(server) -> Outcome:
    base = server.url
    web_pids = _children(server.process.pid) or [server.process.pid]
    worker = _worker(server.env)
    try:
        time.sleep(3)  # the worker connects to the broker
        for pid in [*web_pids, worker.pid]:
            _reset_peak(pid)
        started = time.monotonic()
        notes = []

        deep_user, many_user, tiny_user, list_user, probe_user = (
            _session(f"bench-hostile-{label}")
            for label in ("deep", "many", "tiny", "list", "probe")
        )
        deep = _history_post(
            deep_user, base, "Streaming_History_Audio_deep.json", b"[" * DEPTH + b"]" * DEPTH
        )
        # 10,000 tiny members: refused from the zip's directory, before any is read.
        many = _history_post(many_user, base, "my_spotify_data.zip", _tiny_zip(TINY_MEMBERS))
        # The most tiny files an upload may have: read by the worker, one checkpoint a file.
        tiny_bytes = _tiny_zip(MAX_HISTORY_FILES)
        tiny_started = time.monotonic()
        tiny = _history_post(tiny_user, base, "my_spotify_data.zip", tiny_bytes)
        listed = list_user.post(
            f"{base}/library/import/",
            files={"file": ("list.txt", b"a\n" * (PLAYLIST_BYTES // 2 - 1), "text/plain")},
            data={"name": "hostile"},
            allow_redirects=False,
            timeout=120,
        )
        list_seconds = listed.elapsed.total_seconds()
        records = [
            {
                "ts": "2024-01-01T10:00:00Z",
                "ms_played": 200_000,
                "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
            }
        ]
        probe_sent = time.monotonic()
        probe = _history_post(
            probe_user, base, "Streaming_History_Audio_probe.json", json.dumps(records).encode()
        )
        answers = {
            "deep": deep.status_code,
            "10k_members": many.status_code,
            "1k_members": tiny.status_code,
            "playlist": listed.status_code,
            "probe": probe.status_code,
        }
        jobs = {
            label: ImportJob.objects.filter(user=session.user).first()
            for label, session in (("deep", deep_user), ("tiny", tiny_user), ("probe", probe_user))
        }
        pks = [job.pk for job in jobs.values() if job is not None]
        deadline = time.monotonic() + WAIT_SECONDS
        probe_done_at = None
        tiny_done_at = None
        while time.monotonic() < deadline:
            current = {job.pk: job for job in ImportJob.objects.filter(pk__in=pks)}
            now = time.monotonic()
            if jobs["probe"] and current[jobs["probe"].pk].status in ("completed", "failed"):
                probe_done_at = probe_done_at or now
            if jobs["tiny"] and current[jobs["tiny"].pk].status in ("completed", "failed"):
                tiny_done_at = tiny_done_at or now
            if all(job.status in ("completed", "failed") for job in current.values()):
                break
            time.sleep(0.5)
        final = _wait_done(pks, deadline)
        wall = time.monotonic() - started
        web_peak = max(_peak_mb(pid) for pid in web_pids)
        worker_peak = _peak_mb(worker.pid)
    finally:
        _stop(worker)

    deep_job = final.get(jobs["deep"].pk) if jobs["deep"] else None
    deep_file = deep_job.files.first() if deep_job else None
    tiny_job = final.get(jobs["tiny"].pk) if jobs["tiny"] else None
    probe_job = final.get(jobs["probe"].pk) if jobs["probe"] else None
    tiny_files_done = (
        tiny_job.files.filter(status=FileStatus.DONE).count() if tiny_job is not None else 0
    )
    checks = {
        "web under 300 MB": web_peak < LIMIT_MB,
        "worker under 300 MB": worker_peak < LIMIT_MB,
        "deep nesting refused": bool(deep_file and "nests more than" in deep_file.error),
        "10,000 tiny files refused": many.status_code == 400
        and not ImportJob.objects.filter(user=many_user.user).exists()
        and "a few dozen" in many.text,
        f"{MAX_HISTORY_FILES:,} tiny files read": tiny_files_done == MAX_HISTORY_FILES,
        "playlist refused (400)": listed.status_code == 400,
        "the other import completed": bool(probe_job and probe_job.status == "completed"),
    }
    failed = [name for name, passed in checks.items() if not passed]
    probe_wait = (probe_done_at - probe_sent) if probe_done_at else None
    tiny_seconds = (tiny_done_at - tiny_started) if tiny_done_at else None
    notes.append(
        f"web peak {web_peak:.0f} MB, worker peak {worker_peak:.0f} MB; "
        f"10k tiny files refused ({many.status_code}); "
        f"{MAX_HISTORY_FILES:,} tiny files read in {tiny_seconds or float('nan'):.0f} s; "
        f"other person's import done {probe_wait or float('nan'):.0f} s after upload; "
        f"5 MB playlist refused in {list_seconds:.1f} s"
    )
    if failed:
        notes.append("failed: " + ", ".join(failed))
    return Outcome(
        spotify_calls=0,
        minimum_calls=0,
        ok=not failed,
        wall_s=wall,
        notes="; ".join(notes),
        extra={
            "web_peak_rss_mb": round(web_peak, 1),
            "worker_peak_rss_mb": round(worker_peak, 1),
            "tiny_members_seconds": round(tiny_seconds, 1) if tiny_seconds else None,
            "other_import_wait_seconds": round(probe_wait, 1) if probe_wait else None,
            "playlist_refusal_seconds": round(list_seconds, 2),
            "answers": answers,
            "checks": checks,
        },
    )
