"""A child Tunekeeper just rewrote must not look "up to date" in the library at its old count."""

import pytest
from django.test import Client
from django.urls import reverse

from playlists.models import Playlist
from playlists.refresh import refresh_library
from sync.engine import sync_base
from sync.models import ChildPlaylist
from tests.sync.conftest import cond, make_base, make_child, uris_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_mirror_learns_a_synced_childs_new_snapshot_and_count(ada, base_playlist):
    base = make_base(ada, base_playlist)
    child = make_child(base, "Since 2000", cond("year", "gte", 2000, mod="album"))
    sync_base(base)
    refresh_library(ada)  # the child is mirrored now, up to date
    child.refresh_from_db()
    row = Playlist.objects.get(user=ada, spotify_id=child.spotify_id)
    assert row.up_to_date and row.item_count == len(uris_of(child.spotify_id))
    old_count = row.item_count

    ChildPlaylist.objects.filter(pk=child.pk).update(
        rules={"kind": "group", "match": "all", "rules": [cond("year", "gte", 2010, mod="album")]}
    )
    event, _ = sync_base(base)
    assert event.status == "completed", event.error

    row.refresh_from_db()
    now_holds = len(uris_of(child.spotify_id))
    assert now_holds != old_count
    assert not row.up_to_date
    assert row.items_total == now_holds
    client = Client()
    client.force_login(ada)
    page = client.get(reverse("library")).content.decode()
    assert f'{old_count} <span class="muted">of {now_holds}</span>' in page
    assert "changed since last read" in page
