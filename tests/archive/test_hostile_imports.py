"""Hostile history files: deep nesting, bad records among good ones, future plays, many tiny
members, and a first import by someone who never opened /history/ (issue 19)."""

import json
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from archive.importer import create_job, run_import_job
from archive.models import FileStatus, HistoryProfile, ImportJob, PlayEvent
from archive.tasks import claim
from ops.jobs import JobStatus
from tests.archive.factories import extended_record, make_user, raw_upload, zip_bytes

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def run(job: ImportJob) -> ImportJob:
    while job.status not in (JobStatus.COMPLETED, JobStatus.FAILED):
        claimed = claim(job.pk)
        assert claimed is not None, job.status
        run_import_job(claimed, requeue=False)
        job.refresh_from_db()
    return job


def test_deep_nesting_is_refused_cheaply_and_memory_does_not_grow_with_depth():
    user = make_user()
    deep = b"[" * 20_000 + b"]" * 20_000
    job = create_job(user, [raw_upload("Streaming_History_Audio_2024.json", deep)])
    tracemalloc.start()
    try:
        job = run(job)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    file = job.files.get()
    assert file.status == FileStatus.FAILED
    assert "nests more than 16 levels" in file.error
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB traced while refusing"


def test_deep_nesting_after_good_records_keeps_the_good_ones():
    user = make_user()
    good = json.dumps([extended_record(n, T0 + timedelta(minutes=5 * n)) for n in range(600)])
    content = good[:-1].encode() + b"," + b"[" * 5000 + b"]" * 5000 + b"]"
    job = run(create_job(user, [raw_upload("Streaming_History_Audio_2024.json", content)]))
    # The file is read in 64 KB chunks and each chunk's depth is checked before its records
    # are built: the records in the chunks before the deep one are kept.
    assert 400 < PlayEvent.objects.filter(user=user).count() < 600
    assert "nests more than" in job.files.get().error


def test_bad_records_are_skipped_with_reasons_and_the_good_ones_of_the_batch_kept(client):
    user = make_user()
    good = [extended_record(n, T0 + timedelta(minutes=5 * n)) for n in range(5)]
    bad = [
        extended_record(10, T0, ts="0001-01-01T00:00:00Z"),
        extended_record(11, T0, ts="9999-12-31T23:59:59Z"),
        extended_record(12, T0, ms_played=3_000_000_000),
        extended_record(13, T0, ms_played=-5),
        extended_record(14, T0, spotify_track_uri="spotify:track:" + "x" * 100_000),
        extended_record(15, T0, ts="not a time"),
        extended_record(16, datetime(2099, 1, 1, tzinfo=UTC)),  # after the import
    ]
    nul = extended_record(17, T0 + timedelta(hours=9), master_metadata_track_name="A\x00B")
    body = json.dumps(good[:2] + bad + [nul] + good[2:]).encode()
    job = run(create_job(user, [raw_upload("Streaming_History_Audio_2024.json", body)]))

    file = job.files.get()
    assert file.status == FileStatus.DONE
    assert file.imported == 6  # the five good ones and the one with a NUL in its name
    assert file.invalid == 5
    assert file.future == 2  # year 9999 and 2099
    reasons = " | ".join(file.problems)
    assert "before 2000" in reasons
    assert "negative or longer than 24 days" in reasons
    assert "track link" in reasons
    assert "dated after the import started" in reasons
    assert sum(file.problems.values()) == 7
    assert "\x00" not in PlayEvent.objects.get(played_at=T0 + timedelta(hours=9)).track.name

    client.force_login(user)
    page = client.get(reverse("history_import_job", args=[job.pk])).content.decode()
    assert "skipped: it is dated after the import started" in page
    assert "COPY" not in page and "staging" not in page


def test_a_number_past_what_a_float_holds_stops_the_file_with_words():
    user = make_user()
    good = json.dumps([extended_record(1, T0)])[:-1]
    content = good.encode() + b', {"ts": "2024-03-01T12:00:00Z", "ms_played": 1e400}]'
    job = run(create_job(user, [raw_upload("Streaming_History_Audio_2024.json", content)]))
    assert "a number too large" in job.files.get().error


def test_the_first_import_works_for_someone_who_never_opened_history():
    user = get_user_model().objects.create(username="newcomer")
    assert not HistoryProfile.objects.filter(user=user).exists()
    records = [extended_record(n, T0 + timedelta(minutes=5 * n)) for n in range(3)]
    upload = raw_upload("Streaming_History_Audio_2024.json", json.dumps(records).encode())
    job = run(create_job(user, [upload]))
    assert job.status == JobStatus.COMPLETED
    assert PlayEvent.objects.filter(user=user).count() == 3


def test_many_tiny_members_hand_the_worker_back_between_files(settings):
    settings.ARCHIVE_IMPORT_SLICE_SECONDS = 0  # every slice ends as soon as it can
    user = make_user()
    members = {f"Streaming_History_Audio_{n}.json": b"[]" for n in range(30)}
    job = create_job(user, [raw_upload("my_spotify_data.zip", zip_bytes(members))])
    slices = 0
    while job.status != JobStatus.COMPLETED:
        claimed = claim(job.pk)
        run_import_job(claimed, requeue=False)
        job.refresh_from_db()
        slices += 1
        assert slices <= 31
    assert slices >= 30  # one file per slice: the queue gets its worker back every time
    assert job.files.filter(status=FileStatus.DONE).count() == 30


def test_an_oversized_upload_is_refused_before_the_csrf_check_reads_it(settings):
    from django.test import Client

    settings.ARCHIVE_MAX_UPLOAD_BYTES = 1000
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    body = b"--x\r\n" + b"a" * 3_000_000 + b"\r\n--x--\r\n"
    response = client.generic(
        "POST", reverse("history_import"), body, "multipart/form-data; boundary=x"
    )
    # Before the fix the CSRF middleware parsed the whole body first and answered 403.
    assert response.status_code == 413
    assert not ImportJob.objects.exists()


def test_a_small_upload_without_a_csrf_token_is_still_refused(settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    records = json.dumps([extended_record(1, T0)]).encode()
    response = client.post(
        reverse("history_import"),
        {"files": raw_upload("Streaming_History_Audio_2024.json", records), "min_seconds": 30},
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_an_upload_of_thousands_of_history_files_is_refused_before_any_is_read():
    from archive.spotify_export import MAX_HISTORY_FILES, UploadRefused

    members = {f"Streaming_History_Audio_{n}.json": b"[]" for n in range(MAX_HISTORY_FILES + 1)}
    with pytest.raises(UploadRefused, match="a Spotify export has a few dozen"):
        create_job(make_user(), [raw_upload("my_spotify_data.zip", zip_bytes(members))])
    assert not ImportJob.objects.exists()


def test_many_tiny_files_hand_the_worker_back_every_few_dozen_files():
    from archive.importer import FILES_PER_SLICE

    user = make_user()
    members = {f"Streaming_History_Audio_{n}.json": b"[]" for n in range(2 * FILES_PER_SLICE + 1)}
    job = create_job(user, [raw_upload("my_spotify_data.zip", zip_bytes(members))])
    slices = 0
    while job.status != JobStatus.COMPLETED:
        run_import_job(claim(job.pk), requeue=False)
        job.refresh_from_db()
        slices += 1
        if job.status == JobStatus.QUEUED:
            done = job.files.filter(status=FileStatus.DONE).count()
            assert done == slices * FILES_PER_SLICE
    assert slices == 3
