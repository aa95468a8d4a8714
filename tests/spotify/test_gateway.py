"""The chokepoint's policy, checked against exact payloads (`responses`) and a fake clock."""

import json
from datetime import timedelta

import pytest
import responses
from django.conf import settings
from responses import matchers

from spotify import pacing, state
from spotify.client import SpotifyClient
from spotify.errors import (
    BudgetExhausted,
    CircuitOpen,
    Forbidden,
    NeedsReconnect,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TransportError,
)
from spotify.models import ApiCall, AppState, Connection, Purpose
from tests.spotify.factories import connected_user, track_json

pytestmark = pytest.mark.django_db

API = settings.SPOTIFY_API_BASE_URL
TOKEN_URL = f"{settings.SPOTIFY_ACCOUNTS_BASE_URL}/api/token"


@pytest.fixture
def ada(django_user_model, fake_clock):
    return connected_user(django_user_model)


@pytest.fixture
def client(ada):
    return SpotifyClient(ada, purpose=Purpose.LIBRARY, job_id="job-7")


def items_page(start: int, count: int, total: int, next_url: str | None) -> dict:
    return {
        "href": f"{API}/playlists/p1/items",
        "items": [
            {
                "added_at": "2026-01-02T03:04:05Z",
                "added_by": {"id": "ada"},
                "is_local": False,
                "item": track_json(n),
            }
            for n in range(start, start + count)
        ],
        "limit": 50,
        "offset": start,
        "total": total,
        "next": next_url,
        "previous": None,
    }


@responses.activate
def test_paging_follows_next_links_and_records_each_call(client, ada):
    responses.get(
        f"{API}/playlists/p1/items",
        json=items_page(0, 50, 120, f"{API}/playlists/p1/items?offset=50&limit=50"),
        match=[matchers.query_param_matcher({"limit": "50", "additional_types": "track"})],
    )
    responses.get(
        f"{API}/playlists/p1/items",
        json=items_page(50, 50, 120, f"{API}/playlists/p1/items?offset=100&limit=50"),
        match=[matchers.query_param_matcher({"offset": "50", "limit": "50"})],
    )
    responses.get(
        f"{API}/playlists/p1/items",
        json=items_page(100, 20, 120, None),
        match=[matchers.query_param_matcher({"offset": "100", "limit": "50"})],
    )

    pages = list(client.playlist_items("p1"))

    assert [len(page.items) for page in pages] == [50, 50, 20]
    first = pages[0].items[0]
    assert first.track.isrc == "USRC10000000"
    assert first.track.album.release_date_precision == "month"
    assert first.added_by == "ada"
    assert all(c.request.headers["Authorization"] == "Bearer access-1" for c in responses.calls)
    assert "Tunekeeper" in responses.calls[0].request.headers["User-Agent"]
    ledger = list(ApiCall.objects.values_list("endpoint", "status", "purpose", "job_id", "user_id"))
    assert ledger == [("GET /playlists/{id}/items", 200, "library", "job-7", ada.pk)] * 3


@responses.activate
def test_a_failing_page_raises_instead_of_returning_a_partial_list(client):
    responses.get(
        f"{API}/playlists/p1/items",
        json=items_page(0, 50, 100, f"{API}/playlists/p1/items?offset=50&limit=50"),
        match=[matchers.query_param_matcher({"limit": "50", "additional_types": "track"})],
    )
    responses.get(
        f"{API}/playlists/p1/items",
        status=404,
        json={"error": {"status": 404, "message": "Not found"}},
        match=[matchers.query_param_matcher({"offset": "50", "limit": "50"})],
    )
    seen = []
    with pytest.raises(Exception) as raised:
        for page in client.playlist_items("p1"):
            seen.extend(page.items)
    assert type(raised.value).__name__ == "NotFound"
    assert len(seen) == 50  # the caller saw one page and then an error, never a "complete" list


@responses.activate
def test_short_retry_after_is_slept_and_retried(client, fake_clock):
    responses.get(
        f"{API}/me",
        status=429,
        headers={"Retry-After": "2"},
        json={"error": {"status": 429, "message": "API rate limit exceeded"}},
    )
    responses.get(f"{API}/me", json={"id": "ada", "display_name": "Ada"})

    assert client.current_user().display_name == "Ada"
    assert 3 in fake_clock.slept  # Retry-After 2 s + 1 s
    assert list(ApiCall.objects.order_by("id").values_list("status", "retry_after")) == [
        (429, 3),
        (200, None),
    ]
    assert pacing.level(state.app_id()) > 1.0  # slowed down after the 429


@responses.activate
def test_retry_after_as_an_http_date(client, fake_clock):
    moment = fake_clock.now() + timedelta(seconds=4)
    responses.get(
        f"{API}/me",
        status=429,
        headers={"Retry-After": moment.strftime("%a, %d %b %Y %H:%M:%S GMT")},
    )
    responses.get(f"{API}/me", json={"id": "ada"})
    client.current_user()
    assert 5 in fake_clock.slept


@responses.activate
def test_quota_exceeded_persists_a_pause_that_stops_every_call_until_it_passes(client, fake_clock):
    responses.get(
        f"{API}/me",
        status=429,
        headers={"Retry-After": "72000"},
        json={"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}},
    )

    with pytest.raises(QuotaExceeded) as raised:
        client.current_user()
    assert raised.value.until == fake_clock.now() + timedelta(seconds=72001)
    assert max(fake_clock.slept, default=0) < 10  # nobody slept through the lockout
    row = AppState.objects.get()
    assert row.paused_until == raised.value.until and row.pause_reason == "daily quota"

    state.forget()  # the persisted row alone must hold the pause (e.g. after a Redis restart)
    with pytest.raises(QuotaExceeded):
        client.track("abc")
    assert len(responses.calls) == 1  # the paused call never left the building

    fake_clock.advance(72002)
    responses.post(TOKEN_URL, json={"access_token": "access-2", "expires_in": 3600})  # 20 h later
    responses.get(f"{API}/tracks/abc", json=track_json(1))
    assert client.track("abc").name == "Song 1"


@responses.activate
def test_a_long_retry_after_pauses_instead_of_sleeping(client, fake_clock):
    responses.get(f"{API}/me", status=429, headers={"Retry-After": "600"})
    with pytest.raises(RateLimited) as raised:
        client.current_user()
    assert raised.value.reason == "rate limit"
    assert AppState.objects.get().pause_reason == "rate limit"
    assert fake_clock.slept == [] or max(fake_clock.slept) < 10


@responses.activate
def test_server_errors_on_reads_are_retried_with_bounded_backoff(client, fake_clock):
    responses.get(f"{API}/me", status=502)
    responses.get(f"{API}/me", status=503)
    responses.get(f"{API}/me", json={"id": "ada"})
    client.current_user()
    assert len(responses.calls) == 3
    assert all(wait <= 8 for wait in fake_clock.slept)


@responses.activate
def test_server_errors_give_up_after_the_bounded_retries(client):
    responses.get(f"{API}/me", status=500)
    with pytest.raises(ServerError):
        client.current_user()
    assert len(responses.calls) == 5  # one try and four retries


@responses.activate
def test_a_post_that_adds_items_is_never_resent(client):
    responses.post(f"{API}/playlists/p1/items", status=502)
    with pytest.raises(ServerError):
        client.add_items("p1", ["spotify:track:a"])
    assert len(responses.calls) == 1


@responses.activate
def test_timeouts_on_reads_are_retried(client):
    import requests

    responses.get(f"{API}/me", body=requests.ConnectTimeout("slow"))
    responses.get(f"{API}/me", json={"id": "ada"})
    assert client.current_user().id == "ada"
    assert list(ApiCall.objects.order_by("id").values_list("status", flat=True)) == [0, 200]


@responses.activate
def test_the_circuit_opens_after_repeated_failures_and_a_probe_closes_it(client, fake_clock):
    import requests

    responses.get(f"{API}/me", body=requests.ConnectionError("down"))
    with pytest.raises(TransportError):
        client.current_user()  # 5 attempts: the breaker's threshold
    assert state.breaker().state == "open"
    sent = len(responses.calls)
    with pytest.raises(CircuitOpen):
        client.current_user()
    assert len(responses.calls) == sent

    fake_clock.advance(31)
    assert state.breaker().state == "half-open"
    responses.replace(responses.GET, f"{API}/me", json={"id": "ada"})
    assert client.current_user().id == "ada"
    assert state.breaker().state == "closed"


@responses.activate
def test_a_401_refreshes_the_token_once_and_stores_the_rotated_refresh_token(client, ada):
    from allauth.socialaccount.models import SocialToken

    responses.get(
        f"{API}/me",
        status=401,
        json={"error": {"status": 401, "message": "The access token expired"}},
        match=[matchers.header_matcher({"Authorization": "Bearer access-1"})],
    )
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "access-2",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "refresh-2",
        },
    )
    responses.get(
        f"{API}/me",
        json={"id": "ada"},
        match=[matchers.header_matcher({"Authorization": "Bearer access-2"})],
    )

    assert client.current_user().id == "ada"
    token = SocialToken.objects.get()
    assert (token.token, token.token_secret) == ("access-2", "refresh-2")
    refresh_body = responses.calls[1].request.body
    assert "grant_type=refresh_token" in refresh_body and "refresh_token=refresh-1" in refresh_body


@responses.activate
def test_tokens_are_refreshed_two_minutes_before_they_expire(django_user_model, fake_clock):
    user = connected_user(django_user_model, expires_in=100)
    responses.post(TOKEN_URL, json={"access_token": "access-2", "expires_in": 3600})
    responses.get(
        f"{API}/me",
        json={"id": "ada"},
        match=[matchers.header_matcher({"Authorization": "Bearer access-2"})],
    )
    SpotifyClient(user).current_user()
    from allauth.socialaccount.models import SocialToken

    assert SocialToken.objects.get().token_secret == "refresh-1"  # none returned: the old one stays


@responses.activate
def test_invalid_grant_marks_the_connection_for_reconnecting(django_user_model, fake_clock):
    user = connected_user(django_user_model, expires_in=10)
    responses.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "Refresh token revoked"},
    )
    with pytest.raises(NeedsReconnect):
        SpotifyClient(user).current_user()
    connection = Connection.objects.get(user=user)
    assert connection.needs_reconnect
    assert "revoked" in connection.needs_reconnect_reason


@responses.activate
def test_background_work_stops_at_the_daily_budget_and_interactive_goes_on(ada, settings):
    settings.SPOTIFY_DAILY_BUDGET = 2
    settings.SPOTIFY_INTERACTIVE_RESERVE = 0  # the household budget, not a share, stops it
    responses.get(f"{API}/me", json={"id": "ada"})
    background = SpotifyClient(ada, purpose=Purpose.SYNC)
    background.current_user()
    background.current_user()
    with pytest.raises(BudgetExhausted):
        background.current_user()
    SpotifyClient(ada, purpose=Purpose.INTERACTIVE).current_user()
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    ("endpoint_call", "url", "reason"),
    [
        (
            lambda c: c.playlist_items("p1").__next__(),
            f"{API}/playlists/p1/items",
            Forbidden.NOT_OWNER,
        ),
        (
            lambda c: c.library_save(["spotify:track:a"]),
            f"{API}/me/library",
            Forbidden.MISSING_SCOPE,
        ),
    ],
)
@responses.activate
def test_forbidden_says_why(client, endpoint_call, url, reason):
    message = "Insufficient client scope" if reason == Forbidden.MISSING_SCOPE else "Forbidden"
    responses.add(
        responses.GET, url, status=403, json={"error": {"status": 403, "message": message}}
    )
    responses.add(
        responses.PUT, url, status=403, json={"error": {"status": 403, "message": message}}
    )
    with pytest.raises(Forbidden) as raised:
        endpoint_call(client)
    assert raised.value.reason == reason


@responses.activate
def test_positional_inserts_go_in_reverse_chunk_order(client):
    responses.post(f"{API}/playlists/p1/items", json={"snapshot_id": "s"}, status=201)
    uris = [f"spotify:track:{n}" for n in range(250)]
    client.add_items("p1", uris, position=10)
    bodies = [json.loads(call.request.body) for call in responses.calls]
    assert [body["uris"][0] for body in bodies] == [
        "spotify:track:200",
        "spotify:track:100",
        "spotify:track:0",
    ]
    assert {body["position"] for body in bodies} == {10}


@responses.activate
def test_replacing_more_than_100_items_is_a_put_then_posts(client):
    responses.put(f"{API}/playlists/p1/items", json={"snapshot_id": "s1"})
    responses.post(f"{API}/playlists/p1/items", json={"snapshot_id": "s2"}, status=201)
    uris = [f"spotify:track:{n}" for n in range(230)]
    assert client.replace_items("p1", uris) == "s2"
    sent = [
        (call.request.method, len(json.loads(call.request.body)["uris"]))
        for call in responses.calls
    ]
    assert sent == [("PUT", 100), ("POST", 100), ("POST", 30)]


@responses.activate
def test_removal_sends_each_uri_once_in_chunks_of_100(client):
    responses.delete(f"{API}/playlists/p1/items", json={"snapshot_id": "s"})
    uris = [f"spotify:track:{n}" for n in range(150)] * 2
    client.remove_items("p1", uris, snapshot_id="s0")
    bodies = [json.loads(call.request.body) for call in responses.calls]
    assert [len(body["items"]) for body in bodies] == [100, 50]
    assert bodies[0]["snapshot_id"] == "s0"


@responses.activate
def test_library_writes_go_in_chunks_of_40_mixed_types(client):
    responses.delete(f"{API}/me/library", status=200)
    uris = [f"spotify:track:{n}" for n in range(50)] + [f"spotify:album:{n}" for n in range(30)]
    client.library_remove(uris)
    sent = [call.request.params["uris"].split(",") for call in responses.calls]
    assert [len(batch) for batch in sent] == [40, 40]
    assert sent[1][-1] == "spotify:album:29"


@responses.activate
def test_fields_removed_in_development_mode_come_back_as_none(client):
    responses.get(
        f"{API}/artists/a1",
        json={"id": "a1", "name": "Band", "uri": "spotify:artist:a1", "type": "artist"},
    )
    artist = client.artist("a1")
    assert (artist.genres, artist.popularity, artist.followers) == (None, None, None)


def test_the_interactive_lane_is_served_before_queued_background_work(settings, fake_clock):
    settings.SPOTIFY_CALLS_PER_SECOND = 1.0
    app = state.app_id()
    waits = [pacing.reserve(app, interactive=False) for _ in range(5)]
    assert waits == pytest.approx([0, 1, 2, 3, 4])
    # A person clicks now: they wait for no background slot already reserved.
    assert pacing.reserve(app, interactive=True) == pytest.approx(0)
    # and the background schedule moved back to make room.
    assert pacing.reserve(app, interactive=False) > 4


@responses.activate
def test_background_work_stops_for_a_user_who_must_reconnect_and_interactive_still_tries(ada):
    Connection.objects.get(user=ada).mark_needs_reconnect("invalid_grant")
    responses.get(f"{API}/me", json={"id": "ada"})
    with pytest.raises(NeedsReconnect):
        SpotifyClient(ada, purpose=Purpose.SYNC).current_user()
    assert len(responses.calls) == 0
    SpotifyClient(ada, purpose=Purpose.INTERACTIVE).current_user()
    assert len(responses.calls) == 1


@responses.activate
def test_an_operator_hold_pauses_a_users_background_work(ada, fake_clock):
    from spotify.errors import Paused

    Connection.objects.filter(user=ada).update(jobs_paused_at=fake_clock.now())
    with pytest.raises(Paused) as raised:
        SpotifyClient(ada, purpose=Purpose.LIBRARY).current_user()
    assert raised.value.reason == "paused by operator"
    assert len(responses.calls) == 0
