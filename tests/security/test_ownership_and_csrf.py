"""Every Tunekeeper view that takes an object id answers an outsider with 404; every POST
needs CSRF; nothing but the public pages is reachable logged out.

OWNED_OBJECTS must list every route with parameters: a new view that takes an id fails
`test_every_object_route_is_covered` until it is added here with a factory that makes an
object owned by `owner` and returns the URL kwargs.
"""

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from tests.archive.factories import OWNED_OBJECTS as HISTORY_OWNED_OBJECTS
from tests.archive.factories import owned_import_job
from tests.conftest import outsider_answers, refused
from tests.downloads.factories import OWNED_OBJECTS as DOWNLOADS_OWNED_OBJECTS
from tests.enforcement.factories import OWNED_OBJECTS as ENFORCEMENT_OWNED_OBJECTS
from tests.playlists.factories import OWNED_OBJECTS as LIBRARY_OWNED_OBJECTS
from tests.security.urls import PUBLIC_NAMES, own_routes
from tests.sync.factories import OWNED_OBJECTS as SYNC_OWNED_OBJECTS
from tests.sync.factories import owned_event

# route name → factory(owner) → URL kwargs for an object `owner` owns.
OWNED_OBJECTS: dict = {"history_import_job": owned_import_job}
OWNED_OBJECTS["api_token_revoke"] = lambda owner: {
    "pk": ApiToken.create(owner, "script", "read")[0].pk
}
OWNED_OBJECTS.update(DOWNLOADS_OWNED_OBJECTS)
OWNED_OBJECTS.update(ENFORCEMENT_OWNED_OBJECTS)
OWNED_OBJECTS.update(LIBRARY_OWNED_OBJECTS)
OWNED_OBJECTS.update(SYNC_OWNED_OBJECTS)
OWNED_OBJECTS.update(HISTORY_OWNED_OBJECTS)
OWNED_OBJECTS["library_playlist_export"] = lambda owner: {
    **LIBRARY_OWNED_OBJECTS["library_playlist"](owner),
    "fmt": "csv",
}
# Routes whose parameters choose a view of the person's own data (a format, a year), not
# somebody's object: an outsider gets their own, never the owner's.
OWN_DATA_ROUTES: dict = {
    "library_liked_export": lambda owner: {"fmt": "csv"},
    "library_export": lambda owner: {"fmt": "csv"},
    "history_rewind_year": lambda owner: {"year": 2025},
    "history_rewind_month": lambda owner: {"year": 2025, "month": 1},
    "history_rewind_share": lambda owner: {"year": 2025},
    "history_rewind_share_month": lambda owner: {"year": 2025, "month": 1},
}
# Activity's Retry and Cancel take any kind of job by its public id.
OWNED_OBJECTS["job_retry"] = lambda owner: {"job_id": owned_event(owner, status="failed").public_id}
OWNED_OBJECTS["job_cancel"] = lambda owner: {
    "job_id": owned_event(owner, status="queued").public_id
}


def test_every_object_route_is_covered():
    uncovered = [
        r.name or r.route
        for r in own_routes()
        if r.params and r.name not in OWNED_OBJECTS and r.name not in OWN_DATA_ROUTES
    ]
    assert uncovered == [], f"add these routes to OWNED_OBJECTS with a factory: {uncovered}"


@pytest.mark.django_db
def test_an_outsider_gets_404_for_someone_elses_objects(owner, outsider_client):
    answers = {
        name: outsider_answers(outsider_client, reverse(name, kwargs=factory(owner)))
        for name, factory in OWNED_OBJECTS.items()
    }
    assert {name: a for name, a in answers.items() if not refused(a)} == {}


@pytest.mark.django_db
def test_logged_out_visitors_reach_only_the_public_pages():
    client = Client()
    for route in own_routes():
        if route.params or not route.name or route.name in PUBLIC_NAMES:
            continue
        response = client.get(reverse(route.name))
        assert response.status_code in (302, 404, 405), route
        if response.status_code == 302:
            location = response["Location"]
            assert location.startswith(("/?next=", "/accounts/", "/admin/login/")), (
                route,
                location,
            )


@pytest.mark.django_db
def test_every_post_is_refused_without_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for route in own_routes():
        if not route.name:
            continue
        factory = OWNED_OBJECTS.get(route.name) or OWN_DATA_ROUTES.get(route.name)
        kwargs = factory(owner) if route.params else {}
        response = client.post(reverse(route.name, kwargs=kwargs), {}, HTTP_HX_REQUEST="true")
        assert response.status_code in (403, 405), (route, response.status_code)
