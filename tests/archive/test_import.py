import json
from datetime import UTC, datetime, timedelta

import pytest

from archive.importer import create_job, run_import_job
from archive.models import FileStatus, ImportJob, PlayEvent, PlaySource, TrackHint, UnmatchedPlay
from archive.tasks import claim
from ops.jobs import JobStatus
from playlists.models import Track
from spotify.models import ApiCall
from tests.archive.factories import (
    account_record,
    audiobook_record,
    episode_record,
    extended_record,
    json_upload,
    make_track,
    make_user,
    raw_upload,
    track_id,
    zip_bytes,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def run(job: ImportJob) -> ImportJob:
    claimed = claim(job.pk)
    assert claimed is not None
    run_import_job(claimed)
    job.refresh_from_db()
    return job


def test_it_imports_extended_history_and_makes_catalog_stubs_without_calls():
    user = make_user()
    records = [extended_record(n % 3, T0 + timedelta(minutes=4 * n)) for n in range(10)]
    job = run(create_job(user, [json_upload("Streaming_History_Audio_2024.json", records)]))

    assert job.status == JobStatus.COMPLETED, job.error
    assert PlayEvent.objects.filter(user=user, source=PlaySource.EXTENDED).count() == 10
    stub = Track.objects.get(id=track_id(1))
    assert stub.name == "Song 1"
    assert stub.artist_names == "Artist"
    assert TrackHint.objects.get(track=stub).album_name == "Album 1"
    assert ApiCall.objects.count() == 0
    file = job.files.get()
    assert (file.status, file.imported, file.records_done) == (FileStatus.DONE, 10, 10)
    assert "Imported 10 plays" in job.step


def test_short_plays_podcasts_and_audiobooks_are_counted_and_skipped():
    user = make_user()
    records = [
        extended_record(1, T0, ms_played=29_999),
        extended_record(2, T0 + timedelta(minutes=5), ms_played=30_000),
        episode_record(T0 + timedelta(minutes=10)),
        audiobook_record(T0 + timedelta(minutes=20)),
    ]
    job = run(create_job(user, [json_upload("endsong_0.json", records)]))
    totals = job.totals()
    assert (totals["imported"], totals["too_short"], totals["podcasts"], totals["audiobooks"]) == (
        1,
        1,
        1,
        1,
    )
    assert list(PlayEvent.objects.values_list("track_id", flat=True)) == [track_id(2)]


def test_the_short_play_threshold_is_a_setting(settings):
    settings.ARCHIVE_MIN_MS_PLAYED = 10_000
    user = make_user()
    upload = json_upload("endsong_0.json", [extended_record(1, T0, ms_played=15_000)])
    job = run(create_job(user, [upload]))
    assert job.totals()["imported"] == 1


def test_a_zip_export_is_read_member_by_member():
    user = make_user()
    first = [extended_record(1, T0 + timedelta(minutes=n * 5)) for n in range(3)]
    second = [extended_record(2, T0 + timedelta(days=1, minutes=n * 5)) for n in range(2)]
    folder = "Spotify Extended Streaming History"
    content = zip_bytes(
        {
            f"{folder}/Streaming_History_Audio_2023_0.json": json.dumps(first).encode(),
            f"{folder}/Streaming_History_Audio_2024_1.json": json.dumps(second).encode(),
            f"{folder}/ReadMeFirst_ExtendedStreamingHistory.pdf": b"%PDF",
        }
    )
    job = run(create_job(user, [raw_upload("my_spotify_data.zip", content)]))
    assert job.status == JobStatus.COMPLETED
    assert PlayEvent.objects.count() == 5
    assert job.files.count() == 2
    assert any("ReadMeFirst" in name for name in job.ignored_files)


def test_account_data_matches_the_catalog_by_artist_and_title():
    user = make_user()
    make_track(7, name="Bohemian Rhapsody - Remastered 2011", artist="Queen")
    records = [
        account_record("Queen", "Bohemian Rhapsody - Remastered 2011", T0),
        account_record("queen", "Bohemian Rhapsody", T0 + timedelta(minutes=10)),
        account_record("Nobody Known", "No Such Song", T0 + timedelta(minutes=20)),
    ]
    job = run(create_job(user, [json_upload("StreamingHistory_music_0.json", records)]))
    assert job.totals()["imported"] == 2
    assert job.totals()["unmatched"] == 1
    assert set(PlayEvent.objects.values_list("track_id", flat=True)) == {track_id(7)}
    assert UnmatchedPlay.objects.get().track_name == "No Such Song"


def test_account_data_uses_the_confidence_gate():
    user = make_user()
    make_track(1, name="Don't Stop Me Now", artist="Queen")
    make_track(2, name="Yesterday", artist="The Beatles")
    records = [
        account_record("Queen", "Dont Stop Me Now", T0),  # a near-exact title: accepted
        account_record("The Beatles", "Yesterday - Live", T0 + timedelta(minutes=5)),  # not it
        account_record("Queen", "Yesterday", T0 + timedelta(minutes=10)),  # wrong artist
    ]
    job = run(create_job(user, [json_upload("StreamingHistory_music_1.json", records)]))
    assert list(PlayEvent.objects.values_list("track_id", flat=True)) == [track_id(1)]
    assert job.totals()["unmatched"] == 2


def test_one_import_at_a_time_per_person():
    from archive.spotify_export import UploadRefused

    user = make_user()
    create_job(user, [json_upload("endsong_0.json", [extended_record(1, T0)])])
    with pytest.raises(UploadRefused, match="already running"):
        create_job(user, [json_upload("endsong_1.json", [extended_record(2, T0)])])
    assert ImportJob.objects.filter(user=user).count() == 1
