"""Imports that fail cleanly, against the sandbox Spotify (live server): a Spotify link counts as
matched only when the catalog knows it or Spotify confirmed it; a chunk Spotify refuses for a
bad id is narrowed down so every good row lands; the playlist is made only when there is
something to add and is never left behind empty; the review table and a Retry survive a
failure; a file that is not a playlist is refused before any call."""

import os
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import clock
from ops.jobs import JobStatus
from playlists.imports.jobs import confirm_import, run_import_job, start_import
from playlists.imports.parsers import UnreadableFile, parse_upload
from playlists.models import ImportRow, ImportStage, MatchStatus, PlaylistImport, Track
from sandbox.spotify import faults
from sandbox.spotify import models as sandbox
from spotify.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)

MADE_UP = "0000000000000000000000"  # base62-valid, unknown to Spotify
CREATE = "POST /me/playlists"
ADD = "POST /playlists/{id}/items"


def sandbox_uris(count: int, offset: int = 0) -> list[str]:
    ids = sandbox.Track.objects.order_by("id").values_list("spotify_id", flat=True)
    return [f"spotify:track:{i}" for i in ids[offset : offset + count]]


def run(job: PlaylistImport) -> PlaylistImport:
    job.refresh_from_db()
    assert job.claim()
    run_import_job(job)
    job.refresh_from_db()
    return job


def imported(user, lines: list[str], name="Mix") -> PlaylistImport:
    parsed = parse_upload("list.txt", "\n".join(lines).encode())
    return run(start_import(user, parsed, name=name, file_name="list.txt"))


def held(playlist_id: str) -> list[str]:
    return list(
        sandbox.PlaylistItem.objects.filter(playlist__spotify_id=playlist_id)
        .order_by("position")
        .values_list("uri", flat=True)
    )


def calls(endpoint: str) -> int:
    return ApiCall.objects.filter(endpoint=endpoint).count()


def create(job: PlaylistImport, include=None) -> PlaylistImport:
    if include is None:
        include = set(job.rows.filter(include=True).values_list("pk", flat=True))
    assert confirm_import(job, include)
    return run(job)


def stale_catalog_track(spotify_id: str) -> Track:
    """A track our catalog believes in that Spotify no longer has (removed since)."""
    return Track.objects.create(id=spotify_id, name="Gone", duration_ms=1, fetched_at=clock.now())


def test_a_made_up_link_is_not_found_and_real_links_are_confirmed_by_spotify(world):
    user, _ = world
    real = sandbox_uris(3)

    job = imported(user, [f"spotify:track:{MADE_UP}", *real])

    assert job.stage == ImportStage.PREVIEW
    rows = {row.line: row for row in job.rows.all()}
    assert rows[1].status == MatchStatus.UNMATCHED and not rows[1].include
    assert "does not know this link" in rows[1].problem
    assert [rows[n].status for n in (2, 3, 4)] == [MatchStatus.MATCHED] * 3
    assert [rows[n].matched_uri for n in (2, 3, 4)] == real
    assert calls("GET /tracks/{id}") == 4  # one confirmation per link the catalog lacked
    # Confirmed tracks joined the catalog: the same links cost nothing next time.
    again = imported(user, real)
    assert calls("GET /tracks/{id}") == 4
    assert again.rows.filter(status=MatchStatus.MATCHED).count() == 3


def test_a_refused_id_is_narrowed_down_and_every_good_row_still_lands(world):
    user, _ = world
    good = sandbox_uris(150)
    stale_catalog_track(MADE_UP)  # so the link counts as matched: only the write finds out
    lines = [*good[:70], f"spotify:track:{MADE_UP}", *good[70:]]
    job = imported(user, lines)
    assert job.rows.filter(status=MatchStatus.MATCHED).count() == 151

    job = create(job)

    assert job.status == JobStatus.COMPLETED and job.stage == ImportStage.CREATED
    assert held(job.spotify_playlist_id) == good  # in file order, the bad one left out
    assert job.added == 150
    bad = job.rows.get(line=71)
    assert bad.status == MatchStatus.UNMATCHED and not bad.include and not bad.landed
    assert "Spotify refused this track" in bad.problem
    assert "refused 1" in job.step
    # 100 refused → halves down to the one bad id (≈2·log2 100 calls), then the last 51.
    refused = ApiCall.objects.filter(endpoint=ADD, status=400).count()
    assert 1 <= refused <= 8
    assert calls(CREATE) == 1
    page = _page(user, job)  # the person sees which line and why
    assert "Line 71" in page and "Spotify refused this track" in page


def _page(user, job) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(reverse("library_import_detail", args=[job.pk])).content.decode()


def test_nothing_ticked_makes_no_playlist(world):
    user, _ = world
    job = imported(user, sandbox_uris(5))
    before = sandbox.Playlist.objects.count()

    job = create(job, include=set())

    assert calls(CREATE) == 0 and sandbox.Playlist.objects.count() == before
    assert job.status == JobStatus.FAILED and job.stage == ImportStage.PREVIEW
    assert "Nothing is ticked" in job.error


def test_when_spotify_refuses_every_row_the_empty_playlist_is_removed_and_the_review_stays(
    world,
):
    user, ada_sandbox = world
    stale_catalog_track(MADE_UP)
    stale_catalog_track("0000000000000000000001")
    job = imported(
        user, [f"spotify:track:{MADE_UP}", "spotify:track:0000000000000000000001"], "Doomed"
    )
    assert job.rows.filter(status=MatchStatus.MATCHED).count() == 2

    job = create(job)

    assert calls(CREATE) == 1
    made = sandbox.Playlist.objects.get(name="Doomed")
    assert not sandbox.PlaylistFollow.objects.filter(user=ada_sandbox, playlist=made).exists()
    assert job.spotify_playlist_id == ""
    assert job.status == JobStatus.FAILED and job.stage == ImportStage.PREVIEW
    assert "refused every ticked track" in job.error and "removed" in job.error
    page = _page(user, job)
    assert "Not found (2)" in page and page.count("Spotify refused this track") == 2


def test_a_lost_answer_keeps_the_review_and_retry_finishes_without_duplicates(world):
    user, _ = world
    good = sandbox_uris(250)
    job = imported(user, good, "Half")
    # The first chunk lands on Spotify but its answer is a 500: a POST is never re-sent blindly.
    faults.fail_next(500, only=(ADD,), after_apply=True)

    first = create(job)

    assert first.status == JobStatus.FAILED and first.stage == ImportStage.PREVIEW
    assert "holds tracks already" in first.error and "Retry" in first.error
    assert first.spotify_playlist_id  # not removed: it is not empty
    page = _page(user, first)
    assert "Retry: add the ticked tracks" in page and "Matched (250)" in page

    again = create(first)

    assert again.status == JobStatus.COMPLETED and again.stage == ImportStage.CREATED
    assert held(again.spotify_playlist_id) == good  # no chunk twice
    assert calls(CREATE) == 1  # the retry used the same playlist
    assert again.added == 250 and again.rows.filter(landed=True).count() == 250


def test_a_first_chunk_refused_by_a_server_error_leaves_no_empty_playlist(world):
    user, ada_sandbox = world
    job = imported(user, sandbox_uris(20), "Retry me")
    faults.fail_next(503, only=(ADD,))

    first = create(job)

    assert first.status == JobStatus.FAILED and "removed" in first.error
    made = sandbox.Playlist.objects.get(name="Retry me")
    assert not sandbox.PlaylistFollow.objects.filter(user=ada_sandbox, playlist=made).exists()
    again = create(first)
    assert again.stage == ImportStage.CREATED
    assert held(again.spotify_playlist_id) == sandbox_uris(20)


def test_random_bytes_are_refused_before_any_row_or_call(world, client):
    user, _ = world
    client.force_login(user)
    noise = random.Random(7).randbytes(50 * 1024)
    printable_noise = bytes(b for b in os.urandom(60 * 1024) if 0x20 <= b < 0x7F or b == 0x0A)

    answers = [
        client.post(reverse("library_import"), {"file": SimpleUploadedFile(name, data)})
        for name, data in [
            ("noise.txt", noise),
            ("noise.txt", noise.replace(b"\x00", b"")),
            ("typed.txt", printable_noise),
        ]
    ]

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert "not a playlist" in answers[1].content.decode()
    assert "does not look like a playlist" in answers[2].content.decode()
    assert not PlaylistImport.objects.exists() and not ImportRow.objects.exists()
    assert not ApiCall.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(1, 256)) * 40, "mostly not text"),
        ("Straße - Ünïcødé\n".encode("cp1252") * 50, None),  # accented, not noise: accepted
        (b"just some words\nand more words\nno dashes here\n", "does not look like a playlist"),
    ],
)
def test_the_text_check_tells_noise_from_lists(data, message):
    if message is None:
        assert parse_upload("x.txt", data).rows
        return
    with pytest.raises(UnreadableFile, match=message):
        parse_upload("x.txt", data)
