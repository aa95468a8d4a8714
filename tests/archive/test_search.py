"""Unmatched account-data plays placed with Spotify search (against the sandbox Spotify): one
search per song, most played first, confident matches only, resumable, and on the import page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from archive.models import HistorySearch, PlayEvent, PlaySource, UnmatchedPlay
from archive.search import run_history_search, start_history_search, unmatched_summary
from bench.scenarios.common import connect
from ops.jobs import JobStatus
from sandbox.spotify import models as sandbox
from sandbox.spotify.seed import build_catalog
from spotify.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def sandbox_song(index: int) -> tuple[str, str, str]:
    """(primary artist, title, track id) of a catalog track whose title is its own."""
    for track in sandbox.Track.objects.order_by("pk")[index:]:
        if sandbox.Track.objects.filter(name=track.name).count() == 1:
            artist = track.credits.order_by("position").first().artist
            return artist.name, track.name, track.spotify_id
    raise AssertionError("no track with a unique title")


def unmatched(user, artist: str, title: str, plays: int, start: int = 0) -> None:
    UnmatchedPlay.objects.bulk_create(
        UnmatchedPlay(
            user=user,
            artist_name=artist,
            track_name=title,
            played_at=T0 + timedelta(hours=start + n),
            ms_played=150_000,
        )
        for n in range(plays)
    )


@pytest.fixture
def scene(sandbox_site, sandbox_users):
    build_catalog(300)
    user = connect(sandbox_users[0])
    often = sandbox_song(10)
    once = sandbox_song(40)
    unmatched(user, often[0], often[1], plays=3)
    unmatched(user, once[0], once[1], plays=1, start=10)
    unmatched(user, "Nobody Anyone Knows", "A Song Spotify Never Had", plays=2, start=20)
    return user, often, once


def test_each_song_is_searched_once_and_confident_matches_become_plays(scene):
    user, often, once = scene
    job, created = start_history_search(user)
    assert created and job.total == 3

    run_history_search(job)

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    assert (job.songs_matched, job.plays_placed, job.done) == (2, 4, 3)
    calls = ApiCall.objects.filter(job_id=job.ledger_job_id)
    assert list(calls.values_list("endpoint", flat=True)) == ["GET /search"] * 3
    placed = PlayEvent.objects.filter(user=user)
    assert placed.filter(track_id=often[2]).count() == 3
    assert placed.filter(track_id=once[2]).count() == 1
    assert set(placed.values_list("source", flat=True)) == {PlaySource.ACCOUNT}
    left = UnmatchedPlay.objects.filter(user=user)
    assert set(left.values_list("artist_name", flat=True)) == {"Nobody Anyone Knows"}
    assert all(row.searched_at for row in left)
    assert unmatched_summary(user.pk) == {"plays": 2, "songs": 1, "songs_to_search": 0}

    again, _ = start_history_search(user)
    run_history_search(again)
    assert ApiCall.objects.filter(job_id=again.ledger_job_id).count() == 0  # nothing re-asked


def test_a_spotify_pause_stops_the_search_and_it_resumes_where_it_stopped(scene, fake_clock):
    from spotify import state

    user, often, _ = scene
    job, _ = start_history_search(user)
    state.persist_pause(fake_clock.now() + timedelta(hours=20), "daily quota")

    run_history_search(job)

    job.refresh_from_db()
    assert job.status == JobStatus.PAUSED and job.done == 0
    assert UnmatchedPlay.objects.filter(user=user).count() == 6  # nothing lost

    state.clear_pause()
    job.start()
    run_history_search(job)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.plays_placed == 4
    assert PlayEvent.objects.filter(user=user, track_id=often[2]).count() == 3


def test_the_import_page_offers_the_search_and_shows_its_progress(scene, client):
    user, _, _ = scene
    client.force_login(user)
    page = client.get(reverse("history_import")).content.decode()
    assert "6 plays of 3 songs from your account data matched no track" in page
    assert "Look them up on Spotify (3 searches)" in page

    answer = client.post(reverse("history_unmatched"))

    assert answer.status_code == 302 and answer["Location"].endswith("#unmatched")
    job = HistorySearch.objects.get(user=user)
    assert job.status == JobStatus.QUEUED
    section = client.get(reverse("history_unmatched"), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="unmatched"' in section and "hx-trigger" in section  # polls while it runs
    assert "Match unmatched plays" in section and "Look them up" not in section
    client.post(reverse("history_unmatched"))  # pressed again: still one job
    assert HistorySearch.objects.filter(user=user).count() == 1


def test_the_search_needs_a_login_and_touches_only_your_own_plays(scene, client, django_user_model):
    assert client.post(reverse("history_unmatched")).status_code == 302  # to the login
    client.force_login(django_user_model.objects.create(username="mallory"))
    client.post(reverse("history_unmatched"))
    job = HistorySearch.objects.get()
    assert job.total == 0  # mallory has nothing unmatched; ada's plays are not hers to place


def test_a_song_the_catalog_has_learned_since_the_import_is_placed_without_a_call(scene):
    from playlists.models import Track

    user, _, once = scene
    # Since the import, a library refresh put this track in the catalog.
    Track.objects.create(
        id=once[2], name=once[1], artist_names=once[0], duration_ms=200_000, fetched_at=T0
    )
    job, _ = start_history_search(user)

    run_history_search(job)

    job.refresh_from_db()
    assert (job.songs_matched, job.plays_placed) == (2, 4)
    calls = ApiCall.objects.filter(job_id=job.ledger_job_id)
    assert calls.count() == 2  # the catalog answered for the third song
    assert PlayEvent.objects.filter(user=user, track_id=once[2]).count() == 1
