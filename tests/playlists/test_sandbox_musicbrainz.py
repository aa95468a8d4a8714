"""Enrichment against the sandbox MusicBrainz (live server), as `make demo` runs it with no
internet: most tracks get genres, a genre rule matches, the attribution notice shows; and the
sandbox keeps MusicBrainz's pace (503 with Retry-After past 1 request/s)."""

from collections import Counter

import pytest
import requests
from django.urls import reverse

from core import clock
from playlists.enrichment import enrich_library
from playlists.genres import ATTRIBUTION
from playlists.models import LibraryTrack, Playlist, TrackGenre
from playlists.musicbrainz import http as mb_http
from playlists.refresh import refresh_library
from sandbox.musicbrainz import knobs
from sandbox.musicbrainz.views import recordings_per_isrc
from sync.facts import load_base
from sync.rules import compile_rules, normalise

pytestmark = pytest.mark.django_db(transaction=True)
TRACKS = 40


@pytest.fixture
def sandbox_musicbrainz(sandbox_site, settings, monkeypatch):
    settings.MUSICBRAINZ_BASE_URL = f"{sandbox_site.url}/sandbox-musicbrainz/ws/2"
    settings.MUSICBRAINZ_CONTACT = "sandbox@tunekeeper.invalid"
    knobs.reset()
    mb_http.reset()
    yield settings.MUSICBRAINZ_BASE_URL
    knobs.reset()
    mb_http.reset()


@pytest.fixture
def fast(sandbox_musicbrainz, monkeypatch):
    """The pace is its own test below; here both sides skip it so 40 tracks take seconds."""
    monkeypatch.setattr(mb_http, "INTERVAL_SECONDS", 0.0)
    knobs.configure(min_interval=0)


def test_enrichment_over_the_sandbox_gives_genres_a_rule_can_use(world, fast, client):
    user, _ = world
    refresh_library(user)
    result = enrich_library(user, limit=TRACKS)

    assert result.tracks == TRACKS and result.requests > TRACKS
    enriched = list(
        LibraryTrack.objects.filter(user=user, track__enrichment__isnull=False)
        .values_list("track_id", "track__isrc")
        .distinct()
    )
    assert len(enriched) == TRACKS
    with_genres = set(TrackGenre.objects.values_list("track_id", flat=True))
    # Most tracks get genres; the ISRCs the sandbox does not know get none.
    assert len(with_genres) >= 0.7 * TRACKS
    unknown = {track for track, isrc in enriched if recordings_per_isrc(isrc) == 0}
    assert unknown and not (unknown & with_genres)
    # Non-genre tags ("seen live", "favourite") never become genres.
    names = set(TrackGenre.objects.values_list("genre__name", flat=True))
    assert names and not names & {"seen live", "favourite", "british", "00s", "live"}

    # A genre rule over a playlist holding enriched tracks keeps exactly those with the genre.
    genre, _ = Counter(TrackGenre.objects.values_list("genre__name", flat=True)).most_common(1)[0]
    base = (
        Playlist.objects.filter(user=user, items__track_id__in=with_genres)
        .distinct()
        .order_by("pk")
        .first()
    )
    content = load_base(base, user)
    rule = compile_rules(
        normalise(
            {
                "kind": "group",
                "match": "all",
                "rules": [{"kind": "condition", "field": "genre", "op": "is", "value": genre}],
            }
        ),
        now=clock.now(),
    )
    kept = {track_id for track_id, facts in content.facts.items() if rule(facts)}
    tagged = set(TrackGenre.objects.filter(genre__name=genre).values_list("track_id", flat=True))
    assert kept and kept == tagged & set(content.facts)

    client.force_login(user)
    assert ATTRIBUTION in client.get(reverse("library")).content.decode()


def test_an_isrc_with_two_recordings_and_an_unknown_one(sandbox_musicbrainz, world):
    from sandbox.spotify.models import Track

    isrcs = list(Track.objects.values_list("isrc", flat=True)[:200])
    several = next(isrc for isrc in isrcs if recordings_per_isrc(isrc) == 2)
    unknown = next(isrc for isrc in isrcs if recordings_per_isrc(isrc) == 0)
    knobs.configure(min_interval=0)
    session = requests.Session()
    session.headers["User-Agent"] = "Tunekeeper-tests/1 ( sandbox@tunekeeper.invalid )"
    found = session.get(
        f"{sandbox_musicbrainz}/isrc/{several}",
        params={"inc": "artist-credits+isrcs+tags", "fmt": "json"},
        timeout=10,
    )
    assert found.status_code == 200
    recordings = found.json()["recordings"]
    assert len(recordings) == 2 and all(several in r["isrcs"] for r in recordings)
    assert all(r["tags"] and r["artist-credit"] for r in recordings)
    assert session.get(f"{sandbox_musicbrainz}/isrc/{unknown}", timeout=10).status_code == 404
    # The ISRC resource refuses inc=genres, as MusicBrainz does.
    refused = session.get(f"{sandbox_musicbrainz}/isrc/{several}?inc=genres", timeout=10)
    assert refused.status_code == 400 and "genres" in refused.json()["error"]


def test_the_sandbox_keeps_musicbrainz_pace(sandbox_musicbrainz):
    session = requests.Session()
    session.headers["User-Agent"] = "Tunekeeper-tests/1 ( sandbox@tunekeeper.invalid )"
    url = f"{sandbox_musicbrainz}/genre/all?fmt=txt"
    first = session.get(url, timeout=10)
    too_soon = session.get(url, timeout=10)
    assert first.status_code == 200 and "jazz" in first.text.splitlines()
    assert too_soon.status_code == 503 and too_soon.headers["Retry-After"] == "1"
    assert [entry["status"] for entry in knobs.requests()] == [200, 503]
    # No User-Agent: refused as MusicBrainz refuses it.
    assert requests.get(url, headers={"User-Agent": ""}, timeout=10).status_code == 403


def test_fault_knobs_script_answers(sandbox_musicbrainz):
    knobs.configure(min_interval=0)
    knobs.fail_next(503, retry_after=7, times=2)
    session = requests.Session()
    session.headers["User-Agent"] = "Tunekeeper-tests/1"
    url = f"{sandbox_musicbrainz}/genre/all?fmt=txt"
    answers = [session.get(url, timeout=10) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "7"


def test_enrichment_at_its_own_pace_never_trips_the_sandbox_limit(world, sandbox_musicbrainz):
    """Both sides at their real pace (the client 1.1 s apart, the sandbox 1 request/s): no 503."""
    user, _ = world
    refresh_library(user)
    result = enrich_library(user, limit=3)
    answered = [entry["status"] for entry in knobs.requests()]
    assert result.tracks == 3 and len(answered) == result.requests >= 4
    assert 503 not in answered and set(answered) <= {200, 404}
