"""Broken uploads get a clear per-file error, and nothing is half-imported without a report."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from archive.importer import create_job, run_import_job
from archive.models import FileStatus, ImportJob, PlayEvent
from archive.spotify_export import CountingReader, ExportFileError, UploadRefused
from archive.tasks import claim
from ops.jobs import JobStatus
from tests.archive.factories import extended_record, make_user, raw_upload, zip_bytes

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
AUDIO = "Streaming_History_Audio_2024.json"


def records(count: int, start: int = 0) -> list[dict]:
    return [extended_record(n, T0 + timedelta(minutes=5 * n)) for n in range(start, start + count)]


def run(*uploads) -> ImportJob:
    user = make_user(f"user{ImportJob.objects.count()}")
    job = claim(create_job(user, list(uploads)).pk)
    run_import_job(job)
    job.refresh_from_db()
    return job


def test_truncated_json_keeps_the_records_before_the_cut_and_says_so():
    content = json.dumps(records(10)).encode()
    cut = content[: content.index(b'"ts"', len(content) // 2)]  # mid-way through a record
    job = run(raw_upload(AUDIO, cut))

    file = job.files.get()
    assert file.status == FileStatus.FAILED
    assert "cut short" in file.error
    assert file.imported == PlayEvent.objects.count() > 0
    assert f"after record {file.records_done}" in file.error
    assert job.status == JobStatus.COMPLETED  # some plays went in; the report says the rest
    assert "had problems" in job.step


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"plays": []}', "not a JSON list of plays"),
        (b"[1, 2, 3]", "not JSON objects"),
        (json.dumps([{"name": "x", "when": 1}]).encode(), "does not look like Spotify"),
        (b"", "empty"),
        (json.dumps([{"endTime": "2024-01-01 10:00"}]).encode(), "does not look like Spotify"),
    ],
)
def test_a_file_of_the_wrong_shape_fails_with_a_reason_and_imports_nothing(content, expected):
    job = run(raw_upload(AUDIO, content))
    file = job.files.get()
    assert (file.status, file.imported) == (FileStatus.FAILED, 0)
    assert expected in file.error
    assert job.status == JobStatus.FAILED
    assert expected in job.error


def test_a_loose_json_with_another_name_is_recognised_by_its_records():
    job = run(raw_upload("my-history.json", json.dumps(records(3)).encode()))
    assert job.files.get().kind == "extended"
    assert PlayEvent.objects.count() == 3


def test_non_utf8_text_is_refused_clearly():
    latin1 = (
        json.dumps(records(2), ensure_ascii=False).replace("Song 1", "Caf\u00e9").encode("latin-1")
    )
    job = run(raw_upload(AUDIO, latin1))
    assert "not UTF-8" in job.files.get().error

    utf16 = json.dumps(records(2)).encode("utf-16")
    job = run(raw_upload(AUDIO, utf16))
    assert "UTF-16" in job.files.get().error


def test_a_utf8_byte_order_mark_is_fine():
    job = run(raw_upload(AUDIO, b"\xef\xbb\xbf" + json.dumps(records(2)).encode()))
    assert job.totals()["imported"] == 2


def test_a_zip_member_with_path_traversal_is_refused_and_the_rest_imported():
    content = zip_bytes(
        {
            "../../etc/Streaming_History_Audio_evil.json": json.dumps(records(2)).encode(),
            "/abs/Streaming_History_Audio_abs.json": json.dumps(records(2)).encode(),
            "Spotify Extended Streaming History/" + AUDIO: json.dumps(records(3, 10)).encode(),
        }
    )
    job = run(raw_upload("my_spotify_data.zip", content))
    by_name = {f.name: f for f in job.files.all()}
    evil = by_name["../../etc/Streaming_History_Audio_evil.json"]
    assert evil.status == FileStatus.REFUSED
    assert "outside the archive" in evil.error
    assert by_name["/abs/Streaming_History_Audio_abs.json"].status == FileStatus.REFUSED
    assert PlayEvent.objects.count() == 3
    assert job.status == JobStatus.COMPLETED


def test_a_huge_member_is_refused_before_it_is_read(settings):
    settings.ARCHIVE_MAX_MEMBER_BYTES = 10_000
    content = zip_bytes({AUDIO: json.dumps(records(100)).encode()})
    job = run(raw_upload("my_spotify_data.zip", content))
    file = job.files.get()
    assert file.status == FileStatus.REFUSED
    assert "more than the" in file.error
    assert PlayEvent.objects.count() == 0
    assert job.status == JobStatus.FAILED


def test_a_decompression_bomb_is_refused():
    bomb = b"[" + b" " * (20 * 1024 * 1024) + b"]"  # 20 MB of blanks deflate to ~20 KB
    job = run(raw_upload("my_spotify_data.zip", zip_bytes({AUDIO: bomb})))
    file = job.files.get()
    assert file.status == FileStatus.REFUSED
    assert "decompression bomb" in file.error


def test_reading_stops_when_a_member_grows_past_what_its_header_said():
    class Endless:
        def read(self, size):
            return b" " * size

    reader = CountingReader(Endless(), limit=100_000)
    with pytest.raises(ExportFileError, match="decompression bomb"):
        while True:
            reader.read(65536)


def test_a_damaged_zip_member_gets_its_own_error():
    good = json.dumps(records(2)).encode()
    content = bytearray(
        zip_bytes({AUDIO: json.dumps(records(400)).encode(), "endsong_1.json": good})
    )
    start = content.index(b"Streaming_History_Audio_2024.json") + 200
    content[start : start + 400] = b"\x00" * 400  # scribble over the first member's data
    job = run(raw_upload("my_spotify_data.zip", bytes(content)))
    by_name = {f.name: f for f in job.files.all()}
    assert by_name[AUDIO].status == FileStatus.FAILED
    assert by_name[AUDIO].error
    assert by_name["endsong_1.json"].imported == 2


def test_uploads_that_are_not_an_export_are_refused_whole():
    with pytest.raises(UploadRefused, match=r"not a zip or a \.json"):
        create_job(make_user(), [raw_upload("notes.txt", b"hello")])
    with pytest.raises(UploadRefused, match="No listening history"):
        create_job(make_user("b"), [raw_upload("x.zip", zip_bytes({"Playlist1.json": b"{}"}))])
    assert not ImportJob.objects.exists()


def test_the_upload_page_refuses_an_oversized_body_unread(client, settings):
    settings.ARCHIVE_MAX_UPLOAD_BYTES = 1000
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("history_import"),
        {"files": raw_upload(AUDIO, b"[" + b" " * 3_000_000 + b"]"), "min_seconds": 30},
    )
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_upload_page_shows_refusals_as_form_errors(client):
    client.force_login(make_user())
    response = client.post(
        reverse("history_import"), {"files": raw_upload("notes.txt", b"hi"), "min_seconds": 30}
    )
    assert response.status_code == 400
    assert "upload the .zip from Spotify" in response.content.decode()
