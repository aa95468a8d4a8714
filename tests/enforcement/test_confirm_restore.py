"""Delete list, Roll back everything and Revoke ask first with what they will do; a deleted
blocklist comes back, entries and all, for 30 days."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from api.models import ApiToken, Scope
from core import clock
from enforcement.blocklist import blocked_track_ids, own_blocklist
from enforcement.models import ActionBatch, BlockEntry, Blocklist, EntryKind, ItemKind
from ops.tasks import purge_deleted
from ops.trash import RESTORE_DAYS
from playlists.models import Album, Track
from tests.enforcement.factories import finished_batch

pytestmark = pytest.mark.django_db

TRACK = "4uLU6hMCjMI75M1A2tKUQC"


@pytest.fixture
def big_list(owner):
    """An imported list with 502 entries, one of which blocks a catalog track."""
    blocklist = Blocklist.objects.create(user=owner, name="Shared", imported=True)
    BlockEntry.objects.bulk_create(
        [
            BlockEntry(blocklist=blocklist, kind=EntryKind.TRACK, spotify_id=f"{n:022d}")
            for n in range(501)
        ]
        + [BlockEntry(blocklist=blocklist, kind=EntryKind.TRACK, spotify_id=TRACK, name="Song")]
    )
    now = clock.now()
    album = Album.objects.create(id="1" * 22, name="Album", fetched_at=now)
    Track.objects.create(id=TRACK, name="Song", album=album, fetched_at=now)
    return blocklist


def test_delete_list_asks_with_the_entry_count_and_an_unconfirmed_post_does_nothing(
    owner, owner_client, big_list
):
    url = reverse("blocklist_list_delete", args=[big_list.pk])
    for response in (owner_client.get(url), owner_client.post(url)):
        page = response.content.decode()
        assert response.status_code == 200
        assert "Delete 502 entries?" in page
        assert "restore it under “Recently deleted” for 30 days" in page
    assert Blocklist.objects.filter(pk=big_list.pk).exists()
    assert TRACK in blocked_track_ids(owner)


def test_a_deleted_list_stops_applying_and_restores_with_every_entry(owner, owner_client, big_list):
    owner_client.post(reverse("blocklist_list_delete", args=[big_list.pk]), {"confirmed": "yes"})
    assert not Blocklist.objects.filter(pk=big_list.pk).exists()
    assert TRACK not in blocked_track_ids(owner)
    page = owner_client.get(reverse("blocklist")).content.decode()
    assert 'data-testid="recently-deleted-lists"' in page and "502 entries" in page

    owner_client.post(reverse("blocklist_list_restore", args=[big_list.pk]))
    assert Blocklist.objects.get(pk=big_list.pk).entries.count() == 502
    assert TRACK in blocked_track_ids(owner)


def test_a_restored_list_whose_name_was_taken_meanwhile_gets_a_new_name(owner, owner_client):
    mine = own_blocklist(owner)
    owner_client.post(reverse("blocklist_list_delete", args=[mine.pk]), {"confirmed": "yes"})
    again = own_blocklist(owner)  # the Block button makes a fresh "My blocklist"
    assert again.pk != mine.pk
    response = owner_client.post(reverse("blocklist_list_restore", args=[mine.pk]), follow=True)
    assert "as “My blocklist (restored)”" in response.content.decode()
    assert Blocklist.objects.get(pk=mine.pk).name == "My blocklist (restored)"


def test_an_outsider_cannot_delete_or_restore_a_list(owner_client, outsider_client, big_list):
    url = reverse("blocklist_list_delete", args=[big_list.pk])
    assert outsider_client.post(url, {"confirmed": "yes"}).status_code == 404
    owner_client.post(url, {"confirmed": "yes"})
    restore = reverse("blocklist_list_restore", args=[big_list.pk])
    assert outsider_client.post(restore).status_code == 404
    assert Blocklist.all_objects.get(pk=big_list.pk).deleted_at is not None


def test_a_list_deleted_30_days_ago_is_purged(owner_client, big_list):
    owner_client.post(reverse("blocklist_list_delete", args=[big_list.pk]), {"confirmed": "yes"})
    Blocklist.all_objects.filter(pk=big_list.pk).update(
        deleted_at=clock.now() - timedelta(days=RESTORE_DAYS + 1)
    )
    assert (
        owner_client.post(reverse("blocklist_list_restore", args=[big_list.pk])).status_code == 404
    )
    assert purge_deleted() == {"enforcement.Blocklist": 1, "enforcement.BlockEntry": 502}


def test_roll_back_everything_asks_first(owner, owner_client):
    batch = finished_batch(owner)
    for n in range(3):
        batch.items.create(kind=ItemKind.LIKED_TRACK, uri=f"spotify:track:{n:022d}", status="done")
    url = reverse("enforcement_rollback", args=[batch.pk])
    page = owner_client.post(url).content.decode()
    assert "Put back 3 items?" in page
    assert not batch.rollbacks.exists()
    owner_client.post(url, {"confirmed": "yes"})
    assert ActionBatch.objects.get(parent=batch).total == 3


def test_rolling_back_ticked_items_carries_the_ticks_through_the_question(owner, owner_client):
    batch = finished_batch(owner)
    items = [
        batch.items.create(kind=ItemKind.LIKED_TRACK, uri=f"spotify:track:{n:022d}", status="done")
        for n in range(3)
    ]
    url = reverse("enforcement_rollback", args=[batch.pk])
    page = owner_client.post(url, {"selection": "1", "item": [items[0].pk]}).content.decode()
    assert "Put back 1 item?" in page
    assert f'name="item" value="{items[0].pk}"' in page
    owner_client.post(url, {"selection": "1", "item": [items[0].pk], "confirmed": "yes"})
    assert list(ActionBatch.objects.get(parent=batch).items.values_list("origin", flat=True)) == [
        items[0].pk
    ]


def test_revoke_asks_first(owner, owner_client, outsider_client):
    token, _ = ApiToken.create(owner, "backup script", Scope.READ)
    url = reverse("api_token_revoke", args=[token.pk])
    page = owner_client.post(url).content.decode()
    assert "Revoke the token “backup script”" in page and "gets 401" in page
    token.refresh_from_db()
    assert token.active
    assert outsider_client.post(url, {"confirmed": "yes"}).status_code == 404
    owner_client.post(url, {"confirmed": "yes"})
    token.refresh_from_db()
    assert not token.active


def test_the_question_page_needs_no_script(owner_client, big_list):
    page = owner_client.get(reverse("blocklist_list_delete", args=[big_list.pk])).content.decode()
    main = re.split(r"<main[^>]*>", page, maxsplit=1)[1]
    assert "<script" not in main and "onclick" not in main
    assert '<h1 id="confirm-heading">' in main and 'aria-labelledby="confirm-heading"' in main
