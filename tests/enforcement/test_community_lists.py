"""Community blocklists as people share them: spotify-ai-blocker's `artist,id` CSV and a JSON
array of artist ids or objects (romiem/ai-bands' artists.json) import as artist entries; a bad
id is named by its line; a JSON bomb is refused in words."""

import pytest

from enforcement.models import BlockEntry, EntryKind
from enforcement.sharing import InvalidImport, apply_import, parse_upload, stage_import

A = "0TnOYISbd1XYRBk9myaseg"
B = "1vCWHaC5f2uS3yhpwWbIA6"


def test_the_artist_id_csv_imports_as_artists_named_by_the_file():
    data = f"artist,id\nBreaking Rust,{A}\n\nAventhis,{B}\nBreaking Rust,{A}\n".encode()

    parsed = parse_upload("ai-artists.csv", data)

    assert parsed.name == "ai-artists"
    assert [(e["kind"], e["spotify_id"], e["name"]) for e in parsed.entries] == [
        (EntryKind.ARTIST, A, "Breaking Rust"),
        (EntryKind.ARTIST, B, "Aventhis"),
    ]


def test_a_json_array_of_ids_uris_or_objects():
    data = f'["{A}", "spotify:artist:{B}", {{"name": "Someone", "id": "{A}"}}]'.encode()

    parsed = parse_upload("artists.json", data)

    assert [e["spotify_id"] for e in parsed.entries] == [A, B]
    assert {e["kind"] for e in parsed.entries} == {EntryKind.ARTIST}


def test_bad_rows_are_named_and_nothing_is_imported():
    with pytest.raises(InvalidImport, match=r"line 3: 'nope' is not a Spotify id"):
        parse_upload("list.csv", f"artist,id\nOk,{A}\nBad,nope\n".encode())
    with pytest.raises(InvalidImport, match="nests deeper than"):
        parse_upload("list.json", b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(InvalidImport, match="artist and id"):
        parse_upload("list.csv", b"name,url\nx,y\n")


@pytest.mark.django_db
def test_a_community_list_becomes_a_blocklist_of_artists(django_user_model):
    ada = django_user_model.objects.create(username="ada")
    staged = stage_import(ada, "ai-artists.csv", f"artist,id\nBreaking Rust,{A}\n".encode())

    blocklist = apply_import(staged)

    entry = BlockEntry.objects.get(blocklist=blocklist)
    assert (blocklist.name, entry.kind, entry.spotify_id, entry.name) == (
        "ai-artists",
        EntryKind.ARTIST,
        A,
        "Breaking Rust",
    )
