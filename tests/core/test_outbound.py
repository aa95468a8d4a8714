"""The outbound kit (core.outbound, core.pacing): every service's request lands in the call
ledger with its service, the usage page counts calls per service, and the kit's own policy —
retries for idempotent requests only, the shared schedule held after a 503, a daily budget,
a burst — does what its configuration says."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
import requests
import responses
from django.conf import settings

from core import clock, outbound, pacing
from core.errors import TransientError
from core.outbound import CallContext, RetryPolicy, ServiceConfig
from downloads.client import SlskdClient
from downloads.errors import ServerError as SlskdServerError
from downloads.http import Endpoint
from playlists.musicbrainz import http as mb_http
from playlists.musicbrainz.client import MusicBrainzClient
from spotify import state
from spotify.client import SpotifyClient
from spotify.models import ApiCall, Purpose
from tests.playlists import mb_payloads as mb
from tests.spotify.factories import connected_user

pytestmark = pytest.mark.django_db

SLSKD = "http://slskd.test:5030"
SPOTIFY_API = settings.SPOTIFY_API_BASE_URL


@pytest.fixture(autouse=True)
def musicbrainz_contact(settings):
    settings.MUSICBRAINZ_CONTACT = "ops@tunekeeper.example"
    mb_http.reset()
    yield
    mb_http.reset()


@pytest.fixture
def ada(django_user_model, fake_clock):
    return connected_user(django_user_model)


def musicbrainz_isrc_call(user) -> None:
    isrc = "GBDUW0000059"
    responses.get(f"{mb.MB}/isrc/{isrc}", json=mb.isrc_lookup(isrc, []))
    MusicBrainzClient(user_id=user.pk, job_id="enrich-1").isrc(isrc)


def slskd_version_call() -> None:
    responses.get(f"{SLSKD}/api/v0/application/version", body='"0.24.1"')
    SlskdClient(Endpoint(SLSKD, "k" * 24)).version(fresh=True)


@responses.activate
def test_a_musicbrainz_call_lands_in_the_ledger_as_musicbrainz(ada, fake_clock):
    musicbrainz_isrc_call(ada)

    (row,) = ApiCall.objects.all()
    assert (row.service, row.app, row.method, row.endpoint, row.status) == (
        "musicbrainz",
        "musicbrainz",
        "GET",
        "GET /isrc/{isrc}",
        200,
    )
    assert (row.user_id, row.purpose, row.job_id) == (ada.pk, Purpose.ENRICHMENT, "enrich-1")
    sent = responses.calls[0].request
    assert sent.headers["User-Agent"] == "Tunekeeper/0.1 ( ops@tunekeeper.example )"


@responses.activate
def test_an_slskd_call_lands_in_the_ledger_as_slskd_and_never_the_key():
    slskd_version_call()

    (row,) = ApiCall.objects.all()
    assert (row.service, row.app, row.endpoint, row.status, row.purpose) == (
        "slskd",
        "slskd",
        "GET /application/version",
        200,
        Purpose.DOWNLOADS,
    )
    assert "k" * 24 not in row.endpoint
    assert responses.calls[0].request.headers["User-Agent"].startswith("Tunekeeper/")


@responses.activate
def test_an_slskd_read_is_retried_and_every_attempt_is_in_the_ledger(fake_clock):
    responses.get(f"{SLSKD}/api/v0/server", status=502)
    with pytest.raises(SlskdServerError) as caught:
        SlskdClient(Endpoint(SLSKD, "")).server()
    assert isinstance(caught.value, TransientError)  # core.retry retries it in a task
    rows = ApiCall.objects.filter(service="slskd").values_list("status", flat=True)
    assert list(rows) == [502, 502, 502]  # the first try and READ_RETRIES more
    assert fake_clock.slept == [0.5, 1.0]


@responses.activate
def test_a_spotify_call_is_still_a_spotify_row(ada):
    responses.get(f"{SPOTIFY_API}/me", json={"id": "ada"})
    SpotifyClient(ada, purpose=Purpose.INTERACTIVE).current_user()
    row = ApiCall.objects.get(endpoint="GET /me")
    assert (row.service, row.app) == ("spotify", state.app_id())


@responses.activate
def test_the_usage_page_shows_calls_per_service(client, ada, fake_clock):
    responses.get(f"{SPOTIFY_API}/me", json={"id": "ada"})
    SpotifyClient(ada, purpose=Purpose.INTERACTIVE).current_user()
    musicbrainz_isrc_call(ada)
    musicbrainz_isrc_call(ada)
    slskd_version_call()
    responses.get(f"{SLSKD}/api/v0/server", status=503)
    with pytest.raises(SlskdServerError):
        SlskdClient(Endpoint(SLSKD, "")).server()  # 3 sends, each failed

    client.force_login(ada)
    page = client.get("/activity/spotify/").content.decode()

    table = page[
        page.index('id="calls-per-service"') : page.index(
            "</table>", page.index("calls-per-service")
        )
    ]
    rows = {
        cells[0]: cells[1:]
        for cells in (
            re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)
        )
        if cells
    }
    # today, last 7 days, failed today
    assert rows == {
        "Spotify": ["1", "1", "0"],
        "MusicBrainz": ["2", "2", "0"],
        "slskd": ["4", "4", "3"],
    }


# --- the kit's own policy -----------------------------------------------------------------------

TEST_SERVICE = ServiceConfig(
    name="kit-test",
    user_agent="Tunekeeper/test",
    rate=2.0,
    retry=RetryPolicy(max_retries=2, backoff_base=1.0, hold_schedule=True),
)
CONTEXT = CallContext(user_id=None, purpose=Purpose.LIBRARY)
URL = "https://service.test/thing"


@pytest.fixture
def fresh_schedule():
    pacing.reset(TEST_SERVICE.name)
    yield
    pacing.reset(TEST_SERVICE.name)


@responses.activate
def test_a_503_holds_the_shared_schedule_and_honours_retry_after(fake_clock, fresh_schedule):
    responses.get(URL, status=503, headers={"Retry-After": "3"})
    responses.get(URL, status=200, json={})
    start = clock.monotonic()
    response = outbound.send(TEST_SERVICE, CONTEXT, "GET", URL, endpoint="GET /thing")
    assert response.status_code == 200
    # The retry went at the held slot (Retry-After 3 s beats the 1 s backoff), and so would
    # anyone else's next request.
    assert clock.monotonic() - start == pytest.approx(3.0)
    assert pacing.reserve(TEST_SERVICE.name, 0.5) == pytest.approx(0.5)
    statuses = ApiCall.objects.filter(service="kit-test").values_list("status", "retry_after")
    assert list(statuses) == [(503, 3), (200, None)]


@responses.activate
def test_a_post_is_never_resent_after_a_timeout(fake_clock, fresh_schedule):
    responses.post(URL, body=requests.ConnectTimeout("no answer"))
    with pytest.raises(outbound.Unreachable):
        outbound.send(TEST_SERVICE, CONTEXT, "POST", URL, endpoint="POST /thing")
    assert len(responses.calls) == 1
    assert ApiCall.objects.get(service="kit-test").status == 0


@responses.activate
def test_the_daily_budget_stops_sending_until_midnight(fake_clock, fresh_schedule):
    service = dataclasses.replace(TEST_SERVICE, daily_budget=2)
    responses.get(URL, json={})
    outbound.send(service, CONTEXT, "GET", URL, endpoint="GET /thing")
    outbound.send(service, CONTEXT, "GET", URL, endpoint="GET /thing")
    with pytest.raises(outbound.BudgetSpent) as caught:
        outbound.send(service, CONTEXT, "GET", URL, endpoint="GET /thing")
    assert len(responses.calls) == 2
    midnight = fake_clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert caught.value.until == midnight + timedelta(days=1)


def test_the_operator_can_override_a_service_from_settings(settings):
    settings.OUTBOUND_SERVICES = {"kit-test": {"daily_budget": 500, "rate": 0.5}}
    configured = TEST_SERVICE.configured()
    assert (configured.daily_budget, configured.rate) == (500, 0.5)


def test_a_burst_lets_that_many_go_at_once_then_paces(fake_clock, fresh_schedule):
    waits = [pacing.reserve(TEST_SERVICE.name, 1.0, burst=3) for _ in range(5)]
    assert waits == pytest.approx([0, 0, 0, 1, 2])


def test_a_slot_too_far_ahead_pauses_instead_of_sleeping(fake_clock, fresh_schedule):
    pacing.hold(TEST_SERVICE.name, 120)
    with pytest.raises(outbound.Backlogged) as caught:
        outbound.wait_for_slot(TEST_SERVICE)
    assert fake_clock.slept == []
    assert (caught.value.until - fake_clock.now()).total_seconds() == pytest.approx(120)
