"""The PostgreSQL connection dropped mid-job (a database restart or failover, an operator's
pg_terminate_backend, a network blip). The server really terminates the connection; the job's
next query meets it dead. Every job must end truthfully: back in the queue and then completed,
never failed for it, never stuck "running", with no write lost or sent twice and no upload lost.

The in-process tests drop the connection at an exact point (just after a write landed, before its
checkpoint) and run the task function twice, as the worker's retry does. The worker test drops a
real worker's connections three times during a sync and lets Celery do the rest.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection, connections

from archive import importer
from archive import tasks as archive_tasks
from archive.models import ImportJob, PlayEvent
from bench.scenarios.common import connect
from enforcement.executor import arm
from enforcement.models import ActionBatch, ActionChunk, ChunkStatus
from enforcement.planner import plan
from enforcement.tasks import run_batch_task
from ops.jobs import JobStatus
from playlists.models import LibraryRefresh, Playlist
from playlists.tasks import refresh_library_task
from sandbox.spotify import faults, mutations
from sandbox.spotify.seed import seed_playlist
from spotify.models import ApiCall
from sync.locks import start_sync
from sync.models import SyncEvent
from sync.tasks import sync_task
from tests.archive.factories import extended_record, make_user, raw_upload, zip_bytes
from tests.chaos.scenes import (
    base_with_one_child,
    child_uris,
    every_base_track_once,
    playlist_uris,
)
from tests.conftest import require_service, wait_for, worker_process
from tests.enforcement.conftest import make_scene
from tests.enforcement.test_worker import assert_exactly_as_planned, writes_for

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

DROPPED = "The database connection dropped"


@pytest.fixture(autouse=True)
def postgresql():
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")


def terminate_backends(*, pid: int | None = None, application_name: str | None = None) -> int:
    """Have the server end connections, as a restart would, and wait until they are gone.
    Runs on a connection of its own."""
    side = connections.create_connection("default")
    try:
        with side.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
                "FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                "(pid = %s OR application_name = %s)",
                [pid, application_name],
            )
            return cursor.fetchone()[0]
    finally:
        side.close()


@contextlib.contextmanager
def connection_dropped_before(pattern: str, occurrence: int = 1, *, after: bool = False):
    """Terminate this thread's connection right before the `occurrence`-th query matching
    `pattern` (a regex over the SQL) runs, so that query meets the dead connection; or, with
    `after`, right after it ran, so whatever comes next does (psycopg's own COPY, say). Yields a
    list that holds the terminated backend's pid once it happened."""
    matcher = re.compile(pattern, re.IGNORECASE)
    seen = 0
    dropped: list[int] = []

    def drop(context) -> None:
        pid = context["connection"].connection.info.backend_pid
        assert terminate_backends(pid=pid) == 1
        dropped.append(pid)

    def drop_around_execute(execute, sql, params, many, context):
        nonlocal seen
        hit = not dropped and bool(matcher.search(sql)) and (seen := seen + 1) == occurrence
        if hit and not after:
            drop(context)
        result = execute(sql, params, many, context)
        if hit and after:
            drop(context)
        return result

    with connection.execute_wrapper(drop_around_execute):
        yield dropped


def ledger_matches_the_sandbox(user, owner) -> None:
    """Every request the sandbox served for this user has its ledger row, and no more."""
    served = [entry for entry in faults.requests() if entry["user"] == owner.spotify_id]
    assert ApiCall.objects.filter(user=user).count() == len(served) > 0


# --- enforcement ------------------------------------------------------------------------------


def test_an_enforcement_batch_whose_connection_drops_after_a_write_requeues_and_finishes(
    sandbox_site,
):
    scene = make_scene("dropped", liked_blocked=30, playlists=[(60, 12)] * 3)
    batch, _ = arm(plan(scene.user))

    # The third chunk's write reaches Spotify; the connection dies before it is recorded.
    with (
        connection_dropped_before(
            r'UPDATE "enforcement_actionitem" SET "status"', occurrence=3
        ) as dropped,
        pytest.raises(OperationalError),
    ):
        run_batch_task(batch.pk)

    assert dropped
    batch.refresh_from_db()
    assert batch.status == JobStatus.QUEUED, (batch.status, batch.error)
    assert batch.step.startswith(DROPPED) and batch.error == ""
    in_flight = ActionChunk.objects.get(batch=batch, status=ChunkStatus.SENDING)
    recorded = ActionChunk.objects.filter(batch=batch, status=ChunkStatus.DONE).count()
    assert len(writes_for(scene.owner)) == recorded + 1  # the unrecorded write did land

    run_batch_task(batch.pk)  # the task's retry

    finished = ActionBatch.objects.get(pk=batch.pk)
    assert_exactly_as_planned(scene, finished)  # the landed chunk reconciled, not re-sent
    assert ActionChunk.objects.get(pk=in_flight.pk).reconciled
    ledger_matches_the_sandbox(scene.user, scene.owner)


def test_a_call_whose_ledger_row_meets_a_dropped_connection_is_still_recorded(sandbox_site):
    scene = make_scene("ledgered", liked_blocked=20, playlists=[(40, 8)] * 2)
    batch, _ = arm(plan(scene.user))

    with connection_dropped_before(r'INSERT INTO "spotify_apicall"', occurrence=4) as dropped:
        run_batch_task(batch.pk)

    assert dropped
    finished = ActionBatch.objects.get(pk=batch.pk)
    assert_exactly_as_planned(scene, finished)  # no requeue was even needed
    ledger_matches_the_sandbox(scene.user, scene.owner)


# --- library refresh --------------------------------------------------------------------------


def test_a_library_refresh_whose_connection_drops_requeues_then_mirrors_everything(
    sandbox_site, sandbox_users
):
    ada = sandbox_users[0]
    playlists = [seed_playlist(ada, items=count, tracks=300) for count in (120, 80, 45)]
    user = connect(ada)
    job = LibraryRefresh.objects.create(user=user, step="Queued")

    with (
        connection_dropped_before(r'DELETE FROM "playlists_playlistitem"') as dropped,
        pytest.raises(OperationalError),
    ):
        refresh_library_task(job.pk)

    assert dropped
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.step.startswith(DROPPED), job.error

    refresh_library_task(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    for remote in playlists:
        mirrored = Playlist.objects.get(user=user, spotify_id=remote.spotify_id)
        assert list(mirrored.items.values_list("uri", flat=True)) == playlist_uris(remote)
        assert mirrored.mirrored_snapshot_id == remote.snapshot_id
    ledger_matches_the_sandbox(user, ada)


def test_a_job_whose_last_retry_meets_a_dropped_connection_fails_with_its_reason(
    sandbox_site, sandbox_users
):
    """Retries are not endless: on the task's last one the job is failed (Retry goes on later)
    instead of queued again."""
    user = connect(sandbox_users[0])
    seed_playlist(sandbox_users[0], items=60, tracks=100)
    job = LibraryRefresh.objects.create(user=user, step="Queued")

    with connection_dropped_before(r'DELETE FROM "playlists_playlistitem"') as dropped:
        refresh_library_task.apply(args=[job.pk], retries=refresh_library_task.max_retries)

    assert dropped
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("The database kept failing") and "Retry goes on" in job.error


# --- history import ---------------------------------------------------------------------------

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_a_history_import_whose_connection_drops_keeps_its_upload_and_imports_each_play_once(
    monkeypatch,
):
    monkeypatch.setattr(importer, "BATCH_SIZE", 10)
    records = [extended_record(n, T0 + timedelta(minutes=4 * n)) for n in range(45)]
    upload = raw_upload(
        "my_spotify_data.zip",
        zip_bytes({"Streaming_History_Audio_0.json": json.dumps(records).encode()}),
    )
    job = importer.create_job(make_user(), [upload], enqueue=False)

    with (
        connection_dropped_before(
            r'FROM "archive_historyprofile".* FOR UPDATE', occurrence=3
        ) as dropped,
        pytest.raises(OperationalError),
    ):
        archive_tasks.run_import(job.pk)

    assert dropped
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.step.startswith(DROPPED), job.error
    assert Path(job.upload_dir).is_dir()  # the upload is not the import's failure: kept
    assert 0 < PlayEvent.objects.count() < 45

    archive_tasks.run_import(job.pk)

    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.COMPLETED, job.error
    assert PlayEvent.objects.count() == 45
    assert job.totals()["imported"] == 45 and job.totals()["duplicates"] == 0


# --- sync --------------------------------------------------------------------------------------


def test_a_sync_whose_connection_drops_under_a_raw_copy_requeues_and_finishes(
    sandbox_site, sandbox_users
):
    """The mirror writes with psycopg's own cursor (COPY / unnest), whose errors are psycopg's,
    not Django's: they must count as a dropped connection too, not as an unexpected error."""
    _, base, remote = base_with_one_child(sandbox_users[0], items=300, tracks=400)
    event, _ = start_sync(base, enqueue=False)

    with (
        # After the last ORM statement before the raw write (the read checkpoint's delete):
        # the next statement is psycopg's own.
        connection_dropped_before(
            r'DELETE FROM "playlists_playlistreadpage"', after=True
        ) as dropped,
        pytest.raises(psycopg.OperationalError),
    ):
        sync_task(event.pk)

    assert dropped
    event.refresh_from_db()
    assert event.status == JobStatus.QUEUED, (event.status, event.error)
    assert event.step.startswith("Interrupted by") and event.error == ""

    sync_task(event.pk)  # the task's retry

    event.refresh_from_db()
    assert event.status == JobStatus.COMPLETED, event.error
    assert child_uris(base) == every_base_track_once(remote)
    assert mutations.duplicates() == []


# --- a sync on a real worker ------------------------------------------------------------------


def test_a_sync_on_a_worker_whose_connections_are_dropped_three_times_ends_exact(
    sandbox_site, sandbox_users, settings
):
    require_service(bool(settings.REDIS_URL), "REDIS_URL (a Redis broker for the worker)")
    faults.configure(latency_ms=60)  # a clean run: 30 base reads + 15 writes, about 3 s
    ada = sandbox_users[0]
    user, base, remote = base_with_one_child(ada, items=1500, tracks=1600)
    app_name = f"tk-chaos-{base.pk}"

    with worker_process("pgdrop", site_url=sandbox_site.url, env={"PGAPPNAME": app_name}):
        event, created = start_sync(base)
        assert created
        calls = ApiCall.objects.filter(job_id=event.ledger_job_id)
        killed = []
        # Reading the base, then writing the child, then near the end; all below the 45 calls
        # of a clean run, so each kill lands while the sync still runs.
        for after_calls in (5, 20, 36):
            wait_for(
                lambda n=after_calls: calls.count() >= n,
                timeout=90,
                interval=0.02,
                message=f"{after_calls} calls",
            )
            killed.append(terminate_backends(application_name=app_name))
        wait_for(
            lambda: not SyncEvent.objects.get(pk=event.pk).is_active,
            timeout=120,
            message="the sync to end",
        )

    assert all(killed), killed  # each time the worker held a connection, and lost it
    event.refresh_from_db()
    assert event.status == JobStatus.COMPLETED, (event.status, event.error, event.step)
    assert SyncEvent.objects.filter(base=base).count() == 1
    assert child_uris(base) == every_base_track_once(remote)
    assert mutations.duplicates() == []
    ledger_matches_the_sandbox(user, ada)
