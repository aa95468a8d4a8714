"""An import resumes from its checkpoint: after a time slice, and after its worker died."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from archive import importer
from archive.importer import create_job, run_import_job
from archive.models import FileStatus, ImportJob, PlayEvent
from archive.tasks import claim
from ops.jobs import JobStatus
from ops.tasks import lost_jobs
from tests.archive.factories import extended_record, make_user, raw_upload, zip_bytes

pytestmark = pytest.mark.django_db
T0 = datetime(2023, 2, 1, 7, 0, tzinfo=UTC)


def history_zip(files: int, per_file: int) -> bytes:
    members = {}
    for number in range(files):
        records = [
            extended_record(n, T0 + timedelta(days=number, minutes=5 * n)) for n in range(per_file)
        ]
        members[f"Streaming_History_Audio_{number}.json"] = json.dumps(records).encode()
    return zip_bytes(members)


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing on the way up handles it."""


def test_an_import_works_in_time_slices_and_picks_up_where_it_stopped(monkeypatch, settings):
    monkeypatch.setattr(importer, "BATCH_SIZE", 4)
    settings.ARCHIVE_IMPORT_SLICE_SECONDS = 0  # every slice ends after its first batch
    user = make_user()
    job = create_job(user, [raw_upload("my_spotify_data.zip", history_zip(2, 10))])

    slices = 0
    while job.status != JobStatus.COMPLETED:
        claimed = claim(job.pk)
        assert claimed is not None, job.status
        run_import_job(claimed)
        job.refresh_from_db()
        slices += 1
        assert slices < 20
        if job.status == JobStatus.QUEUED:
            assert 0 < job.done < 20  # progress and checkpoint survive between slices

    assert slices > 3
    assert PlayEvent.objects.count() == 20
    assert job.totals()["imported"] == 20
    assert job.totals()["duplicates"] == 0
    assert job.done == job.total == 20


def test_a_killed_worker_loses_only_the_batch_in_flight(monkeypatch, fake_clock):
    monkeypatch.setattr(importer, "BATCH_SIZE", 5)
    user = make_user()
    job = create_job(user, [raw_upload("my_spotify_data.zip", history_zip(1, 20))])
    real_store = importer.store
    calls = {"n": 0}

    def dying_store(user_id, plays):
        calls["n"] += 1
        if calls["n"] == 3:
            raise WorkerKilled
        return real_store(user_id, plays)

    monkeypatch.setattr(importer, "store", dying_store)
    with pytest.raises(WorkerKilled):
        run_import_job(claim(job.pk))

    job.refresh_from_db()
    file = job.files.get()
    assert job.status == JobStatus.RUNNING
    assert (file.status, file.records_done, file.imported) == (FileStatus.READING, 10, 10)
    assert PlayEvent.objects.count() == 10
    assert claim(job.pk) is None  # its heartbeat is fresh: someone may still be on it

    monkeypatch.setattr(importer, "store", real_store)
    fake_clock.advance(ImportJob.lost_after().total_seconds() + 1)
    assert lost_jobs() == [("archive.tasks.run_import", job.pk)]
    assert ImportJob.rescue_lost() == 1  # its task is sent again (ops.jobs' one rescue)
    assert lost_jobs() == []  # once per lost_after(), not at every sweep
    run_import_job(claim(job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert PlayEvent.objects.count() == 20
    assert job.totals()["imported"] == 20
