"""What a child holds, from the mirror: order, duplicates, one track per artist, limits, the
blocklist (per child, on by default; an absent blocklist counts as empty), liked songs and
membership of other playlists — and the shell command and tasks around the engine."""

import sys
from datetime import timedelta

import pytest
from django.core.management import call_command

from core import clock
from ops.jobs import JobStatus
from playlists.models import LikedSong, PlaylistItem, Track
from sync import selection
from sync.facts import load_base
from sync.models import Order, SyncEvent
from sync.preview import wanted_uris
from sync.rules import normalise
from sync.selection import select
from sync.tasks import scheduled_sync_task
from tests.sync.factories import (
    NOW,
    catalog_track,
    mirrored_playlist,
    owned_base,
    owned_child,
    owned_event,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create(username="ada")


@pytest.fixture
def tracks():
    return [
        catalog_track("One", artists=("A",), year=2001),
        catalog_track("Two", artists=("B",), year=1995),
        catalog_track("Three", artists=("A", "C"), year=2010),
        catalog_track("Four", artists=("C",), year=None),
    ]


@pytest.fixture
def base(user, tracks):
    # One, Two, Three, Four, then One again (a duplicate at the end).
    return owned_base(user, mirrored_playlist(user, [*tracks, tracks[0]]))


def names(base, child) -> list[str]:
    tree = normalise(child.rules)
    content = load_base(base.playlist, base.user)
    chosen = select(content, child, tree, now=NOW)
    return [content.facts[o.track_id].name for o in chosen.occurrences]


def test_duplicates_go_unless_the_child_keeps_them(base):
    assert names(base, owned_child(None, base)) == ["One", "Two", "Three", "Four"]
    assert names(base, owned_child(None, base, dedupe=False)) == [
        "One", "Two", "Three", "Four", "One",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (Order.BASE, ["One", "Two", "Three", "Four"]),
        (Order.ADDED_NEWEST, ["Four", "Three", "Two", "One"]),
        (Order.ADDED_OLDEST, ["One", "Two", "Three", "Four"]),
        (Order.YEAR_OLDEST, ["Two", "One", "Three", "Four"]),  # no year: last
        (Order.YEAR_NEWEST, ["Three", "One", "Two", "Four"]),
    ],
)
def test_orders(base, order, expected):
    assert names(base, owned_child(None, base, order=order)) == expected


def test_a_stable_shuffle_keeps_its_order_as_the_base_changes(base, user, tracks):
    child = owned_child(None, base, order=Order.SHUFFLE)
    before = names(base, child)
    assert sorted(before) == ["Four", "One", "Three", "Two"]
    extra = catalog_track("Five", artists=("D",))
    PlaylistItem.objects.create(playlist=base.playlist, position=99, track=extra, uri=extra.uri)
    after = names(base, child)
    assert [name for name in after if name != "Five"] == before


def test_one_track_per_artist_and_a_limit(base):
    assert names(base, owned_child(None, base, one_per_artist=True)) == ["One", "Two", "Four"]
    assert names(base, owned_child(None, base, limit=2)) == ["One", "Two"]


def test_blocked_tracks_stay_out_unless_the_child_says_otherwise(base, tracks, monkeypatch):
    monkeypatch.setattr(selection, "blocked_track_ids", lambda user: {tracks[1].id})
    assert "Two" not in wanted_names(owned_child(None, base))
    assert "Two" in wanted_names(owned_child(None, base, skip_blocked=False))


def test_the_users_blocklist_keeps_an_artists_tracks_out(base, user, tracks):
    from enforcement.models import BlockEntry, Blocklist

    blocklist = Blocklist.objects.create(user=user, name="Never")
    artist_a = tracks[0].artist_links.get(position=0).artist_id
    BlockEntry.objects.create(
        blocklist=blocklist, kind="artist", spotify_id=artist_a, name="A", source="search"
    )
    assert wanted_names(owned_child(None, base)) == ["Two", "Four"]  # One, Three: A is primary
    assert wanted_names(owned_child(None, base, skip_blocked=False)) == [
        "One", "Two", "Three", "Four",
    ]  # fmt: skip


def wanted_names(child) -> list[str]:
    by_uri = {track.uri: track.name for track in Track.objects.all()}
    return [by_uri.get(uri) for uri in wanted_uris(child)]


def test_a_missing_blocklist_module_counts_as_an_empty_blocklist(user, monkeypatch):
    monkeypatch.setitem(sys.modules, "enforcement.blocklist", None)  # import fails
    assert selection.blocked_track_ids(user) == set()


def test_liked_songs_and_other_playlists_are_looked_up_for_the_rules(base, user, tracks):
    LikedSong.objects.create(user=user, track=tracks[2], added_at=NOW)
    other = mirrored_playlist(user, [tracks[1]], name="Gym")
    liked = owned_child(
        None, base, rules={"kind": "group", "match": "all", "rules": [
            {"kind": "condition", "field": "liked", "op": "is", "value": True}]},
    )  # fmt: skip
    assert names(base, liked) == ["Three"]
    tree = normalise(
        {"kind": "group", "match": "all", "rules": [
            {"kind": "condition", "field": "in_playlist", "op": "is", "value": other.spotify_id}]},
    )  # fmt: skip
    content = load_base(base.playlist, user, playlists={other.spotify_id})
    chosen = select(content, owned_child(None, base), tree, now=NOW)
    assert [content.facts[o.track_id].name for o in chosen.occurrences] == ["Two"]


def test_spotify_genres_come_from_the_tracks_artists_in_extended_mode(base, user, tracks):
    from playlists.models import Artist

    Artist.objects.filter(name="B").update(genres=["Trip Hop"])
    tree = normalise(
        {"kind": "group", "match": "all", "rules": [
            {"kind": "condition", "field": "genre", "op": "is", "value": "trip hop",
             "mod": "spotify"}]},
        extended=True,
    )  # fmt: skip
    content = load_base(base.playlist, user)
    chosen = select(content, owned_child(None, base), tree, now=NOW)
    assert [content.facts[o.track_id].name for o in chosen.occurrences] == ["Two"]


def test_the_command_reports_a_sync_already_running(base, user, capsys):
    owned_event(user, base, status=JobStatus.RUNNING)
    call_command("sync_playlist", str(base.pk))
    assert "already in progress" in capsys.readouterr().out


def test_a_scheduled_run_starts_a_sync_unless_one_is_in_progress(
    base, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        scheduled_sync_task(base.pk)
        scheduled_sync_task(base.pk)
    assert SyncEvent.objects.filter(base=base).count() == 1
    assert SyncEvent.objects.get(base=base).trigger == "schedule"
    assert len(callbacks) == 1


def test_the_sync_task_runs_only_a_claimable_event(base, user, monkeypatch):
    ran = []
    monkeypatch.setattr("sync.engine.run_sync", lambda event: ran.append(event.pk))
    from sync.tasks import sync_task

    queued = owned_event(user, base, status=JobStatus.QUEUED)
    sync_task.run(queued.pk)
    assert ran == [queued.pk]
    assert SyncEvent.objects.get(pk=queued.pk).status == JobStatus.RUNNING
    sync_task.run(queued.pk)  # a second delivery finds it claimed
    assert ran == [queued.pk]
    assert clock.now() - SyncEvent.objects.get(pk=queued.pk).heartbeat_at < timedelta(minutes=1)
