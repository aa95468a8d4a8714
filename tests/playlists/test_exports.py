"""Exports of a playlist, Liked Songs and the whole library (Exportify CSV, JSON, M3U8): the
exact shapes other tools read, formulas neutralised, only the owner's, and a round trip back
through Tunekeeper's importer with every track matched by id and no Spotify call."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from ops.jobs import JobStatus
from playlists import exports
from playlists.imports.jobs import run_import_job, start_import
from playlists.imports.parsers import parse_upload
from playlists.models import Artist, LikedSong, MatchStatus, Track
from spotify.models import ApiCall
from tests.playlists.factories import mirrored_playlist
from tests.playlists.fake_spotify import track_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


@pytest.fixture
def road_trip(ada):
    playlist = mirrored_playlist(ada, "pl-road", [1, 2, 3, 8], name="Road Trip: 2026/Summer")
    # Names a naive writer would break: a comma inside an artist, a formula, a quote.
    Artist.objects.filter(pk=track_json(1)["artists"][0]["id"]).update(name="Earth, Wind & Fire")
    Track.objects.filter(pk=track_json(2)["id"]).update(name='=HYPERLINK("http://x")')
    Track.objects.filter(pk=track_json(3)["id"]).update(name='Say "Hi"')
    return playlist


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_is_exportifys_current_layout_in_playlist_order(road_trip):
    table = rows_of(exports.export_text("csv", road_trip.name, exports.playlist_rows(road_trip)))

    assert table[0] == exports.EXPORTIFY_HEADER
    assert [row[0] for row in table[1:]] == [track_json(n)["uri"] for n in (1, 2, 3, 8)]
    first = dict(zip(table[0], table[1], strict=True))
    assert first["Artist Name(s)"] == "Earth\\, Wind & Fire"  # Exportify's escaping
    assert first["Track Duration (ms)"] == "180001"
    assert first["ISRC"] == "USRC10000001"
    assert first["Added At"] == "2026-01-01T00:00:00Z"
    assert first["Added By"] == "spotify:user:ada"
    assert table[2][1] == '\'=HYPERLINK("http://x")'  # a spreadsheet shows it, never runs it
    assert table[3][1] == 'Say "Hi"'


def test_the_m3u8_is_extended_with_seconds_artist_and_title(road_trip):
    text = exports.export_text("m3u8", road_trip.name, exports.playlist_rows(road_trip))
    lines = text.splitlines()

    assert lines[:4] == [
        "#EXTM3U",
        "#PLAYLIST:Road Trip: 2026/Summer",
        "#EXTINF:180,Earth, Wind & Fire - Song 1",
        f"https://open.spotify.com/track/{track_json(1)['id']}",
    ]
    assert len(lines) == 2 + 2 * 4


def test_the_json_holds_every_track_with_its_ids(road_trip):
    document = json.loads(
        exports.export_text("json", road_trip.name, exports.playlist_rows(road_trip))
    )

    assert document["name"] == "Road Trip: 2026/Summer"
    assert [track["uri"] for track in document["tracks"]] == [
        track_json(n)["uri"] for n in (1, 2, 3, 8)
    ]
    assert document["tracks"][0]["artists"][0]["name"] == "Earth, Wind & Fire"
    assert document["tracks"][0]["isrc"] == "USRC10000001"


@pytest.mark.parametrize("fmt", ["csv", "json", "m3u8"])
def test_what_tunekeeper_exports_it_imports_back_matched_with_no_spotify_call(
    ada, road_trip, spotify, fmt
):
    text = exports.export_text(fmt, road_trip.name, exports.playlist_rows(road_trip))
    name = exports.file_name(road_trip.name, fmt)
    parsed = parse_upload(name, text.encode())
    assert [row.spotify_id for row in parsed.rows] == [track_json(n)["id"] for n in (1, 2, 3, 8)]
    if fmt != "m3u8":  # M3U8 carries "artist - title" in #EXTINF, the id in the link
        assert parsed.rows[1].title == '=HYPERLINK("http://x")'  # the guard quote is gone
    job = start_import(ada, parsed, name="Back again", file_name=name)
    job.claim()

    run_import_job(job)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    statuses = list(job.rows.order_by("line").values_list("status", "method", "matched_uri"))
    assert statuses == [(MatchStatus.MATCHED, "uri", track_json(n)["uri"]) for n in (1, 2, 3, 8)]
    assert ApiCall.objects.count() == 0
    assert len(spotify.rsps.calls) == 0


def test_liked_songs_and_the_whole_library_export_as_exportifys_export_all(
    ada, ada_client, road_trip
):
    mirrored_playlist(ada, "pl-other", [5], name="road trip: 2026 summer")  # same file name
    for n in (1, 8):
        LikedSong.objects.create(
            user=ada, track_id=track_json(n)["id"], added_at=road_trip.listed_at
        )

    liked = ada_client.get(reverse("library_liked_export", args=["csv"]))
    assert liked.status_code == 200
    assert liked["Content-Disposition"] == 'attachment; filename="liked.csv"'
    assert len(rows_of(liked.content.decode())) == 3

    response = ada_client.get(reverse("library_export", args=["csv"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [
        "liked.csv",
        "road_trip_2026_summer.csv",
        "road_trip_2026_summer_2.csv",
    ]
    assert len(rows_of(archive.read("road_trip_2026_summer.csv").decode())) == 5


def test_a_playlist_download_is_the_owners_only(ada_client, road_trip, outsider, client):
    url = reverse("library_playlist_export", args=[road_trip.pk, "csv"])
    response = ada_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="road_trip_2026_summer.csv"'

    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert (
        ada_client.get(reverse("library_playlist_export", args=[road_trip.pk, "xlsx"])).status_code
        == 404
    )
    client.logout()
    assert client.get(url).status_code == 302


def test_a_json_file_that_is_no_playlist_is_refused_in_words():
    from playlists.imports.parsers import UnreadableFile

    with pytest.raises(UnreadableFile, match="not a playlist"):
        parse_upload("x.json", b'{"hello": "world"}')
    with pytest.raises(UnreadableFile, match="nested too deeply"):
        parse_upload("x.json", b"[" * 100_000 + b"]" * 100_000)


def test_the_api_exports_a_playlist_and_liked_songs_for_a_read_token(
    ada, road_trip, outsider, client
):
    from api.models import ApiToken, Scope

    _, token = ApiToken.create(ada, "exports", Scope.READ)
    _, theirs = ApiToken.create(outsider, "theirs", Scope.READ)
    url = f"/api/v1/playlists/{road_trip.pk}/export"

    response = client.get(url, {"format": "m3u8"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("audio/x-mpegurl")
    assert response.content.decode().startswith("#EXTM3U\n#PLAYLIST:Road Trip")
    liked = client.get("/api/v1/library/liked/export", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert liked.status_code == 200 and liked.content.decode().startswith('"Track URI"')

    refused = client.get(url, {"format": "xlsx"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 400 and "csv, json or m3u8" in refused.json()["error"]["message"]
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {theirs}").status_code == 404
    assert client.get(url).status_code == 401
