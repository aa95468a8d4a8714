"""Catalog writes: links follow the credit, and two refreshes writing the same tracks at the
same time both succeed (PostgreSQL row locks, upserts in one order)."""

import threading

import pytest
from django.db import connection

from core import clock
from playlists.catalog import CatalogWriter
from playlists.models import AlbumArtist, Track, TrackArtist
from spotify import types
from tests.playlists.fake_spotify import track_json


def write(*payloads) -> CatalogWriter:
    writer = CatalogWriter(now=clock.now())
    for payload in payloads:
        writer.add_track(types.Track.from_api(payload))
    writer.flush()
    return writer


@pytest.mark.django_db
def test_a_shorter_credit_drops_the_extra_links_and_a_repeat_writes_once():
    write(track_json(1, artists=(1, 2, 3)))
    writer = write(track_json(1, artists=(4,)), track_json(1, artists=(9,)))

    links = list(TrackArtist.objects.values_list("track_id", "artist_id", "position", "role"))
    assert links == [(track_json(1)["id"], "ar00000000000000000004", 0, "primary")]
    assert writer.written_tracks == 1  # the same track twice in one run is written once
    assert AlbumArtist.objects.get().artist_id == "ar00000000000000000004"


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_writing_the_same_tracks_at_once_both_succeed():
    payloads = [track_json(n, artists=(n % 5, n % 7 + 5)) for n in range(300)]
    barrier = threading.Barrier(2)
    errors = []

    def refresh_like(order):
        try:
            barrier.wait(timeout=10)
            write(*order)
        except Exception as error:  # the assertion below reports it
            errors.append(error)
        finally:
            connection.close()

    # Opposite orders: the writer sorts by id, so the row locks are still taken in one order.
    orders = [payloads, payloads[::-1]]
    threads = [threading.Thread(target=refresh_like, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Track.objects.count() == 300
    assert TrackArtist.objects.count() == 600
