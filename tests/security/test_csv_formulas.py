"""CSV exports neutralise spreadsheet formulas; our own importer reads them back unchanged."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.urls import reverse

from archive.models import PlaySource
from archive.plays import NewPlay, store
from core.spreadsheet import neutralise, restore
from enforcement import sharing
from enforcement.models import BlockEntry, EntryKind, EntrySource
from tests.archive.factories import make_track, make_user, track_id
from tests.enforcement.factories import own_blocklist

pytestmark = pytest.mark.django_db
HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_cell_gets_a_leading_apostrophe_and_comes_back(value):
    assert neutralise(value) == "'" + value
    assert restore(neutralise(value)) == value


def test_plain_cells_and_numbers_are_left_alone():
    assert neutralise("Song 2") == "Song 2"
    assert neutralise(-5) == -5
    assert restore("'quoted") == "'quoted"


def test_the_history_csv_neutralises_track_names(client):
    user = make_user()
    make_track(1, name='=HYPERLINK("http://evil")', artist="@Artist")
    with transaction.atomic():
        store(
            user.pk,
            [NewPlay(track_id(1), datetime(2025, 7, 31, 21, tzinfo=UTC), PlaySource.POLL)],
        )
    client.force_login(user)
    response = client.get(
        reverse("history_export"), {"start": "2025-07-31", "end": "2025-08-01", "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [cell for row in rows for cell in row.values()]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_the_blocklist_csv_neutralises_and_imports_back_unchanged():
    user = make_user()
    blocklist = own_blocklist(user)
    BlockEntry.objects.create(
        blocklist=blocklist,
        kind=EntryKind.ARTIST,
        spotify_id="0" * 22,
        name="=cmd|' /C calc'!A0",
        note="-2+3",
        source=EntrySource.LINK,
    )
    exported = sharing.export_csv(blocklist)
    assert "'=cmd" in exported and "'-2+3" in exported
    parsed = sharing.parse_upload("list.csv", exported.encode())
    assert parsed.entries[0]["name"] == "=cmd|' /C calc'!A0"
    assert parsed.entries[0]["note"] == "-2+3"
