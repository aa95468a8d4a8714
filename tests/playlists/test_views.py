"""The Library pages: what they show, who may see it (an outsider gets 404), and the HTMX flows
(filtering the track table, the refresh progress, review decisions)."""

import pytest
from django.urls import reverse

from core import clock
from ops.jobs import JobStatus
from playlists.models import (
    EnrichmentStatus,
    Genre,
    LibraryRefresh,
    MBRecording,
    Track,
    TrackEnrichment,
    TrackGenre,
)
from tests.playlists.factories import mirrored_playlist, owned_import
from tests.playlists.fake_spotify import track_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


@pytest.fixture
def mallory_client(client, outsider):
    client.force_login(outsider)
    return client


def tid(n: int) -> str:
    return track_json(n)["id"]


def tag(track_id: str, *names: str) -> None:
    for name in names:
        genre, _ = Genre.objects.get_or_create(name=name)
        TrackGenre.objects.create(track_id=track_id, genre=genre, weight=3, source="recording")


def test_the_library_page_lists_playlists_counts_and_genre_coverage(ada, ada_client, settings):
    settings.MUSICBRAINZ_CONTACT = ""
    mirrored_playlist(ada, "pl-a", range(0, 8), name="Morning")
    mirrored_playlist(ada, "pl-b", range(4, 12), name="Evening")
    tag(tid(0), "rock")
    tag(tid(1), "rock", "pop")
    tag(tid(2), "pop")

    response = ada_client.get(reverse("library"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Morning" in html and "Evening" in html
    assert "12 tracks" in html
    assert "25% of tracks have genres" in html  # 3 of 12
    assert "CC BY-NC-SA 3.0" in html  # genres are shown: the attribution is there
    assert "set MUSICBRAINZ_CONTACT" in html and reverse("library_enrich") not in html


def test_the_track_table_filters_and_pages_on_the_server(ada, ada_client):
    mirrored_playlist(ada, "pl-a", range(0, 120))
    tag(tid(7), "trip hop")
    Track.objects.filter(pk=tid(8)).update(original_year=1971)

    first = ada_client.get(reverse("library_tracks"))
    second = ada_client.get(reverse("library_tracks"), {"page": 3})
    by_title = ada_client.get(reverse("library_tracks"), {"q": "song 117"})
    by_genre = ada_client.get(reverse("library_tracks"), {"genre": "trip hop"})
    by_year = ada_client.get(reverse("library_tracks"), {"year_from": 1970, "year_to": 1972})

    assert first.content.decode().count('href="/library/tracks/') == 50
    assert "page 1 of 3" in first.content.decode()
    assert second.content.decode().count('href="/library/tracks/') == 20
    assert "Song 117" in by_title.content.decode() and "1 track" in by_title.content.decode()
    assert "Song 7<" in by_genre.content.decode() and "1 track" in by_genre.content.decode()
    year_html = by_year.content.decode()
    # Spotify album years: 1960 + n // 10, so songs 100-119 are from 1970-1971; Song 8's
    # MusicBrainz year (1971) wins over its album's 1960.
    assert "21 tracks" in year_html
    assert "Song 8<" in year_html and "Song 9<" not in year_html


def test_filtering_over_htmx_swaps_only_the_table(ada, ada_client):
    mirrored_playlist(ada, "pl-a", range(0, 5))

    response = ada_client.get(reverse("library"), {"q": "song 3"}, HTTP_HX_REQUEST="true",
                              HTTP_HX_TARGET="track-table")  # fmt: skip

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="track-table">')
    assert "<h1>" not in html and "Song 3" in html and "Song 4" not in html


def test_refresh_over_htmx_queues_one_job_and_polls_its_progress(
    ada, ada_client, django_capture_on_commit_callbacks, sent_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = ada_client.post(reverse("library_refresh"), HTTP_HX_REQUEST="true")
        ada_client.post(reverse("library_refresh"), HTTP_HX_REQUEST="true")

    job = LibraryRefresh.objects.get(user=ada)  # the second click found the active one
    assert sent_tasks == [("playlists.tasks.refresh_library_task", [job.pk], "bulk")]
    poll_url = reverse("library_job", args=["refresh", job.pk])
    assert f'hx-get="{poll_url}"' in first.content.decode()
    job.claim()
    job.advance(done=40, total=100, step="Playlist 1 of 2")
    progress = ada_client.get(poll_url, HTTP_HX_REQUEST="true").content.decode()
    assert "40 of 100" in progress and 'hx-trigger="every 1s"' in progress
    job.complete()
    assert "hx-trigger" not in ada_client.get(poll_url).content.decode()  # stops polling


def test_a_job_no_worker_runs_says_since_when_in_the_persons_time_instead_of_an_eta(
    ada, ada_client, fake_clock
):
    from archive.models import HistoryProfile

    HistoryProfile.objects.create(user=ada, time_zone="Europe/Berlin")
    job = LibraryRefresh.objects.create(user=ada)
    job.claim()  # 12:00 UTC, 13:00 in Berlin
    poll_url = reverse("library_job", args=["refresh", job.pk])
    fake_clock.advance(60)
    job.advance(done=40, total=100, step="Playlist 1 of 2")
    alive = ada_client.get(poll_url, HTTP_HX_REQUEST="true").content.decode()
    assert "left" in alive and "waiting for a worker" not in alive  # a live job has an ETA

    fake_clock.advance(LibraryRefresh.lost_after().total_seconds() + 60)  # its worker died
    dead = ada_client.get(poll_url, HTTP_HX_REQUEST="true").content.decode()

    assert "waiting for a worker since 13:01" in dead
    assert "left" not in dead  # no ETA that only grows
    assert "40 of 100" in dead and 'hx-trigger="every 1s"' in dead  # still polled: it may resume


def test_the_track_detail_shows_its_sources(ada, ada_client):
    mirrored_playlist(ada, "pl-a", [5], name="Morning")
    recording = MBRecording.objects.create(
        mbid="rec-5", title="Song 5", artist_credit="Artist 5", first_release_date="1977-01-01",
        fetched_at=clock.now(),
    )  # fmt: skip
    TrackEnrichment.objects.create(
        track_id=tid(5), status=EnrichmentStatus.MATCHED, method="isrc", confidence=1.0,
        recording=recording, enriched_at=clock.now(),
    )  # fmt: skip
    Track.objects.filter(pk=tid(5)).update(original_year=1977, original_year_source="mb-recording")
    tag(tid(5), "disco")

    html = ada_client.get(reverse("library_track", args=[tid(5)])).content.decode()

    assert "USRC10000005" in html  # Spotify's ISRC
    assert "Morning" in html  # where it sits in the library
    assert "musicbrainz.org/recording/rec-5" in html and "confidence 1.00" in html
    assert "1977" in html and "MusicBrainz recording" in html
    assert "disco" in html and "CC BY-NC-SA 3.0" in html


def test_an_outsider_gets_404_for_every_object_of_someone_else(ada, outsider, mallory_client):
    playlist = mirrored_playlist(ada, "pl-a", [1, 2])
    job = LibraryRefresh.objects.create(user=ada)
    TrackEnrichment.objects.create(
        track_id=tid(1), status=EnrichmentStatus.REVIEW, confidence=0.8, enriched_at=clock.now()
    )
    import_kwargs = owned_import(ada)

    urls = [
        ("get", reverse("library_playlist", args=[playlist.pk])),
        ("get", reverse("library_track", args=[tid(1)])),
        ("get", reverse("library_job", args=["refresh", job.pk])),
        ("get", reverse("library_import_detail", kwargs=import_kwargs)),
        ("post", reverse("library_import_create", kwargs=import_kwargs)),
        ("post", reverse("library_review_accept", args=[tid(1)])),
        ("post", reverse("library_review_reject", args=[tid(1)])),
    ]
    answers = {url: getattr(mallory_client, method)(url).status_code for method, url in urls}

    assert set(answers.values()) == {404}, answers
    assert TrackEnrichment.objects.get(track_id=tid(1)).status == EnrichmentStatus.REVIEW
    # Nor does the outsider's own library page show any of it.
    html = mallory_client.get(reverse("library")).content.decode()
    assert "pl-a" not in html and "Song 1" not in html


def test_a_review_is_decided_over_htmx_and_the_row_swaps(ada, ada_client):
    mirrored_playlist(ada, "pl-a", [1])
    recording = MBRecording.objects.create(
        mbid="rec-1", title="Song 1", first_release_date="1984", tags=[["rock", 2]],
        fetched_at=clock.now(),
    )  # fmt: skip
    Genre.objects.create(name="rock")
    from playlists.models import MBGenre

    MBGenre.objects.create(name="rock", fetched_at=clock.now())
    TrackEnrichment.objects.create(
        track_id=tid(1), status=EnrichmentStatus.REVIEW, method="search", confidence=0.82,
        recording=recording, enriched_at=clock.now(),
        candidate={"mbid": "rec-1", "title": "Song 1", "artist": "Artist 1", "length_ms": 180000},
    )  # fmt: skip
    assert "Song 1" in ada_client.get(reverse("library_review")).content.decode()
    library_page = ada_client.get(reverse("library")).content.decode()
    assert reverse("library_review_accept", args=[tid(1)]) in library_page  # on the page too

    response = ada_client.post(
        reverse("library_review_accept", args=[tid(1)]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="review-{tid(1)}">') and "Accepted" in html
    track = Track.objects.get(pk=tid(1))
    assert track.original_year == 1984
    assert list(track.genre_links.values_list("genre__name", flat=True)) == ["rock"]


def test_job_progress_for_an_unknown_kind_is_404(ada_client, ada):
    job = LibraryRefresh.objects.create(user=ada, status=JobStatus.COMPLETED)
    assert ada_client.get(f"/library/jobs/bogus/{job.pk}/").status_code == 404


def test_track_and_playlist_pages_offer_downloads_and_blocking(client, django_user_model):
    owner = django_user_model.objects.create(username="downloader")
    playlist = mirrored_playlist(owner, "pl-downloads", [1])
    track = playlist.items.get().track
    client.force_login(owner)
    track_page = client.get(reverse("library_track", args=[track.pk])).content.decode()
    assert "Download" in track_page
    assert f'id="block-track-{track.pk}"' in track_page  # the blocklist's Block button
    playlist_page = client.get(reverse("library_playlist", args=[playlist.pk])).content.decode()
    assert reverse("downloads:playlist", args=[playlist.pk]) in playlist_page


@pytest.mark.django_db
def test_the_last_poll_of_a_refresh_tells_the_page_and_the_counts_redraw(client, django_user_model):
    from ops.jobs import JobStatus
    from playlists.models import LibraryRefresh, Playlist

    user = django_user_model.objects.create(username="ada")
    client.force_login(user)
    job = LibraryRefresh.objects.create(user=user, status=JobStatus.RUNNING)
    url = reverse("library_job", args=["refresh", job.pk])
    page = client.get(reverse("library")).content.decode()
    assert 'hx-trigger="tk-job-finished from:body"' in page
    assert "0 playlists" in page

    running = client.get(url, HTTP_HX_REQUEST="true")
    assert "HX-Trigger" not in running
    LibraryRefresh.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)
    Playlist.objects.create(user=user, spotify_id="p1", name="Fresh", listed_at=job.created_at)
    finished = client.get(url, HTTP_HX_REQUEST="true")
    assert finished["HX-Trigger"] == "tk-job-finished"

    overview = client.get(reverse("library"), {"part": "overview"}, HTTP_HX_REQUEST="true")
    assert overview.content.decode().lstrip().startswith('<div id="library-overview"')
    assert "1 playlist ·" in overview.content.decode()
    table = client.get(reverse("library"), {"part": "playlists"}, HTTP_HX_REQUEST="true")
    assert "Fresh" in table.content.decode() and "<html" not in table.content.decode()
