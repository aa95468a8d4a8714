"""Remove base / Remove child ask first, and what they remove can be restored for 30 days."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from core import clock
from ops.tasks import purge_deleted
from ops.trash import RESTORE_DAYS
from sync import schedules
from sync.models import BasePlaylist, ChildPlaylist, Schedule
from tests.sync.factories import owned_base, owned_child

pytestmark = pytest.mark.django_db

RULES = {"kind": "group", "match": "all", "rules": [{"kind": "year", "op": "gte", "value": 1990}]}


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create(username="ada")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def outsider(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create(username="eve"))
    return client


@pytest.fixture
def base(user):
    base = owned_base(user)
    base.name = "Everything"
    base.schedule = Schedule.HOURLY
    base.save()
    schedules.apply_schedule(base)
    owned_child(user, base, name="Nineties", rules=RULES)
    owned_child(user, base, name="Jazz")
    return base


def test_remove_base_asks_first_and_an_unconfirmed_post_does_nothing(logged_in, base):
    url = reverse("sync_base_delete", args=[base.pk])
    for response in (logged_in.get(url), logged_in.post(url)):
        page = response.content.decode()
        assert response.status_code == 200
        assert "Remove the base “Everything” and its 2 children?" in page
        assert "Nineties, Jazz" in page and "Hourly" in page
        assert 'name="confirmed" value="yes"' in page
    assert BasePlaylist.objects.filter(pk=base.pk).exists()
    assert base.children.count() == 2
    assert PeriodicTask.objects.filter(name=f"sync-base-{base.pk}").exists()


def test_a_removed_base_is_hidden_and_restores_with_children_rules_and_schedule(logged_in, base):
    response = logged_in.post(reverse("sync_base_delete", args=[base.pk]), {"confirmed": "yes"})
    assert response.status_code == 302
    assert not BasePlaylist.objects.filter(pk=base.pk).exists()
    assert not ChildPlaylist.objects.filter(base_id=base.pk).exists()
    assert not PeriodicTask.objects.filter(name=f"sync-base-{base.pk}").exists()
    assert logged_in.get(reverse("sync_base", args=[base.pk])).status_code == 404
    index = logged_in.get(reverse("sync")).content.decode()
    assert "Recently deleted" in index and "Base “Everything”" in index

    restored = logged_in.post(reverse("sync_base_restore", args=[base.pk]))
    assert restored.status_code == 302
    base.refresh_from_db()
    assert base.deleted_at is None
    children = {child.name: child for child in base.children.all()}
    assert set(children) == {"Nineties", "Jazz"}
    assert children["Nineties"].rules == RULES
    assert PeriodicTask.objects.get(name=f"sync-base-{base.pk}").enabled


def test_a_child_removed_before_its_base_stays_removed_when_the_base_comes_back(logged_in, base):
    jazz = base.children.get(name="Jazz")
    logged_in.post(reverse("sync_child_delete", args=[jazz.pk]), {"confirmed": "yes"})
    logged_in.post(reverse("sync_base_delete", args=[base.pk]), {"confirmed": "yes"})
    logged_in.post(reverse("sync_base_restore", args=[base.pk]))
    assert [child.name for child in base.children.all()] == ["Nineties"]
    # …and can be restored on its own.
    logged_in.post(reverse("sync_child_restore", args=[jazz.pk]))
    assert sorted(child.name for child in base.children.all()) == ["Jazz", "Nineties"]


def test_remove_child_asks_first_then_restores(logged_in, base):
    child = base.children.get(name="Nineties")
    url = reverse("sync_child_delete", args=[child.pk])
    asked = logged_in.post(url).content.decode()
    assert "Remove the child “Nineties”?" in asked
    assert ChildPlaylist.objects.filter(pk=child.pk).exists()
    logged_in.post(url, {"confirmed": "yes"})
    assert not ChildPlaylist.objects.filter(pk=child.pk).exists()
    assert logged_in.get(reverse("sync_child", args=[child.pk])).status_code == 404
    assert "Child “Nineties” of “Everything”" in logged_in.get(reverse("sync")).content.decode()
    logged_in.post(reverse("sync_child_restore", args=[child.pk]))
    assert ChildPlaylist.objects.get(pk=child.pk).rules == RULES


def test_a_new_base_of_the_same_playlist_blocks_restoring_the_old_one(logged_in, user, base):
    logged_in.post(reverse("sync_base_delete", args=[base.pk]), {"confirmed": "yes"})
    again = BasePlaylist.objects.create(user=user, spotify_id=base.spotify_id, name="Again")
    page = logged_in.post(reverse("sync_base_restore", args=[base.pk]), follow=True)
    assert "is a base again already" in page.content.decode()
    assert BasePlaylist.all_objects.get(pk=base.pk).deleted_at is not None
    assert BasePlaylist.objects.get(user=user, spotify_id=base.spotify_id) == again


def test_an_outsider_can_neither_delete_nor_restore(logged_in, outsider, base):
    child = base.children.first()
    assert (
        outsider.post(reverse("sync_base_delete", args=[base.pk]), {"confirmed": "yes"}).status_code
        == 404
    )
    assert (
        outsider.post(
            reverse("sync_child_delete", args=[child.pk]), {"confirmed": "yes"}
        ).status_code
        == 404
    )
    logged_in.post(reverse("sync_base_delete", args=[base.pk]), {"confirmed": "yes"})
    assert outsider.post(reverse("sync_base_restore", args=[base.pk])).status_code == 404
    assert BasePlaylist.all_objects.get(pk=base.pk).deleted_at is not None


def test_after_30_days_it_is_purged_and_no_longer_restorable(logged_in, base):
    logged_in.post(reverse("sync_base_delete", args=[base.pk]), {"confirmed": "yes"})
    BasePlaylist.all_objects.filter(pk=base.pk).update(
        deleted_at=clock.now() - timedelta(days=RESTORE_DAYS, hours=1)
    )
    ChildPlaylist.all_objects.filter(base_id=base.pk).update(
        deleted_at=clock.now() - timedelta(days=RESTORE_DAYS, hours=1)
    )
    assert "recently-deleted-sync" not in logged_in.get(reverse("sync")).content.decode()
    assert logged_in.post(reverse("sync_base_restore", args=[base.pk])).status_code == 404
    purged = purge_deleted()
    assert purged == {"sync.BasePlaylist": 1, "sync.ChildPlaylist": 2}
    assert not BasePlaylist.all_objects.filter(pk=base.pk).exists()
    assert not ChildPlaylist.all_objects.filter(base_id=base.pk).exists()
