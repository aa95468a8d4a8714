"""Playlist import: every file format (and broken ones), matching by URI → ISRC → search with
the confidence gates, the preview, and creation on Spotify in chunks of 100."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ops.jobs import JobStatus
from playlists.imports.jobs import confirm_import, run_import_job, start_import
from playlists.imports.parsers import (
    MAX_FILE_BYTES,
    UnreadableFile,
    parse_upload,
)
from playlists.models import ImportRow, ImportStage, MatchStatus, PlaylistImport
from spotify.models import ApiCall
from tests.playlists.factories import mirrored_playlist
from tests.playlists.fake_spotify import track_json

WATSONBOX_HEADER = (
    '"Track URI","Track Name","Artist URI(s)","Artist Name(s)","Album URI","Album Name",'
    '"Album Artist URI(s)","Album Artist Name(s)","Album Release Date","Album Image URL",'
    '"Disc Number","Track Number","Track Duration (ms)","Track Preview URL","Explicit",'
    '"Popularity","ISRC","Added By","Added At"'
)


def watsonbox_row(uri, name, artists, isrc="", duration="200000", artist_uris=""):
    cells = [uri, name, artist_uris, artists, "", "Album", "", "", "1999", "", "1", "1",
             duration, "", "false", "undefined", isrc, "", "2020-07-19T09:24:39Z"]  # fmt: skip
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


def csv_file(*rows: str, header: str = WATSONBOX_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


# --- parsing ------------------------------------------------------------------------------------


def test_a_watsonbox_csv_gives_ids_isrcs_and_escaped_artist_names():
    data = csv_file(
        watsonbox_row("spotify:track:4iV5W9uYEdYUVa79Axb7Rh", "Never", "Earth\\, Wind & Fire, Ana",
                      isrc="US-SM1-9902591", artist_uris="spotify:artist:a, spotify:artist:b"),
        watsonbox_row("spotify:local:Me:Demo:Demo+Song:200", "Demo Song", "Me"),
    )  # fmt: skip

    parsed = parse_upload("road_trip.csv", data)

    assert parsed.format == "exportify" and parsed.name_hint == "road trip"
    first, local = parsed.rows
    assert first.spotify_id == "4iV5W9uYEdYUVa79Axb7Rh" and first.isrc == "USSM19902591"
    assert first.artists == ["Earth, Wind & Fire", "Ana"] and first.duration_ms == 200000
    assert first.line == 2
    assert local.spotify_id == "" and local.title == "Demo Song"  # local: matched on text


def test_translated_old_and_fork_layouts_are_recognised():
    german = csv_file(
        '"spotify:track:4iV5W9uYEdYUVa79Axb7Rh","Lied","x","Künstler","","","","","","","","","180000"',
        header='"Track-URI","Track-Name","Künstler-URI(s)","Künstlername(n)","a","b","c","d","e",'
        '"f","g","h","Track-Dauer (ms)"',
    )  # fmt: skip
    old_2015 = b"Spotify URI,Name,Artist Name,Album Name,Added By,Added At\n" \
        b"spotify:track:4iV5W9uYEdYUVa79Axb7Rh,Song,Band,Album,,\n"  # fmt: skip
    fork = (
        "\ufeffTrack ID,Track Name,Album Name,Artist Name(s),Release Date,Duration (ms),"
        "Popularity,Added By,Added At,Genres,Record Label\n"
        '4iV5W9uYEdYUVa79Axb7Rh,"Song","Album","A; B",2001,1000,,user,2024,"pop",Label\n'
    ).encode("utf-8")

    (de,) = parse_upload("x.csv", german).rows
    (old,) = parse_upload("x.csv", old_2015).rows
    (new_fork,) = parse_upload("x.csv", fork).rows

    assert de.title == "Lied" and de.artists == ["Künstler"] and de.duration_ms == 180000
    assert old.spotify_id == "4iV5W9uYEdYUVa79Axb7Rh" and old.artists == ["Band"]
    assert new_fork.spotify_id == "4iV5W9uYEdYUVa79Axb7Rh" and new_fork.artists == ["A", "B"]


def test_an_extended_m3u_reads_extinf_titles_links_and_the_playlist_name():
    data = "\n".join(
        [
            "#EXTM3U",
            "#PLAYLIST:Night Drive",
            '#EXTINF:123 tvg-id="x, y",Artist Name – Track, Title',
            "/music/whatever.flac",
            "#EXTINF:-1,Kraftwerk - Autobahn",
            "https://open.spotify.com/track/4iV5W9uYEdYUVa79Axb7Rh?si=abc",
            "C:\\Music\\The Band\\Album\\07 - The Band - Long Song.mp3",
            "file:///home/me/Music/03%20Nina%20Simone%20-%20Sinnerman.ogg",
        ]
    ).encode()

    parsed = parse_upload("night.m3u8", data)

    assert parsed.format == "m3u" and parsed.name_hint == "Night Drive"
    extinf, link, windows, url = parsed.rows
    assert extinf.artists == ["Artist Name"] and extinf.title == "Track, Title"
    assert extinf.duration_ms == 123000
    assert link.spotify_id == "4iV5W9uYEdYUVa79Axb7Rh" and link.title == "Autobahn"
    assert windows.artists == ["The Band"] and windows.title == "Long Song"
    assert url.artists == ["Nina Simone"] and url.title == "Sinnerman"


def test_a_latin1_m3u_is_read_with_a_warning():
    data = "#EXTINF:200,Björk - Jóga\nfile.mp3\n".encode("latin-1")

    parsed = parse_upload("old.m3u", data)

    assert parsed.rows[0].artists == ["Björk"] and parsed.rows[0].title == "Jóga"
    assert parsed.warnings and "not UTF-8" in parsed.warnings[0]


def test_plain_text_lines_with_numbers_times_comments_and_guesses():
    data = "\n".join(
        [
            "# my list",
            "1. Portishead - Glory Box (5:01)",
            "// skipped",
            "02) Massive Attack — Teardrop 5:29",
            "spotify:track:4iV5W9uYEdYUVa79Axb7Rh",
            "Just A Title",
        ]
    ).encode()

    rows = parse_upload("list.txt", data).rows

    assert [(r.artists, r.title, r.duration_ms) for r in rows[:2]] == [
        (["Portishead"], "Glory Box", 301000),
        (["Massive Attack"], "Teardrop", 329000),
    ]
    assert rows[2].spotify_id == "4iV5W9uYEdYUVa79Axb7Rh"
    assert rows[3].title == "Just A Title" and rows[3].needs_review


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.csv", b"", "empty"),
        ("x.csv", b"\x00\x01\x02binary", "binary"),
        ("x.csv", b"PK\x03\x04zipdata", "zip"),
        ("x.txt", b"<!DOCTYPE html><html></html>", "HTML"),
        ("x.pdf", b"%PDF-1.4", "not supported"),
        ("x.csv", b"a,b,c\n1,2,3\n", "does not look like an Exportify"),
        ("x.csv", WATSONBOX_HEADER.encode() + b'\n"spotify:track:x","only two"\n', "Line 2 has 2"),
        ("x.csv", WATSONBOX_HEADER.encode() + b"\n", "no tracks"),
        ("x.m3u", b"#EXTM3U\n#EXTINF:1,nothing after\n", "No tracks"),
        ("x.txt", b"A - B\n" * 10_001, "at most 10000"),
        ("x.txt", b"x" * 3000, "3000 characters"),
        ("x.txt", b"A - B\n" * (MAX_FILE_BYTES // 6 + 1), "MB are accepted"),
    ],
)
def test_broken_files_get_a_clear_error(name, data, message):
    with pytest.raises(UnreadableFile) as error:
        parse_upload(name, data)
    assert message in str(error.value)


# --- matching, preview, creation ----------------------------------------------------------------


def upload(client, name: str, data: bytes, playlist_name: str = ""):
    return client.post(
        reverse("library_import"),
        {"file": SimpleUploadedFile(name, data), "name": playlist_name},
    )


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


@pytest.mark.django_db
def test_a_malformed_or_oversized_upload_writes_nothing(ada_client):
    malformed = upload(ada_client, "x.csv", WATSONBOX_HEADER.encode() + b'\n"a","b"\n')
    oversized = upload(ada_client, "big.txt", b"A - B\n" * (MAX_FILE_BYTES // 6 + 1))

    assert malformed.status_code == 400 and "Line 2 has 2 columns" in malformed.content.decode()
    assert "Nothing was imported" in malformed.content.decode()
    assert oversized.status_code == 413 and "larger than 5 MB" in oversized.content.decode()
    assert not PlaylistImport.objects.exists() and not ImportRow.objects.exists()


@pytest.mark.django_db
def test_a_huge_declared_upload_is_refused_before_its_body_is_read(ada_client):
    response = ada_client.generic(
        "POST",
        reverse("library_import"),
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 1024**3),
    )
    assert response.status_code == 413
    assert not PlaylistImport.objects.exists()


@pytest.mark.django_db
def test_rows_match_by_uri_then_isrc_then_search_with_the_gates(ada, spotify):
    mirrored_playlist(ada, "pl-known", [1, 2])  # both in the catalog now
    known_isrc = "USRC10000002"
    spotify.searches['track:"Glory Box" artist:"Portishead"'] = [
        {**track_json(50), "name": "Glory Box", "duration_ms": 301000,
         "artists": [{"id": "ar-portishead000000000", "name": "Portishead"}]},
    ]  # fmt: skip
    spotify.searches['track:"Teardrop" artist:"Massive Attack"'] = [
        {**track_json(51), "name": "Teardrop (Mad Professor Remix)", "duration_ms": 329000,
         "artists": [{"id": "ar-massive0000000000000", "name": "Massive Attack"}]},
    ]  # fmt: skip
    spotify.searches["isrc:GBAAA0000009"] = []
    rows = [
        f"spotify:track:{track_json(1)['id']}",
        "Portishead - Glory Box (5:01)",
        "Massive Attack - Teardrop 5:29",
        "Nobody - Nothing At All",
    ]
    from playlists.imports.parsers import parse_upload as parse

    parsed = parse("list.txt", "\n".join(rows).encode())
    parsed.rows[3].isrc = "GBAAA0000009"
    parsed.rows.append(type(parsed.rows[0])(line=9, title="Song 2", isrc=known_isrc))
    job = start_import(ada, parsed, name="Mix", file_name="list.txt")
    job.claim()

    run_import_job(job)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.stage == ImportStage.PREVIEW
    by_line = {row.line: row for row in job.rows.all()}
    assert (by_line[1].method, by_line[1].status) == ("uri", MatchStatus.MATCHED)
    assert (by_line[9].method, by_line[9].matched_uri) == ("isrc", track_json(2)["uri"])
    assert by_line[2].status == MatchStatus.MATCHED and by_line[2].confidence >= 0.9
    assert by_line[3].status == MatchStatus.REVIEW and not by_line[3].include  # a remix
    assert 0.7 <= by_line[3].confidence < 0.9
    assert by_line[4].status == MatchStatus.UNMATCHED
    # Searches only for the rows the catalog could not answer: 2 text + ISRC + text.
    assert ApiCall.objects.filter(endpoint="GET /search").count() == 4


@pytest.mark.django_db
def test_the_preview_then_creation_adds_in_chunks_of_100(ada, ada_client, spotify):
    lines = [f"spotify:track:{track_json(n)['id']}" for n in range(250)]

    response = upload(ada_client, "big list.txt", "\n".join(lines).encode(), "Big one")
    job = PlaylistImport.objects.get(user=ada)
    assert response.status_code == 302 and response["Location"].endswith(f"/import/{job.pk}/")
    job.claim()
    run_import_job(job)
    preview = ada_client.get(reverse("library_import_detail", args=[job.pk])).content.decode()
    assert "Matched (250)" in preview and "Create “Big one” on Spotify" in preview
    # Links the catalog did not know were confirmed with Spotify, one call each.
    assert ApiCall.objects.filter(endpoint="GET /tracks/{id}").count() == 250

    keep = list(job.rows.exclude(position=0).values_list("pk", flat=True))
    ada_client.post(reverse("library_import_create", args=[job.pk]), {"include": keep})
    job.refresh_from_db()
    assert job.stage == ImportStage.CREATING and job.status == JobStatus.QUEUED
    job.claim()
    run_import_job(job)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.stage == ImportStage.CREATED
    assert spotify.created == [
        {"name": "Big one", "public": False, "collaborative": False,
         "description": "Imported by Tunekeeper from big list.txt"}
    ]  # fmt: skip
    assert [len(chunk) for chunk in spotify.added] == [100, 100, 49]
    assert spotify.added[0][0] == track_json(1)["uri"]  # line 1 was left out
    assert job.added == 249
    assert ApiCall.objects.filter(endpoint="POST /playlists/{id}/items").count() == 3


@pytest.mark.django_db
def test_a_resumed_creation_reads_spotify_instead_of_sending_a_chunk_twice(ada, spotify):
    job = PlaylistImport.objects.create(
        user=ada, name="Resumed", file_name="f.txt", file_format="text",
        stage=ImportStage.CREATING, spotify_playlist_id="new0000000000000000000",
    )  # fmt: skip
    ImportRow.objects.bulk_create(
        ImportRow(job=job, position=n, line=n, status=MatchStatus.MATCHED, include=True,
                  matched_uri=track_json(n)["uri"])
        for n in range(150)
    )  # fmt: skip
    # The worker died after Spotify took the first chunk, before the checkpoint.
    spotify.add_playlist("new0000000000000000000", range(100))
    job.claim()

    run_import_job(job)

    job.refresh_from_db()
    assert job.stage == ImportStage.CREATED and job.added == 150
    assert [len(chunk) for chunk in spotify.added] == [50]
    assert spotify.added[0][0] == track_json(100)["uri"]


@pytest.mark.django_db
def test_confirming_twice_queues_creation_once(ada):
    from tests.playlists.factories import parsed_text

    job = start_import(ada, parsed_text("A - B"), name="x", file_name="x.txt")
    PlaylistImport.objects.filter(pk=job.pk).update(stage=ImportStage.PREVIEW)

    assert confirm_import(job, set()) is True
    assert confirm_import(job, set()) is False


@pytest.mark.django_db
def test_the_import_page_polls_while_matching_then_reloads_into_the_preview(ada, ada_client):
    from tests.playlists.factories import parsed_text

    job = start_import(ada, parsed_text("A - B"), name="x", file_name="x.txt")
    url = reverse("library_import_detail", args=[job.pk])

    polling = ada_client.get(url, HTTP_HX_REQUEST="true")
    assert f'hx-get="{url}"' in polling.content.decode() and "HX-Refresh" not in polling

    PlaylistImport.objects.filter(pk=job.pk).update(
        status=JobStatus.COMPLETED, stage=ImportStage.PREVIEW
    )
    done = ada_client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "Create “x” on Spotify" in ada_client.get(url).content.decode()


@pytest.mark.django_db
def test_a_failed_matching_is_retried_from_its_page(ada, ada_client):
    from tests.playlists.factories import parsed_text

    job = start_import(ada, parsed_text("A - B"), name="x", file_name="x.txt")
    PlaylistImport.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="Spotify: 500")
    url = reverse("library_import_detail", args=[job.pk])
    assert "Retry matching" in ada_client.get(url).content.decode()

    response = ada_client.post(reverse("library_import_retry", args=[job.pk]))

    job.refresh_from_db()
    assert response.status_code == 302 and job.status == JobStatus.QUEUED
    assert job.stage == ImportStage.MATCHING
