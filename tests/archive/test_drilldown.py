"""An artist's, album's and track's own history: counts from the rollups agree with the plays,
first and last play, months without plays shown as zero, top tracks, the rank among the
person's artists, only the person's own plays, and the library's track page linking there."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from archive import drilldown, plays
from archive.models import PlaySource
from playlists.models import Track
from tests.archive.factories import make_track, make_user, track_id

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


def play(user, number: int, at: datetime, ms: int = 200_000):
    with transaction.atomic():
        plays.store(
            user.pk,
            [
                plays.NewPlay(
                    track_id=track_id(number),
                    played_at=at,
                    source=PlaySource.EXTENDED,
                    ms_played=ms,
                    duration_ms=200_000,
                )
            ],
        )


@pytest.fixture
def listened():
    ada = make_user("ada", time_zone="Europe/Berlin")
    grace = make_user("grace")
    for number in (1, 2):
        make_track(number, artist="Portishead")
    make_track(3, artist="Massive Attack")
    # Portishead: song 1 three times in January, song 2 once in April (Feb, Mar silent).
    for n in range(3):
        play(ada, 1, T0 + timedelta(days=n))
    play(ada, 2, T0 + timedelta(days=90))
    # Massive Attack: twice; grace's plays count for grace only.
    play(ada, 3, T0 + timedelta(days=5))
    play(ada, 3, T0 + timedelta(days=6))
    for n in range(10):
        play(grace, 3, T0 + timedelta(days=n))
    return ada, grace


def artist_id(name: str) -> str:
    return (
        Track.objects.get(pk=track_id(1 if name == "Portishead" else 3))
        .artist_links.get()
        .artist_id
    )


def test_an_artist_page_counts_its_tracks_plays_and_ranks_it(listened):
    ada, _ = listened

    history = drilldown.history_of(ada.pk, drilldown.ARTIST, artist_id("Portishead"))

    assert history.plays == 4
    assert history.minutes == 4 * 200_000 // 60_000
    assert history.first_played_at == T0
    assert history.last_played_at == T0 + timedelta(days=90)
    assert [plays for _, plays in history.monthly] == [3, 0, 0, 1]  # Jan..Apr, gaps as zero
    assert [(track.pk, n) for track, n in history.top_tracks] == [
        (track_id(1), 3),
        (track_id(2), 1),
    ]
    assert (history.rank, history.ranked_of) == (1, 2)
    massive = drilldown.history_of(ada.pk, drilldown.ARTIST, artist_id("Massive Attack"))
    assert (massive.plays, massive.rank) == (2, 2)


def test_an_album_and_a_track_page(listened):
    ada, _ = listened
    album_id = Track.objects.get(pk=track_id(2)).album_id

    album = drilldown.history_of(ada.pk, drilldown.ALBUM, album_id)
    track = drilldown.history_of(ada.pk, drilldown.TRACK, track_id(1))

    assert (album.plays, album.last_played_at) == (1, T0 + timedelta(days=90))
    assert (track.plays, track.first_played_at, track.last_played_at) == (
        3,
        T0,
        T0 + timedelta(days=2),
    )
    assert track.top_tracks == []
    assert (track.rank, track.ranked_of) == (1, 3)


def test_the_pages_show_only_the_persons_own_plays(client, listened):
    ada, grace = listened
    massive = artist_id("Massive Attack")

    client.force_login(ada)
    page = client.get(reverse("history_artist", args=[massive])).content.decode()
    assert "<dt>Plays</dt><dd>2</dd>" in page
    assert "#2 of 2 artists" in page
    client.force_login(grace)
    theirs = client.get(reverse("history_artist", args=[massive])).content.decode()
    assert "<dt>Plays</dt><dd>10</dd>" in theirs
    # Grace never played Portishead: nothing to show her, whoever else did.
    assert client.get(reverse("history_artist", args=[artist_id("Portishead")])).status_code == 404
    assert client.get(reverse("history_track", args=["nope"])).status_code == 404
    assert client.get(reverse("history_album", args=["x" * 500])).status_code == 404
    client.logout()
    assert client.get(reverse("history_track", args=[track_id(1)])).status_code == 302


def test_the_library_track_page_shows_the_play_count_and_links_to_the_histories(client, listened):
    from playlists.models import LibraryTrack

    ada, _ = listened
    LibraryTrack.objects.create(user=ada, track_id=track_id(1), liked=True)
    client.force_login(ada)

    page = client.get(reverse("library_track", args=[track_id(1)])).content.decode()

    assert "Played 3 times" in page
    assert reverse("history_track", args=[track_id(1)]) in page
    assert reverse("history_artist", args=[artist_id("Portishead")]) in page
    track_page = client.get(reverse("history_track", args=[track_id(1)])).content.decode()
    assert "Plays per month" in track_page and "<dt>Plays</dt><dd>3</dd>" in track_page


def test_the_api_gives_the_same_figures_and_refuses_others_and_strangers(client, listened):
    from api.models import ApiToken, Scope

    ada, grace = listened
    _, token = ApiToken.create(ada, "history", Scope.READ)
    _, theirs = ApiToken.create(grace, "theirs", Scope.READ)
    url = f"/api/v1/archive/artists/{artist_id('Portishead')}"

    body = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()

    assert (body["plays"], body["rank"], body["ranked_of"]) == (4, 1, 2)
    assert [m["plays"] for m in body["monthly"]] == [3, 0, 0, 1]
    assert [t["plays"] for t in body["top_tracks"]] == [3, 1]
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {theirs}").status_code == 404
    assert client.get(url).status_code == 401
    track = client.get(
        f"/api/v1/archive/tracks/{track_id(1)}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert track.json()["last_played_at"] == "2025-01-12T12:00:00+00:00"
