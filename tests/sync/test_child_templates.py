"""Children from templates: each makes its children with rules that say what its name says,
split templates follow what the base holds, and a refused or unknown template makes nothing."""

import pytest
from django.urls import reverse

from sync.child_templates import TEMPLATES, create_from_template
from sync.models import ChildPlaylist, Order
from sync.rules import describe, normalise
from tests.sync.factories import catalog_track, mirrored_playlist, owned_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(django_user_model):
    ada = django_user_model.objects.create(username="ada")
    tracks = [
        catalog_track("A", year=1965, genres=("jazz", "soul")),
        catalog_track("B", year=1968, genres=("jazz",)),
        catalog_track("C", year=1994, genres=("trip hop",)),
        catalog_track("D", year=2003, genres=("jazz", "trip hop")),
    ]
    return owned_base(ada, mirrored_playlist(ada, tracks))


def conditions(child) -> list[str]:
    return [describe(c) for c in normalise(child.rules)["rules"]]


def test_the_history_templates(base):
    (top,) = create_from_template(base, "top_30_days")
    (forgotten,) = create_from_template(base, "not_played_in_a_year")
    (heavy,) = create_from_template(base, "heavy_rotation")

    assert (top.name, top.order, top.limit) == (
        "Top 50 of the last 30 days",
        Order.MOST_PLAYED_30D,
        50,
    )
    assert conditions(top) == ["played ≥ 1 times in the last 30 days"]
    assert normalise(forgotten.rules)["match"] == "none"
    assert conditions(forgotten) == ["last played in the last 365 days"]
    assert forgotten.order == Order.LEAST_RECENT
    assert conditions(heavy) == ["played ≥ 3 times in the last 7 days"]


def test_one_child_per_decade_and_per_top_genre(base):
    decades = create_from_template(base, "per_decade")
    genres = create_from_template(base, "per_genre")

    assert [c.name for c in decades] == [
        "Everything: 1960s",
        "Everything: 1990s",
        "Everything: 2000s",
    ]
    assert conditions(decades[0]) == ["decade is 1960s"]
    assert [c.name for c in genres] == [
        "Everything: jazz",
        "Everything: trip hop",
        "Everything: soul",
    ]


def test_the_page_makes_them_and_refuses_unknown_ones(client, base):
    client.force_login(base.user)
    page = client.get(reverse("sync_base", args=[base.pk])).content.decode()
    for template in TEMPLATES.values():
        assert template.label in page

    response = client.post(
        reverse("sync_child_from_template", args=[base.pk]), {"template": "top_30_days"}
    )
    child = ChildPlaylist.objects.get(base=base)
    assert response["Location"] == reverse("sync_child", args=[child.pk])
    client.post(reverse("sync_child_from_template", args=[base.pk]), {"template": "nope"})
    assert ChildPlaylist.objects.filter(base=base).count() == 1
