"""Playlist history: a refresh that finds a playlist changed records what came and went (no extra
call), any earlier state is rebuilt exactly from today's items, and that state can be exported
to be imported back; only the owner sees it."""

import itertools

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from playlists import history
from playlists.imports.parsers import parse_upload
from playlists.models import Playlist, PlaylistChange
from playlists.refresh import refresh_library
from sandbox.spotify import models as sandbox
from spotify.client import SpotifyClient
from spotify.models import ApiCall, Purpose

URIS = st.lists(st.sampled_from([f"spotify:track:{n}" for n in range(8)]), max_size=25)


@settings(max_examples=400, deadline=None)
@given(URIS, URIS)
def test_undoing_a_change_gives_back_the_list_before_it(old, new):
    fields = history.change_fields(old, [(uri, "someone") for uri in new])
    change = PlaylistChange(**fields)

    assert history.undo(new, change) == old
    assert fields["items_before"] - len(fields["removed"]) + len(fields["added"]) == len(new)


@settings(max_examples=200, deadline=None)
@given(st.lists(URIS, min_size=2, max_size=6))
def test_any_earlier_state_is_rebuilt_through_several_changes(states):
    changes = [
        PlaylistChange(**history.change_fields(before, [(u, "") for u in after]))
        for before, after in itertools.pairwise(states)
    ]
    items = states[-1]
    for index in range(len(changes) - 1, -1, -1):
        items = history.undo(items, changes[index])
        assert items == states[index]


@pytest.fixture
def edited(world):
    user, _ = world
    refresh_library(user)
    target = Playlist.objects.get(user=user, item_count=60)
    first_state = history.current_uris(target)
    client = SpotifyClient(user, purpose=Purpose.INTERACTIVE)
    new = list(sandbox.Track.objects.order_by("id").values_list("spotify_id", flat=True)[:2])
    client.add_items(target.spotify_id, [f"spotify:track:{t}" for t in new], position=5)
    client.remove_items(target.spotify_id, [first_state[0]])
    return user, target, first_state, new


def test_a_refresh_records_what_changed_and_the_old_state_comes_back(edited):
    user, target, first_state, new = edited
    calls_before = ApiCall.objects.count()
    item_reads_before = ApiCall.objects.filter(endpoint="GET /playlists/{id}/items").count()

    refresh_library(user)

    (change,) = PlaylistChange.objects.filter(playlist=target)
    assert sorted(uri for _, uri, *_ in change.added) == sorted(f"spotify:track:{t}" for t in new)
    gone = first_state.count(first_state[0])  # Spotify removes every occurrence of a uri
    assert [uri for _, uri in change.removed] == [first_state[0]] * gone
    assert (change.items_before, change.items_after) == (60, 62 - gone)
    assert history.as_of(target, change) == first_state
    # The other playlists were unchanged: no change rows. The history cost no call: the
    # changed refresh made an unchanged refresh's calls plus the target's item pages.
    assert PlaylistChange.objects.count() == 1
    changed_calls = ApiCall.objects.count() - calls_before
    item_reads = ApiCall.objects.filter(endpoint="GET /playlists/{id}/items").count()
    before_unchanged = ApiCall.objects.count()
    refresh_library(user)
    unchanged_calls = ApiCall.objects.count() - before_unchanged
    assert changed_calls == unchanged_calls + (item_reads - item_reads_before)
    assert PlaylistChange.objects.count() == 1


def test_the_pages_show_the_old_state_and_export_it_for_import(edited, client, django_user_model):
    user, target, first_state, _ = edited
    refresh_library(user)
    change = PlaylistChange.objects.get(playlist=target)
    client.force_login(user)

    page = client.get(reverse("library_playlist_history", args=[target.pk])).content.decode()
    assert reverse("library_playlist_as_of", args=[target.pk, change.pk]) in page
    old = client.get(reverse("library_playlist_as_of", args=[target.pk, change.pk]))
    assert "60 items" in old.content.decode()
    exported = client.get(
        reverse("library_playlist_as_of_export", args=[target.pk, change.pk, "csv"])
    )
    parsed = parse_upload("before.csv", exported.content)
    assert [f"spotify:track:{row.spotify_id}" for row in parsed.rows] == first_state

    client.force_login(django_user_model.objects.create(username="mallory"))
    for url in (
        reverse("library_playlist_history", args=[target.pk]),
        reverse("library_playlist_as_of", args=[target.pk, change.pk]),
    ):
        assert client.get(url).status_code == 404
