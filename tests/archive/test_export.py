"""CSV and ListenBrainz exports for a range."""

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from archive.models import PlaySource
from archive.plays import NewPlay, store
from tests.archive.factories import make_track, make_user, track_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    user = make_user("listener", time_zone="Europe/Berlin")
    make_track(1)  # 200 s long
    make_track(2)
    ended = datetime(2025, 7, 31, 21, 0, tzinfo=UTC)  # 23:00 in Berlin
    with transaction.atomic():
        store(
            user.pk,
            [
                NewPlay(track_id(1), ended, PlaySource.EXTENDED, ms_played=180_000, shuffle=True),
                NewPlay(track_id(2), ended + timedelta(minutes=5), PlaySource.EXTENDED, 40_000),
                NewPlay(track_id(1), ended + timedelta(minutes=10), PlaySource.POLL),
                NewPlay(track_id(2), ended + timedelta(days=40), PlaySource.POLL),  # out of range
            ],
        )
    client.force_login(user)
    return user


def download(client, **params) -> bytes:
    response = client.get(
        reverse("history_export"), {"start": "2025-07-31", "end": "2025-08-01", **params}
    )
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_csv_has_one_row_per_play_in_the_range_with_local_times(client, listener):
    rows = list(csv.DictReader(io.StringIO(download(client, format="csv").decode())))
    assert len(rows) == 3
    first = rows[0]
    assert first["played_at_utc"] == "2025-07-31T21:00:00+00:00"
    assert first["played_at_local"] == "2025-07-31T23:00:00+02:00"
    assert first["spotify_uri"] == f"spotify:track:{track_id(1)}"
    assert (first["ms_played"], first["shuffle"], first["source"]) == ("180000", "true", "extended")
    assert rows[2]["ms_played"] == ""  # polled plays do not say


def test_listenbrainz_lines_start_at_the_play_start_and_skip_short_plays(client, listener):
    lines = download(client, format="jsonl").decode().splitlines()
    listens = [json.loads(line) for line in lines]
    # The 40 s play of a 200 s track is under half its length: not a listen by LB's rule.
    assert len(listens) == 2
    first = listens[0]
    ended = datetime(2025, 7, 31, 21, 0, tzinfo=UTC)
    assert first["listened_at"] == int((ended - timedelta(milliseconds=180_000)).timestamp())
    assert set(first) == {"listened_at", "track_metadata"}
    info = first["track_metadata"]["additional_info"]
    assert info["spotify_id"] == f"https://open.spotify.com/track/{track_id(1)}"
    assert info["music_service"] == "spotify.com"
    assert info["duration_ms"] == 200_000
    assert None not in info.values() and "" not in info.values()
    polled = listens[1]  # no ms_played: the start is the end minus the track's length
    assert polled["listened_at"] == int((ended + timedelta(minutes=10, seconds=-200)).timestamp())
    assert "ms_played" not in polled["track_metadata"]["additional_info"]

    everything = download(client, format="jsonl", include_short="on").decode().splitlines()
    assert len(everything) == 3


def test_listenbrainz_zip_has_the_archive_layout(client, listener):
    archive = zipfile.ZipFile(io.BytesIO(download(client, format="listenbrainz")))
    names = set(archive.namelist())
    assert {"user.json", "README.txt", "listens/2025/7.jsonl"} <= names
    assert json.loads(archive.read("user.json"))["username"] == "listener"
    listen = json.loads(archive.read("listens/2025/7.jsonl").splitlines()[0])
    assert listen["track_metadata"]["track_name"] == "Song 1"


def test_a_backwards_range_is_refused(client, listener):
    response = client.get(
        reverse("history_export"), {"start": "2025-08-02", "end": "2025-08-01", "format": "csv"}
    )
    assert response.status_code == 400
