"""Names come from Spotify, shared blocklists and other people: they render as text, never as
markup."""

import pytest
from django.urls import reverse

from enforcement.blocklist import own_blocklist
from enforcement.models import BlockEntry, EntryKind, EntrySource
from tests.playlists.factories import mirrored_playlist
from tests.sync.factories import owned_base

pytestmark = pytest.mark.django_db

EVIL = "<script>alert('owned')</script>"


def assert_escaped(page: str) -> None:
    assert EVIL not in page
    assert "&lt;script&gt;" in page


def test_playlist_track_blocklist_and_base_names_render_escaped(client, django_user_model):
    user = django_user_model.objects.create(username="ada")
    client.force_login(user)
    playlist = mirrored_playlist(user, "pl-evil", [1, 2], name=EVIL)
    track = playlist.items.first().track
    track.name = EVIL
    track.save(update_fields=["name"])
    BlockEntry.objects.create(
        blocklist=own_blocklist(user),
        kind=EntryKind.ARTIST,
        spotify_id="0123456789abcdefghijAB",
        name=EVIL,
        source=EntrySource.LINK,
    )
    base = owned_base(user)
    base.name = EVIL
    base.save(update_fields=["name"])

    assert_escaped(client.get(reverse("library")).content.decode())
    assert_escaped(client.get(reverse("library_playlist", args=[playlist.pk])).content.decode())
    assert_escaped(client.get(reverse("library_track", args=[track.pk])).content.decode())
    assert_escaped(client.get(reverse("blocklist")).content.decode())
    assert_escaped(client.get(reverse("sync")).content.decode())
