"""The engine against the sandbox Spotify: what each child holds afterwards and what it cost."""

import math

import pytest

from sandbox.spotify import mutations
from spotify.models import ApiCall
from sync.engine import sync_base
from sync.models import ChildPlaylist, Outcome
from tests.sync.conftest import (
    add_to,
    cond,
    make_base,
    make_child,
    remove_from,
    unused_tracks,
    uris_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


def expected(base, child) -> list[str]:
    """The child's wanted content, recomputed from the mirror the way the preview does it."""
    from sync.preview import wanted_uris

    return wanted_uris(child)


def test_a_cold_sync_creates_each_child_with_one_post_per_100_tracks(ada, base_playlist):
    base = make_base(ada, base_playlist)
    recent = make_child(base, "Since 2000", cond("year", "gte", 2000, mod="album"))
    everything = make_child(base, "Everything copy", dedupe=False)

    event, result = sync_base(base)

    assert event.status == "completed", event.error
    recent.refresh_from_db()
    everything.refresh_from_db()
    assert uris_of(everything.spotify_id) == uris_of(base_playlist.spotify_id)
    assert uris_of(recent.spotify_id) == expected(base, recent)
    assert 0 < len(uris_of(recent.spotify_id)) < 300
    minimum = (
        1  # the base's snapshot check
        + math.ceil(300 / 50)  # the base's pages
        + 2  # two creates
        + math.ceil(300 / 100)
        + math.ceil(len(recent.synced_uris) / 100)
    )
    assert result.calls == minimum
    assert result.calls_by_endpoint["POST /me/playlists"] == 2
    assert event.done == event.total == minimum  # the progress bar counts calls, and ends full
    assert recent.last_outcome == Outcome.CREATED


def test_an_unchanged_resync_costs_one_call(ada, base_playlist):
    base = make_base(ada, base_playlist)
    make_child(base, "Explicit", cond("explicit", "is", True))
    make_child(base, "Clean", cond("explicit", "is", False))
    sync_base(base)
    writes = len(mutations.log())

    event, result = sync_base(base)

    assert event.status == "completed"
    assert result.calls == 1
    assert result.calls_by_endpoint == {"GET /playlists/{id}": 1}
    assert len(mutations.log()) == writes


def test_changed_base_tracks_cost_the_base_reads_and_the_minimal_writes(ada, base_playlist):
    base = make_base(ada, base_playlist)
    child = make_child(base, "All", dedupe=False)
    sync_base(base)
    new = unused_tracks(base_playlist, 120)
    gone = uris_of(base_playlist.spotify_id)[10:40]
    remove_from(base_playlist, gone)
    add_to(base_playlist, new)

    event, result = sync_base(base)

    child.refresh_from_db()
    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    report = result.children[str(child.pk)]
    # A DELETE takes every occurrence of a URI; the base lost those too.
    assert (report.added, report.removed) == (120, 300 + 120 - len(uris_of(child.spotify_id)))
    writes = result.calls_by_endpoint
    assert writes["DELETE /playlists/{id}/items"] == 1
    assert writes["POST /playlists/{id}/items"] == 2
    assert writes["GET /playlists/{id}/items"] == math.ceil(len(uris_of(child.spotify_id)) / 50)
    # The base check, then one check of the child before writing and one after.
    assert writes["GET /playlists/{id}"] == 3
    assert result.calls == 3 + writes["GET /playlists/{id}/items"] + 3
    assert event.done == event.total == result.calls
    assert ApiCall.objects.filter(job_id=event.ledger_job_id, status__gte=400).count() == 0
    assert ChildPlaylist.objects.get(pk=child.pk).pending_op is None
