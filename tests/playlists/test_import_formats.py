# ruff: noqa: E501 - the header rows are data, one language a line
"""Files as other tools write them: exportify-cli 1.x (its default and full CSV column sets and
its JSON, per its src/exportify_cli/export.py: csv.DictWriter, artists joined with ", "), and
Exportify's web app CSV with its translated headers (src/i18n/locales/<lang>/translation.json,
every field double-quoted, names with a comma escaped as "\\,")."""

import csv
import io
import json

import pytest

from ops.jobs import JobStatus
from playlists.imports.jobs import run_import_job, start_import
from playlists.imports.parsers import duration_ms, parse_upload
from playlists.models import MatchStatus
from spotify.models import ApiCall
from tests.playlists.factories import mirrored_playlist
from tests.playlists.fake_spotify import track_json

# exportify-cli's headers, in its output order.
CLI_ALL = [
    "Position", "Track URI", "Artist URI(s)", "Album URI", "Track Name", "Album Name",
    "Artist Name(s)", "Release Date", "Duration_ms", "Popularity", "Added By", "Added At",
    "Record Label", "Track ISRC", "Album UPC",
]  # fmt: skip
CLI_DEFAULT = [
    h
    for h in CLI_ALL
    if h not in ("Track URI", "Artist URI(s)", "Album URI", "Track ISRC", "Album UPC")
]
# Exportify's 19 columns in the languages people asked about.
WEB_HEADERS = {
    "en": ["Track URI", "Track Name", "Artist URI(s)", "Artist Name(s)", "Album URI", "Album Name", "Album Artist URI(s)", "Album Artist Name(s)", "Album Release Date", "Album Image URL", "Disc Number", "Track Number", "Track Duration (ms)", "Track Preview URL", "Explicit", "Popularity", "ISRC", "Added By", "Added At"],
    "de": ["Track-URI", "Track-Name", "Künstler-URI(s)", "Künstlername(n)", "Album-URI", "Album-Name", "Album-Künstler-URI(s)", "Album-Künstlername(n)", "Veröffentlichungsdatum des Albums", "Album-Bild-URL", "Disc-Nummer", "Track-Nummer", "Track-Dauer (ms)", "Track-Vorschau-URL", "Explizit", "Beliebtheit", "ISRC", "Hinzugefügt von", "Hinzugefügt am"],
    "pt": ["URI da faixa", "Nome da faixa", "URI(s) do artista", "Nome(s) do artista", "URI do álbum", "Nome do álbum", "URI(s) do artista do álbum", "Nome(s) do artista do álbum", "Data de lançamento do álbum", "URL da imagem do álbum", "Número do disco", "Número da faixa", "Duração da faixa (ms)", "URL de prévia da faixa", "Explícita", "Popularidade", "ISRC", "Adicionado por", "Adicionado em"],
    "es": ["URI de la canción", "Nombre de la canción", "URI(s) del artista", "Nombre(s) del artista", "URI del álbum", "Nombre del álbum", "URI(s) del artista del álbum", "Nombre(s) del artista del álbum", "Fecha de lanzamiento del álbum", "URL de la imagen del álbum", "Número de disco", "Número de la canción", "Duración de la canción (ms)", "URL de vista previa de la canción", "Explícito", "Popularidad", "ISRC", "Añadido por", "Añadido en"],
    "ja": ["トラックURI", "トラック名", "アーティストURI", "アーティスト名", "アルバムURI", "アルバム名", "アルバムアーティストURI", "アルバムアーティスト名", "アルバム発売日", "アルバム画像URL", "ディスク番号", "トラック番号", "トラックの長さ（ミリ秒）", "トラックプレビューURL", "明示的な内容", "人気度", "ISRC", "追加者", "追加日時"],
}  # fmt: skip

SONGS = [
    # (uri, title, artists, album, duration, isrc)
    ("spotify:track:4iV5W9uYEdYUVa79Axb7Rh", "Boogie Wonderland", ["Earth, Wind & Fire", "The Emotions"], "I Am", 288000, "USSM17900443"),
    ("spotify:track:2takcwOaAZWiXQijPHIx7B", "Über den Wolken", ["Reinhard Mey"], "Wie vor Jahr und Tag", 222400, "DEA817400123"),
]  # fmt: skip


def cli_record(position: int, song) -> dict:
    uri, title, artists, album, duration, isrc = song
    return {
        "Position": position, "Track URI": uri,
        "Artist URI(s)": [f"spotify:artist:a{n}" for n in range(len(artists))],
        "Album URI": "spotify:album:y", "Track Name": title, "Album Name": album,
        "Artist Name(s)": artists, "Release Date": "1979-06-08", "Duration_ms": duration,
        "Popularity": None, "Added By": "ada", "Added At": "2024-03-01T10:00:00Z",
        "Record Label": "Columbia", "Track ISRC": isrc, "Album UPC": "0000",
    }  # fmt: skip


def cli_csv(headers: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    for position, song in enumerate(SONGS, start=1):
        record = {k: v for k, v in cli_record(position, song).items() if k in headers}
        writer.writerow({k: ", ".join(v) if isinstance(v, list) else v for k, v in record.items()})
    return out.getvalue().encode()


def web_csv(headers: list[str]) -> bytes:
    lines = [",".join(f'"{h}"' for h in headers)]
    for uri, title, artists, album, duration, isrc in SONGS:
        names = ", ".join(a.replace(",", "\\,") for a in artists)
        cells = [uri, title, "spotify:artist:x", names, "spotify:album:y", album, "", "",
                 "1979", "", "1", "1", str(duration), "", "false", "", isrc, "", "2024-03-01T10:00:00Z"]  # fmt: skip
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    return ("\n".join(lines) + "\n").encode()


def assert_every_field(parsed, *, ids: bool = True, isrcs: bool = True):
    for row, (uri, title, artists, album, duration, isrc) in zip(parsed.rows, SONGS, strict=True):
        assert row.title == title
        # exportify-cli does not escape commas in names: the names survive, their split may not.
        assert ", ".join(row.artists) == ", ".join(artists)
        assert row.album == album
        assert row.duration_ms == duration
        assert row.spotify_id == (uri.rpartition(":")[2] if ids else "")
        assert row.isrc == (isrc if isrcs else "")


def test_exportify_cli_default_csv_keeps_duration_and_album():
    parsed = parse_upload("Road Trip [abc].csv", cli_csv(CLI_DEFAULT))
    assert_every_field(parsed, ids=False, isrcs=False)


def test_exportify_cli_full_csv_gives_ids_and_isrcs():
    parsed = parse_upload("Road Trip [abc].csv", cli_csv(CLI_ALL))
    assert_every_field(parsed)


def test_exportify_cli_json_is_read():
    records = [cli_record(n, song) for n, song in enumerate(SONGS, start=1)]
    parsed = parse_upload("Road Trip [abc].json", json.dumps(records, indent=4).encode())
    assert parsed.format == "json"
    assert_every_field(parsed)
    assert parsed.rows[0].artists == ["Earth, Wind & Fire", "The Emotions"]  # a real list


@pytest.mark.parametrize("language", sorted(WEB_HEADERS))
def test_the_web_apps_csv_in_each_language_gives_every_field(language):
    parsed = parse_upload("road_trip.csv", web_csv(WEB_HEADERS[language]))
    assert parsed.format == "exportify"
    assert_every_field(parsed)
    assert parsed.rows[0].artists == ["Earth, Wind & Fire", "The Emotions"]


def test_durations_read_in_ms_or_minutes_and_seconds():
    assert duration_ms("200000") == 200000
    assert duration_ms("3:20") == 200000
    assert duration_ms("63:05") == 3785000
    assert duration_ms("3:75") is None
    assert duration_ms("") is None


@pytest.mark.django_db
def test_exportify_clis_default_export_matches_known_tracks_by_text_without_calls(ada, spotify):
    mirrored_playlist(ada, "pl-known", [1, 2, 3])
    headers = ["Position", "Track Name", "Album Name", "Artist Name(s)", "Duration_ms"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    for position, n in enumerate((1, 2, 3), start=1):
        track = track_json(n)
        writer.writerow(
            {
                "Position": position,
                "Track Name": track["name"],
                "Album Name": track["album"]["name"],
                "Artist Name(s)": ", ".join(a["name"] for a in track["artists"]),
                "Duration_ms": track["duration_ms"],
            }
        )
    parsed = parse_upload("Known [x].csv", out.getvalue().encode())
    job = start_import(ada, parsed, name="Known", file_name="Known [x].csv")
    job.claim()

    run_import_job(job)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    matched = list(job.rows.order_by("line").values_list("status", "matched_uri"))
    assert matched == [(MatchStatus.MATCHED, track_json(n)["uri"]) for n in (1, 2, 3)]
    assert ApiCall.objects.count() == 0
