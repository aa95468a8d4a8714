"""The inputs issue 19 found answering 500, each now answered with a clean 4xx (or, for the
upload forms that always answer with a redirect and a message, that redirect) in words.

Every case runs through the real URL, middleware and database."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from archive.models import HistoryProfile, ImportJob
from enforcement.models import BlockEntry, BlocklistImport
from tests.archive.factories import make_user
from tests.enforcement.factories import finished_batch, plan_batch
from tests.playlists.factories import owned_import
from tests.sync.factories import OWNED_OBJECTS as SYNC_OWNED

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() says no


@pytest.fixture
def user():
    return make_user("hostile")


@pytest.fixture
def client(user):
    client = Client()
    client.force_login(user)
    return client


def words(response) -> str:
    return response.content.decode()


def assert_clean_4xx(response, *expected: int):
    assert 400 <= response.status_code < 500, (response.status_code, words(response)[:300])
    if expected:
        assert response.status_code in expected, response.status_code
    assert "Traceback" not in words(response)


# --- ids that are not ids ----------------------------------------------------------------------


def test_job_ids_with_unicode_digits_are_404_in_the_api(client):
    assert_clean_4xx(client.get(f"/api/v1/jobs/importjob-{SUPERSCRIPT_TWO}"), 404)
    assert_clean_4xx(client.post(f"/api/v1/jobs/importjob-{SUPERSCRIPT_TWO}/retry"))


def test_base_filter_with_unicode_digits_is_400(client):
    response = client.get(reverse("sync_history"), {"base": SUPERSCRIPT_TWO})
    assert_clean_4xx(response, 400)
    assert "base must be the number of an item" in words(response)


def test_rollback_items_that_are_not_ids_are_400(client, user):
    batch = finished_batch(user)
    url = reverse("enforcement_rollback", args=[batch.pk])
    response = client.post(url, {"selection": "1", "item": [SUPERSCRIPT_TWO]})
    assert_clean_4xx(response, 400)
    assert "item must be the number of an item" in words(response)


@pytest.mark.parametrize("item", ["abc", SUPERSCRIPT_TWO, "99999999999999999999999"])
def test_selecting_an_item_that_is_not_an_id_is_404(client, user, item):
    batch = plan_batch(user)
    response = client.post(reverse("enforcement_select", args=[batch.pk]), {"item": item})
    assert_clean_4xx(response, 404)


def test_playlist_import_include_that_is_not_an_id_is_400(client, user):
    pk = owned_import(user)["pk"]
    response = client.post(
        reverse("library_import_create", args=[pk]), {"include": ["1", SUPERSCRIPT_TWO]}
    )
    assert_clean_4xx(response, 400)


@pytest.mark.parametrize(
    "fields",
    [
        {"rule-r-kind": "group", f"rule-r.{SUPERSCRIPT_TWO}-kind": "condition"},
        {"rule-r-kind": "group", "action": f"remove:r.{SUPERSCRIPT_TWO}"},
        {"rule-r-kind": "group", "action": f"add-condition:r.0.{SUPERSCRIPT_TWO}"},
    ],
)
def test_rule_editor_paths_with_unicode_digits_are_ignored(client, user, fields):
    kwargs = SYNC_OWNED["sync_child_editor"](user)
    for name in ("sync_child_editor", "sync_child_preview"):
        response = client.post(reverse(name, kwargs=kwargs), fields, HTTP_HX_REQUEST="true")
        assert response.status_code < 500, (name, response.status_code)


def test_a_rule_tree_of_200_nested_groups_is_not_rendered_and_not_a_500(client, user):
    kwargs = SYNC_OWNED["sync_child_editor"](user)
    fields = {"rule-r-kind": "group", "rule-r-match": "all"}
    path = "r"
    for _ in range(200):
        path += ".0"
        fields[f"rule-{path}-kind"] = "group"
        fields[f"rule-{path}-match"] = "any"
    for name in ("sync_child_editor", "sync_child_preview"):
        response = client.post(reverse(name, kwargs=kwargs), fields, HTTP_HX_REQUEST="true")
        assert response.status_code < 500, (name, response.status_code)


# --- playlist files ----------------------------------------------------------------------------


def _playlist(client, name: str, content: bytes):
    upload = SimpleUploadedFile(name, content, "text/plain")
    return client.post(reverse("library_import"), {"file": upload, "name": "x"})


CSV_HEADER = b"Track URI,Track Name,Artist Name(s),Album Name,Track Duration (ms)\n"


@pytest.mark.parametrize("duration", [b"inf", b"1e400", b"3000000000", b"-1", b"nan"])
def test_absurd_csv_durations_are_read_as_unknown(client, duration):
    row = b"spotify:track:4uLU6hMCjMI75M1A2tKUQC,Song,Artist,Album," + duration + b"\n"
    response = _playlist(client, "list.csv", CSV_HEADER + row)
    assert response.status_code == 302, words(response)[:300]


@pytest.mark.parametrize(
    "extinf", [b"#EXTINF:99999999999999999999999,A - B", b"#EXTINF:1e400,A - B", b"#EXTINF:inf,A"]
)
def test_a_huge_extinf_is_read_as_an_unknown_duration(client, extinf):
    response = _playlist(client, "list.m3u", b"#EXTM3U\n" + extinf + b"\nsong.mp3\n")
    assert response.status_code == 302, words(response)[:300]


def test_a_nul_late_in_a_playlist_file_is_refused_as_binary(client):
    content = b"Artist - Title\n" * 1000 + b"Artist \x00 - Title\n"
    response = _playlist(client, "list.txt", content)
    assert_clean_4xx(response, 400)
    assert "binary file" in words(response)


def test_the_row_cap_refuses_a_file_of_one_character_lines_quickly(client):
    import time

    started = time.monotonic()
    response = _playlist(client, "list.txt", b"a\n" * (2_500_000 - 1))  # just under 5 MB
    assert_clean_4xx(response, 400)
    assert "at most 10000" in words(response)
    assert time.monotonic() - started < 5


# --- NUL characters in form fields -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("blocklist_block", "post", {"kind": "artist", "spotify_id": "0" * 22, "name": "A\x00"}),
        ("blocklist_add", "post", {"links": "x", "note": "a\x00b"}),
        ("blocklist_allow_add", "post", {"links": "x", "note": "a\x00b"}),
        ("blocklist_search", "get", {"q": "ab\x00c"}),
        ("api_token_create", "post", {"name": "to\x00ken", "scope": "read"}),
        ("library_tracks", "get", {"q": "\x00"}),
    ],
)
def test_nul_characters_in_fields_are_400_in_words(client, name, method, data):
    response = getattr(client, method)(reverse(name), data)
    assert_clean_4xx(response, 400)
    assert "NUL character" in words(response)
    assert not BlockEntry.objects.filter(name__contains="A").exists()
    assert not ApiToken.objects.exists()


def test_a_blocklist_import_with_nul_bytes_is_refused_in_words(client):
    upload = SimpleUploadedFile("list.csv", b"kind,spotify_id,name\nartist,x\x00,y\n")
    response = client.post(reverse("blocklist_import"), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "NUL characters" in words(response)
    assert not BlocklistImport.objects.exists()


def test_a_blocklist_import_with_an_escaped_nul_keeps_the_text_without_it(client):
    document = {
        "format": "tunekeeper-blocklist",
        "name": "Shared\u0000",
        "entries": [
            {"kind": "artist", "spotify_id": "0" * 22, "name": "A\u0000B", "note": "n\u0000"}
        ],
    }
    upload = SimpleUploadedFile("list.json", json.dumps(document).encode())
    response = client.post(reverse("blocklist_import"), {"file": upload})
    assert response.status_code == 302
    staged = BlocklistImport.objects.get()
    assert staged.name == "Shared"
    assert staged.entries[0]["name"] == "AB"


def test_a_deeply_nested_blocklist_import_is_refused_in_words(client):
    upload = SimpleUploadedFile("list.json", b'{"entries": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
    response = client.post(reverse("blocklist_import"), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "nests deeper than" in words(response)


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
def writer_token(user):
    return ApiToken.create(user, "script", "write")[1]


def test_a_6_mb_api_body_gets_a_json_413(writer_token):
    client = Client()
    response = client.post(
        reverse("api:enforcement-plans"),
        b"{" + b" " * (6 * 2**20) + b"}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {writer_token}",
    )
    assert_clean_4xx(response, 413)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "too_large"


def test_deeply_nested_api_json_is_a_json_400(writer_token):
    client = Client()
    for depth in (100, 100_000):
        response = client.post(
            reverse("api:enforcement-rollback"),
            b"[" * depth + b"]" * depth,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {writer_token}",
        )
        assert_clean_4xx(response, 400)
        assert "nests deeper" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [
        {"page": SUPERSCRIPT_TWO},
        {"page": "1e400"},
        {"per_page": "-1"},
        {"page": "9" * 5000},
    ],
)
def test_bad_api_paging_is_a_json_400(client, query):
    response = client.get(reverse("api:jobs"), query)
    assert_clean_4xx(response, 400)
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "9999-12-31"), ("0002-01-01", "9998-12-31")]
)
def test_extreme_dates_are_clamped_in_stats_export_and_api(client, user, start, end):
    stats = client.get(
        reverse("history_stats"), {"range": "custom", "start": start, "end": end, "by": "day"}
    )
    assert stats.status_code == 200
    export = client.get(reverse("history_export"), {"start": start, "end": end, "format": "csv"})
    assert export.status_code == 200
    b"".join(export.streaming_content)
    api = client.get(reverse("api:archive-stats"), {"from": start, "to": end})
    assert api.status_code == 200, api.content[:300]


@pytest.mark.parametrize("value", ["²⁰²⁴-01-01", "2024-13-01", "2024-1-1x", "x" * 10_000])
def test_dates_that_are_not_dates_are_400(client, value):
    response = client.get(reverse("api:archive-stats"), {"from": value})
    assert_clean_4xx(response, 400)
    stats = client.get(reverse("history_stats"), {"range": "custom", "start": value, "end": value})
    assert_clean_4xx(stats, 400)


def test_a_first_history_import_works_without_ever_opening_history(django_user_model):
    person = django_user_model.objects.create(username="fresh")
    client = Client()
    client.force_login(person)
    upload = SimpleUploadedFile(
        "Streaming_History_Audio_2024.json",
        json.dumps(
            [
                {
                    "ts": "2024-01-01T10:00:00Z",
                    "ms_played": 200000,
                    "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
                }
            ]
        ).encode(),
    )
    HistoryProfile.objects.filter(user=person).delete()
    response = client.post(reverse("history_import"), {"files": upload, "min_seconds": 30})
    assert response.status_code == 302
    assert ImportJob.objects.filter(user=person).exists()
