"""MusicBrainz enrichment against recorded response shapes: the ISRC path, the search fallback
and its confidence gates, the cache, pacing, 503 handling and the ledger."""

from datetime import timedelta
from itertools import pairwise

import pytest
import responses
from responses import matchers

from core import clock
from ops.jobs import JobStatus
from playlists import enrichment
from playlists.catalog import CatalogWriter
from playlists.enrichment import accept_review, enrich_library, reject_review
from playlists.models import (
    Album,
    EnrichmentStatus,
    LibraryTrack,
    MBIsrc,
    Track,
    TrackEnrichment,
    YearSource,
)
from playlists.musicbrainz import http as mb_http
from spotify import types
from spotify.models import ApiCall
from tests.playlists import mb_payloads as mb

pytestmark = pytest.mark.django_db

REC = "b1a9c0e9-d987-4042-ae91-78d6a3267d69"
RG = "3bd76d40-7f0e-36b7-9348-91a33afee20e"


@pytest.fixture(autouse=True)
def musicbrainz_setup(settings):
    settings.MUSICBRAINZ_CONTACT = "ops@tunekeeper.example"
    mb_http.reset()
    yield
    mb_http.reset()


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{mb.MB}/genre/all", body=mb.GENRE_LIST_TXT, content_type="text/plain")
        yield mock


def spotify_track(
    number: int,
    title: str,
    artist: str,
    *,
    isrc: str | None,
    duration_ms: int = 289000,
    album: str = "al-surrender-remastered",
    album_type: str = "album",
) -> dict:
    return {
        "id": f"tr-enrich-{number:011d}",
        "uri": f"spotify:track:tr-enrich-{number:011d}",
        "type": "track",
        "name": title,
        "duration_ms": duration_ms,
        "explicit": False,
        "is_local": False,
        "external_ids": {"isrc": isrc} if isrc else {},
        "artists": [{"id": f"ar-{artist[:10]}", "name": artist}],
        "album": {
            "id": album,
            "name": "Surrender (Remastered)",
            "album_type": album_type,
            "release_date": "2011-05-02",
            "release_date_precision": "day",
            "images": [],
            "artists": [],
        },
    }


def in_library(user, *payloads) -> list[Track]:
    writer = CatalogWriter(now=clock.now())
    for payload in payloads:
        writer.add_track(types.Track.from_api(payload))
    writer.flush()
    tracks = [Track.objects.get(pk=p["id"]) for p in payloads]
    LibraryTrack.objects.bulk_create([LibraryTrack(user=user, track=t) for t in tracks])
    return tracks


def mb_calls():
    return ApiCall.objects.filter(app="musicbrainz")


def test_the_isrc_path_gives_genres_and_the_original_year(ada, rsps):
    (track,) = in_library(
        ada,
        spotify_track(
            1, "Hey Boy Hey Girl - Remastered 2011", "The Chemical Brothers", isrc="gbaaa9900303"
        ),
    )
    isrc_call = rsps.get(
        f"{mb.MB}/isrc/GBAAA9900303",
        json=mb.isrc_lookup(
            "GBAAA9900303", [mb.recording(REC, "Hey Boy Hey Girl", isrcs=("GBAAA9900303",))]
        ),
        match=[matchers.query_param_matcher({"fmt": "json", "inc": "artist-credits+isrcs+tags"})],
    )
    rsps.get(
        f"{mb.MB}/recording/{REC}",
        json=mb.recording_with_releases(
            REC,
            "Hey Boy Hey Girl",
            [
                {
                    "id": "rg-comp",
                    "title": "Best Of",
                    "primary-type": "Album",
                    "secondary-types": ["Compilation"],
                    "first-release-date": "1998-01-01",
                },
                {
                    "id": RG,
                    "title": "Surrender",
                    "primary-type": "Album",
                    "first-release-date": "1999-06-21",
                },
            ],
        ),
        match=[matchers.query_param_matcher({"status": "official"}, strict_match=False)],
    )
    rsps.get(f"{mb.MB}/release-group/{RG}", json=mb.release_group(RG, "Surrender"))

    result = enrich_library(ada)

    track.refresh_from_db()
    genres = list(track.genre_links.values_list("genre__name", "weight", "source"))
    # big beat 3 (recording) ; electronic 6 and breakbeat 4 (release group, not the
    # compilation) ; "Hip-Hop" normalised to "hip hop" ; "seen live" is not a genre.
    assert genres == [
        ("electronic", 6, "recording"),
        ("breakbeat", 4, "recording"),
        ("big beat", 3, "recording"),
        ("hip hop", 1, "recording"),
    ]
    assert track.original_year == 1999  # not the 2011 remaster
    assert track.original_year_source == YearSource.MUSICBRAINZ_RECORDING
    assert track.enrichment.status == EnrichmentStatus.MATCHED
    assert track.enrichment.method == "isrc" and track.enrichment.confidence == 1.0
    assert Album.objects.get(pk=track.album_id).mb_release_group_id == RG
    assert result.requests == 4 == mb_calls().count()  # genre list, ISRC, recording, group
    assert set(mb_calls().values_list("purpose", flat=True)) == {"enrichment"}
    agent = isrc_call.calls[0].request.headers["User-Agent"]
    assert agent == "Tunekeeper/0.1 ( ops@tunekeeper.example )"


def test_an_albums_other_tracks_cost_one_request_and_a_warm_cache_costs_none(ada, rsps):
    _first, second = in_library(
        ada,
        spotify_track(1, "Hey Boy Hey Girl", "The Chemical Brothers", isrc="GBAAA9900303"),
        spotify_track(2, "Out of Control", "The Chemical Brothers", isrc="GBAAA9900304"),
    )
    for isrc, mbid, title in (
        ("GBAAA9900303", REC, "Hey Boy Hey Girl"),
        ("GBAAA9900304", "c0ffee00-0000-0000-0000-000000000002", "Out of Control"),
    ):
        rsps.get(
            f"{mb.MB}/isrc/{isrc}",
            json=mb.isrc_lookup(isrc, [mb.recording(mbid, title, isrcs=(isrc,))]),
        )
    rsps.get(
        f"{mb.MB}/recording/{REC}",
        json=mb.recording_with_releases(
            REC, "Hey Boy Hey Girl", [{"id": RG, "title": "Surrender", "primary-type": "Album"}]
        ),
    )
    rsps.get(f"{mb.MB}/release-group/{RG}", json=mb.release_group(RG, "Surrender"))

    enrich_library(ada)
    assert mb_calls().count() == 1 + 2 + 1 + 1  # list, two ISRCs, one recording, one group
    assert second.genre_links.filter(genre__name="electronic").exists()

    # Old results are refreshed only after their TTL; a fresh cache costs nothing.
    before = mb_calls().count()
    enrich_library(ada)
    assert mb_calls().count() == before


def test_an_isrc_on_no_recording_is_cached_and_search_decides(ada, rsps):
    (track,) = in_library(
        ada,
        spotify_track(
            1, "Enjoy the Silence", "Depeche Mode", isrc="GBAJH9000050", duration_ms=372000
        ),
    )
    rsps.get(f"{mb.MB}/isrc/GBAJH9000050", status=404, json=mb.NOT_FOUND)
    search = rsps.get(
        f"{mb.MB}/recording",
        json=mb.search_results(
            [mb.search_hit("rec-ets", "Enjoy the Silence", "Depeche Mode", length=372000,
                           first_release_date="1990-02-05", group_id="rg-violator")]
        ),
    )  # fmt: skip
    rsps.get(
        f"{mb.MB}/release-group/rg-violator",
        json=mb.release_group("rg-violator", "Violator", tags=(("synth-pop", 9),)),
    )

    enrich_library(ada)

    track.refresh_from_db()
    assert MBIsrc.objects.get(isrc="GBAJH9000050").status == "not_found"
    query = search.calls[0].request.params["query"]
    assert 'recording:"Enjoy the Silence" AND artist:"Depeche Mode"' in query
    assert "dur:[357000 TO 387000]" in query and "video:false" in query
    assert track.enrichment.status == EnrichmentStatus.MATCHED
    assert track.enrichment.method == "search" and track.enrichment.confidence >= 0.9
    assert track.original_year == 1990
    assert list(track.genre_links.values_list("genre__name", flat=True)) == ["synth-pop"]


@pytest.mark.parametrize(
    ("hit_title", "hit_artist", "hit_length", "expected"),
    [
        ("Blue Monday", "New Order", 448000, EnrichmentStatus.MATCHED),  # ≥ 0.9
        ("Blue Monday (Hardfloor Remix)", "New Order", 448000, EnrichmentStatus.REVIEW),
        ("Blue", "Joni Mitchell", 180000, EnrichmentStatus.NO_MATCH),  # < 0.7: dropped
    ],
)
def test_search_hits_pass_through_the_confidence_gates(
    ada, rsps, hit_title, hit_artist, hit_length, expected
):
    (track,) = in_library(
        ada, spotify_track(1, "Blue Monday", "New Order", isrc=None, duration_ms=448000)
    )
    rsps.get(
        f"{mb.MB}/recording",
        json=mb.search_results([mb.search_hit("rec-1", hit_title, hit_artist, length=hit_length)]),
    )
    rsps.get(f"{mb.MB}/release-group/rg-search-1", json=mb.release_group("rg-search-1", "X"))

    result = enrich_library(ada)

    enrichment_row = TrackEnrichment.objects.get(track=track)
    assert enrichment_row.status == expected
    if expected == EnrichmentStatus.REVIEW:
        assert 0.7 <= enrichment_row.confidence < 0.9
        assert enrichment_row.candidate["title"] == "Blue Monday (Hardfloor Remix)"
        assert not track.genre_links.exists()  # nothing applied before a person says so
        assert result.review == 1
    if expected == EnrichmentStatus.NO_MATCH:
        assert not track.genre_links.exists()
        assert enrichment_row.confidence < 0.7


def test_two_different_songs_scoring_alike_go_to_review_not_accepted(ada, rsps):
    (track,) = in_library(
        ada, spotify_track(1, "Angel", "Massive Attack", isrc=None, duration_ms=379000)
    )
    rsps.get(
        f"{mb.MB}/recording",
        json=mb.search_results(
            [
                mb.search_hit("rec-a", "Angel", "Massive Attack", length=379000),
                mb.search_hit("rec-b", "Angel", "Massive Attack Dub", length=379000),
            ]
        ),
    )

    enrich_library(ada)

    assert TrackEnrichment.objects.get(track=track).status == EnrichmentStatus.REVIEW


def test_accepting_a_review_applies_it_from_the_cache_and_rejecting_keeps_it_out(
    ada, rsps, django_user_model
):
    first, second = in_library(
        ada,
        spotify_track(1, "Blue Monday", "New Order", isrc=None, duration_ms=448000, album="a1"),
        spotify_track(2, "Blue Monday", "New Order", isrc=None, duration_ms=448000, album="a2"),
    )
    rsps.get(
        f"{mb.MB}/recording",
        json=mb.search_results(
            [mb.search_hit("rec-88", "Blue Monday 1988", "New Order", length=470000,
                           first_release_date="1988-04-25", tags=(("synth-pop", 4),))]
        ),
    )  # fmt: skip
    enrich_library(ada)
    before = mb_calls().count()

    accept_review(first.enrichment, ada)
    reject_review(TrackEnrichment.objects.get(track=second), ada)

    first.refresh_from_db()
    assert first.enrichment.status == EnrichmentStatus.MATCHED
    assert first.enrichment.method == "reviewed" and first.enrichment.decided_by == ada
    assert first.original_year == 1988
    assert list(first.genre_links.values_list("genre__name", flat=True)) == ["synth-pop"]
    assert TrackEnrichment.objects.get(track=second).status == EnrichmentStatus.REJECTED
    assert mb_calls().count() == before  # decisions cost no requests
    enrich_library(ada)
    assert mb_calls().count() == before  # a rejected track is not searched again


def test_requests_are_paced_at_one_per_1_1_seconds(ada, rsps, fake_clock):
    tracks = in_library(
        ada,
        *[spotify_track(n, f"Song {n}", "Nobody", isrc=f"GBAAA99000{n:02d}") for n in range(3)],
    )
    for track in tracks:
        rsps.get(f"{mb.MB}/isrc/{track.isrc}", status=404, json=mb.NOT_FOUND)
    rsps.get(f"{mb.MB}/recording", json=mb.search_results([]))

    enrich_library(ada)

    times = list(mb_calls().order_by("at").values_list("at", flat=True))
    assert len(times) == 1 + 3 * 3  # list; per track: ISRC, search with and without duration
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert min(gaps) >= 1.1 - 1e-3  # (float seconds through Redis)


def test_a_503_is_retried_after_retry_after_and_recorded(ada, rsps, fake_clock):
    (track,) = in_library(ada, spotify_track(1, "Song", "Nobody", isrc="GBAAA9900001"))
    rsps.get(
        f"{mb.MB}/isrc/GBAAA9900001",
        status=503,
        json=mb.RATE_LIMITED,
        headers=mb.RATE_LIMITED_HEADERS,
    )
    rsps.get(f"{mb.MB}/isrc/GBAAA9900001", status=404, json=mb.NOT_FOUND)
    rsps.get(f"{mb.MB}/recording", json=mb.search_results([]))

    enrich_library(ada)

    statuses = list(mb_calls().order_by("at", "pk").values_list("endpoint", "status"))
    assert statuses[1:3] == [("GET /isrc/{isrc}", 503), ("GET /isrc/{isrc}", 404)]
    assert mb_calls().get(status=503).retry_after == 1
    assert TrackEnrichment.objects.get(track=track).status == EnrichmentStatus.NO_MATCH


def test_a_busy_musicbrainz_pauses_the_job_instead_of_sleeping(ada, rsps, fake_clock):
    in_library(ada, spotify_track(1, "Song", "Nobody", isrc="GBAAA9900001"))
    rsps.get(f"{mb.MB}/isrc/GBAAA9900001", status=503, json=mb.BUSY, headers=mb.BUSY_HEADERS)
    job, _ = enrichment.start_enrichment(ada)
    job.claim()
    started = fake_clock.monotonic()

    enrichment.run_enrichment_job(job)

    job.refresh_from_db()
    assert job.status == JobStatus.PAUSED and job.pause_reason == "MusicBrainz busy"
    assert fake_clock.monotonic() - started < 60  # bounded backoff, then a pause
    assert mb_calls().filter(status=503).count() == mb_http.MAX_RETRIES + 1
    assert not TrackEnrichment.objects.exists()  # nothing concluded from a 503


def test_a_400_for_one_track_does_not_stop_the_queue(ada, rsps):
    in_library(
        ada,
        spotify_track(1, "Odd", "Nobody", isrc="GBAAA9900001", album="a1"),
        spotify_track(2, "Fine", "Nobody", isrc="GBAAA9900002", album="a2"),
    )
    rsps.get(f"{mb.MB}/isrc/GBAAA9900001", status=400, json=mb.BAD_INC)
    rsps.get(f"{mb.MB}/isrc/GBAAA9900002", status=404, json=mb.NOT_FOUND)
    rsps.get(f"{mb.MB}/recording", json=mb.search_results([]))

    result = enrich_library(ada)

    assert result.tracks == 2 and result.no_match == 2


def test_without_a_contact_nothing_is_sent_and_the_job_says_why(ada, settings):
    settings.MUSICBRAINZ_CONTACT = ""
    in_library(ada, spotify_track(1, "Song", "Nobody", isrc="GBAAA9900001"))
    job, _ = enrichment.start_enrichment(ada)
    job.claim()

    with responses.RequestsMock() as mock:
        enrichment.run_enrichment_job(job)
        assert len(mock.calls) == 0

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "MUSICBRAINZ_CONTACT" in job.error
    assert not mb_calls().exists()


def test_a_long_backlog_continues_in_a_new_run(
    ada, rsps, fake_clock, monkeypatch, django_capture_on_commit_callbacks, sent_tasks
):
    in_library(
        ada, *[spotify_track(n, f"Song {n}", "Nobody", isrc=f"GBAAA99000{n:02d}") for n in range(4)]
    )
    rsps.get(mb_http.BASE_URL + "/recording", json=mb.search_results([]))
    for n in range(4):
        rsps.get(f"{mb.MB}/isrc/GBAAA99000{n:02d}", status=404, json=mb.NOT_FOUND)
    monkeypatch.setattr(enrichment, "RUN_SECONDS", 5)  # room for about one track per run
    job, _ = enrichment.start_enrichment(ada)
    job.claim()

    with django_capture_on_commit_callbacks(execute=True):
        result = enrichment.run_enrichment_job(job)

    job.refresh_from_db()
    assert 0 < result.remaining < 4
    assert job.status == JobStatus.QUEUED and job.done == result.tracks
    # The next run is queued after the commit.
    assert sent_tasks == [("playlists.tasks.enrich_task", [job.pk], "bulk")]


def test_old_automatic_results_are_redone_but_a_persons_decision_is_kept(ada, rsps, fake_clock):
    old_auto, old_reviewed, fresh = in_library(
        ada,
        spotify_track(1, "A", "Nobody", isrc=None, album="a1"),
        spotify_track(2, "B", "Nobody", isrc=None, album="a2"),
        spotify_track(3, "C", "Nobody", isrc=None, album="a3"),
    )
    long_ago = clock.now() - enrichment.FOUND_TTL - timedelta(days=1)
    for track, method, when in (
        (old_auto, "isrc", long_ago),
        (old_reviewed, "reviewed", long_ago),
        (fresh, "isrc", clock.now()),
    ):
        TrackEnrichment.objects.create(
            track=track, status=EnrichmentStatus.MATCHED, method=method, enriched_at=when
        )

    assert list(enrichment.tracks_to_enrich(ada)) == [old_auto]


def test_the_enrich_command_runs_a_job_with_a_progress_bar(ada, rsps, capsys):
    from django.core.management import call_command

    from playlists.models import Enrichment

    call_command("enrich", "--user", "ada")
    output = capsys.readouterr()
    assert "0 tracks" in output.out
    assert "100%" in output.err
    assert Enrichment.objects.get(user=ada).status == "completed"
