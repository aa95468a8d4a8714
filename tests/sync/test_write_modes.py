"""Write modes mean what their labels say, checked against the sandbox Spotify: *Minimal
changes* never rebuilds and every track that stays keeps its added date; *Rebuild* always
rebuilds; *Fewest calls* may rebuild and says so. The preview shows the planned writes first."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from sandbox.spotify import models as sandbox
from sandbox.spotify import mutations
from sync.engine import sync_base
from sync.models import ChildPlaylist, WriteMode
from sync.preview import wanted_uris
from tests.sync.conftest import add_to, cond, make_base, make_child, unused_tracks, uris_of

pytestmark = pytest.mark.django_db(transaction=True)

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def added_dates(spotify_id: str) -> dict[str, datetime]:
    return dict(
        sandbox.PlaylistItem.objects.filter(playlist__spotify_id=spotify_id).values_list(
            "uri", "added_at"
        )
    )


def synced_everything_then_explicit_only(ada, base_playlist, mode):
    """The issue's case: a child of the whole base, synced, then the rule *Explicit is yes*
    added (most tracks go, a few stay: a rebuild of the few is the fewest calls)."""
    base = make_base(ada, base_playlist)
    child = make_child(base, "Explicit", dedupe=False, write_mode=mode)
    sync_base(base)
    child.refresh_from_db()
    # Age every item so a re-added one shows (the sandbox stamps writes with the clock).
    sandbox.PlaylistItem.objects.filter(playlist__spotify_id=child.spotify_id).update(
        added_at=LONG_AGO
    )
    ChildPlaylist.objects.filter(pk=child.pk).update(
        rules={"kind": "group", "match": "all", "rules": [cond("explicit", "is", True)]}
    )
    mutations.clear()
    event, result = sync_base(base)
    assert event.status == "completed", event.error
    child.refresh_from_db()
    return child, result.children[str(child.pk)]


def test_minimal_changes_never_rebuilds_and_every_kept_track_keeps_its_added_date(
    ada, base_playlist
):
    child, report = synced_everything_then_explicit_only(ada, base_playlist, WriteMode.DELTA)

    held = uris_of(child.spotify_id)
    assert 0 < len(held) < 100  # a rebuild would have been one call: the tempting case
    assert held == child.synced_uris
    sent = mutations.log()
    assert sent, "the rule change wrote nothing"
    assert {entry["endpoint"] for entry in sent} == {"DELETE /playlists/{id}/items"}
    assert not [e for e in sent if e["method"] == "PUT"]  # no replace (and no reorder)
    assert set(added_dates(child.spotify_id).values()) == {LONG_AGO}
    assert not report.rebuilt
    assert report.dates_reset == 0
    assert report.unchanged == len(held)


def test_fewest_calls_rebuilds_and_reports_the_reset_dates(ada, base_playlist):
    child, report = synced_everything_then_explicit_only(ada, base_playlist, WriteMode.CHEAPEST)

    held = uris_of(child.spotify_id)
    assert [(e["method"], e["endpoint"]) for e in mutations.log()] == [
        ("PUT", "PUT /playlists/{id}/items")
    ]
    assert LONG_AGO not in set(added_dates(child.spotify_id).values())
    assert report.rebuilt
    assert report.dates_reset == len(held)


def test_rebuild_always_rebuilds_even_when_one_track_is_added(ada, base_playlist):
    base = make_base(ada, base_playlist)
    child = make_child(base, "All", dedupe=False, write_mode=WriteMode.REBUILD)
    sync_base(base)
    child.refresh_from_db()
    base_playlist.refresh_from_db()
    extra = unused_tracks(base_playlist, 1)[0]
    add_to(base_playlist, [extra])
    mutations.clear()

    sync_base(base)

    child.refresh_from_db()
    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    endpoints = [e["endpoint"] for e in mutations.log()]
    assert endpoints[0] == "PUT /playlists/{id}/items"
    assert endpoints.count("POST /playlists/{id}/items") == 3  # 301 tracks: PUT 100 + 3 POSTs


def test_the_preview_shows_the_planned_writes_and_whether_added_dates_are_kept(
    client, ada, base_playlist
):
    base = make_base(ada, base_playlist)
    child = make_child(base, "Explicit", dedupe=False)
    sync_base(base)
    child.refresh_from_db()
    client.force_login(ada)
    mutations.clear()
    form_rules = {"kind": "group", "match": "all", "rules": [cond("explicit", "is", True)]}
    form = {
        "name": child.name,
        "order": "base",
        "write_mode": "delta",
        "on_external_edit": "stop",
        "skip_blocked": "on",
        "rule-r-kind": "group",
        "rule-r-match": "all",
        "rule-r.0-kind": "condition",
        "rule-r.0-field": "explicit",
        "rule-r.0-op": "is",
        "rule-r.0-value": "true",
    }
    minimal = client.post(reverse("sync_child_preview", args=[child.pk]), form)
    cheapest = client.post(
        reverse("sync_child_preview", args=[child.pk]), {**form, "write_mode": "cheapest"}
    )

    assert minimal.status_code == cheapest.status_code == 200
    explicit = len(wanted_uris(ChildPlaylist(base=base, rules=form_rules, dedupe=False)))
    assert 0 < explicit < 100
    minimal_text = " ".join(minimal.text.split())
    assert "<strong>3 write calls</strong>" in minimal_text  # a DELETE per 100 URIs removed
    assert f"0 added, {300 - explicit} removed, 0 moves." in minimal_text
    assert "rebuilds the whole playlist" not in minimal_text
    assert "Every track that stays keeps its added date." in minimal_text
    cheapest_text = " ".join(cheapest.text.split())
    assert "<strong>1 write call</strong>" in cheapest_text
    assert "rebuilds the whole playlist" in cheapest_text
    assert f"{explicit} tracks that stay get a new added date." in cheapest_text
    assert mutations.log() == []  # nothing was sent to show it
