"""Liked Songs as a base, against the sandbox Spotify: children built from what a person likes
(newest like first), an unchanged Liked Songs costs its one first-page check, a new like reaches
the children, and a history child ("Top of the last 30 days") from Liked Songs."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from archive import plays as archive_plays
from archive.models import HistoryProfile, PlaySource
from core import clock
from sandbox.spotify import models as sandbox
from sandbox.spotify import mutations
from sandbox.spotify.seed import seed_library
from sync.engine import sync_base
from sync.models import BasePlaylist, BaseSource, Order
from sync.preview import wanted_uris
from tests.sync.conftest import cond, make_child, uris_of

pytestmark = pytest.mark.django_db(transaction=True)


def liked_in_sandbox(sandbox_user) -> list[str]:
    return [
        f"spotify:track:{track_id}"
        for track_id in sandbox.SavedTrack.objects.filter(user=sandbox_user)
        .order_by("-added_at", "-pk")
        .values_list("track__spotify_id", flat=True)
    ]


@pytest.fixture
def liked_base(ada, ada_sandbox, client):
    seed_library(
        ada_sandbox, tracks=400, playlists=[], liked=120, saved_albums=0, followed_artists=0,
        plays=0,
    )  # fmt: skip
    client.force_login(ada)
    response = client.post(reverse("sync_base_add_liked"))
    base = BasePlaylist.objects.get(user=ada)
    assert response.status_code == 302 and response["Location"] == reverse(
        "sync_base", args=[base.pk]
    )
    assert (base.source, base.name) == (BaseSource.LIKED, "Liked Songs")
    return base


def test_a_liked_songs_child_holds_the_liked_tracks_newest_first(ada_sandbox, liked_base):
    everything = make_child(liked_base, "All my likes", dedupe=False)
    explicit = make_child(liked_base, "Explicit likes", cond("explicit", "is", True))

    event, result = sync_base(liked_base)

    assert event.status == "completed", event.error
    everything.refresh_from_db()
    explicit.refresh_from_db()
    assert uris_of(everything.spotify_id) == liked_in_sandbox(ada_sandbox)
    assert uris_of(explicit.spotify_id) == wanted_uris(explicit)
    assert 0 < len(explicit.synced_uris) < 120
    # Liked Songs read once (50 a page), then the creates and adds; no playlist reads.
    assert result.calls_by_endpoint["GET /me/tracks"] == 3
    assert "GET /playlists/{id}" not in result.calls_by_endpoint


def test_an_unchanged_liked_songs_costs_one_call_and_a_new_like_arrives(ada_sandbox, liked_base):
    child = make_child(liked_base, "All my likes", dedupe=False)
    sync_base(liked_base)
    writes = len(mutations.log())

    event, result = sync_base(liked_base)

    assert event.status == "completed"
    assert result.calls_by_endpoint == {"GET /me/tracks": 1}
    assert len(mutations.log()) == writes

    fresh = sandbox.Track.objects.exclude(
        pk__in=sandbox.SavedTrack.objects.filter(user=ada_sandbox).values("track_id")
    ).first()
    sandbox.SavedTrack.objects.create(
        user=ada_sandbox, track=fresh, added_at=clock.now() + timedelta(minutes=1)
    )
    sync_base(liked_base)
    child.refresh_from_db()
    assert uris_of(child.spotify_id)[0] == f"spotify:track:{fresh.spotify_id}"
    assert uris_of(child.spotify_id) == liked_in_sandbox(ada_sandbox)


def test_top_of_the_last_30_days_from_liked_songs(ada, ada_sandbox, liked_base):
    sync_base(liked_base)  # mirrors Liked Songs
    favourites = liked_in_sandbox(ada_sandbox)[5:8]
    HistoryProfile.objects.get_or_create(user=ada)
    with transaction.atomic():
        archive_plays.store(
            ada.pk,
            [
                archive_plays.NewPlay(
                    track_id=uri.rpartition(":")[2],
                    played_at=clock.now() - timedelta(days=2, minutes=n * 10 + k),
                    source=PlaySource.POLL,
                    duration_ms=200_000,
                )
                for n, uri in enumerate(favourites)
                for k in range(3 - n)  # 3, 2 and 1 plays
            ],
        )
    top = make_child(
        liked_base,
        "Top of the last 30 days",
        cond("plays", "gte", 1, mod="30"),
        order=Order.MOST_PLAYED_30D,
        limit=50,
    )

    event, _ = sync_base(liked_base)

    assert event.status == "completed", event.error
    top.refresh_from_db()
    assert uris_of(top.spotify_id) == favourites  # most played first
