"""Each fault knob, driven by the test's clock where time matters."""

import pytest
import requests

from sandbox.spotify import faults, mutations
from sandbox.spotify.models import IssuedToken, PlaylistItem, Track
from tests.conftest import wait_for
from tests.sandbox.conftest import SandboxApi


def statuses(api, path: str, count: int) -> list[int]:
    return [api.get(path).status_code for _ in range(count)]


def test_latency_waits_on_the_clock(api, library, fake_clock):
    faults.configure(latency_ms=250)
    assert api.get("/me").status_code == 200
    assert fake_clock.slept == [0.25]


def test_the_30_second_window_per_app(api, library, fake_clock, client):
    faults.configure(rate_limit=3)
    assert statuses(api, "/me", 3) == [200, 200, 200]
    fake_clock.advance(10)
    refused = api.get("/me")
    assert refused.status_code == 429
    assert refused.json() == {"error": {"status": 429, "message": "API rate limit exceeded"}}
    assert refused["Retry-After"] == "20"  # until the oldest call leaves the window

    other_app = SandboxApi(client, library)
    other_app._token = IssuedToken.issue(library, "another-app", "").access_token
    assert other_app.get("/me").status_code == 200  # the window is per client app

    fake_clock.advance(20)
    assert statuses(api, "/me", 3) == [200, 200, 200]
    assert api.get("/me").status_code == 429


def test_the_daily_quota_answers_quota_exceeded_with_a_long_wait(api, library, fake_clock):
    faults.configure(daily_quota=5, access_token_seconds=2 * 86400)
    assert statuses(api, "/me", 5) == [200] * 5
    fake_clock.advance(3600)
    refused = api.get("/me")
    assert refused.status_code == 429
    assert refused.json() == {
        "error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}
    }
    assert refused["Retry-After"] == str(86400 - 3600)
    fake_clock.advance(86400 - 3600)
    assert statuses(api, "/me", 5) == [200] * 5  # the rolling day has passed


def test_a_fixed_quota_retry_after(api, library, fake_clock):
    faults.configure(daily_quota=1, quota_retry_after=48925)
    api.get("/me")
    assert api.get("/me")["Retry-After"] == "48925"


def test_a_storm_answers_a_share_of_calls_with_short_429s_reproducibly(api, library):
    faults.configure(storm_rate=0.3, storm_retry_after=2, seed=7)
    first = [api.get("/me") for _ in range(200)]
    limited = [r for r in first if r.status_code == 429]
    assert 40 <= len(limited) <= 80
    assert {r["Retry-After"] for r in limited} == {"2"}
    faults.configure(seed=7)  # same seed: the same sequence again
    assert [api.get("/me").status_code for _ in range(200)] == [r.status_code for r in first]


def test_random_server_errors(api, library):
    faults.configure(server_error_rate=0.5, seed=1)
    codes = statuses(api, "/me", 60)
    errors = [code for code in codes if code != 200]
    assert 15 <= len(errors) <= 45
    assert set(errors) <= {500, 502, 503} and len(set(errors)) >= 2


def test_faults_can_target_one_endpoint_and_fail_before_a_write_lands(api, own_playlist):
    faults.configure(server_error_rate=1, only=("POST /playlists/{id}/items",))
    path = f"/playlists/{own_playlist.spotify_id}/items"
    assert api.get(path).status_code == 200
    response = api.post(path, {"uris": [Track.objects.first().uri]})
    assert response.status_code in (500, 502, 503)
    assert PlaylistItem.objects.filter(playlist=own_playlist).count() == 40
    assert mutations.log() == []


def test_a_server_error_after_the_write_landed(api, own_playlist):
    faults.configure(server_error_rate=1, after_apply=True, only=("POST",))
    response = api.post(
        f"/playlists/{own_playlist.spotify_id}/items", {"uris": [Track.objects.first().uri]}
    )
    assert response.status_code >= 500
    assert PlaylistItem.objects.filter(playlist=own_playlist).count() == 41
    assert [m["endpoint"] for m in mutations.log()] == ["POST /playlists/{id}/items"]


def test_fail_next_answers_exactly_the_next_matching_calls(api, library):
    faults.fail_next(503, count=2, only=("GET /me/tracks",))
    faults.fail_next(429, retry_after=7)
    assert api.get("/me/tracks").status_code == 503
    me = api.get("/me")
    assert (me.status_code, me["Retry-After"]) == (429, "7")
    assert api.get("/me/tracks").status_code == 503
    assert statuses(api, "/me/tracks", 2) == [200, 200]


def test_a_scripted_body(api, library):
    faults.fail_next(403, body={"error": {"status": 403, "message": "Active premium required"}})
    response = api.get("/me")
    assert response.json()["error"]["message"] == "Active premium required"


def test_an_expired_token_is_401_and_expiry_follows_the_clock(api, library, fake_clock):
    assert api.get("/me").status_code == 200
    fake_clock.advance(3599)
    assert api.get("/me").status_code == 200
    fake_clock.advance(1)
    expired = api.get("/me")
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}


def test_expire_token_and_short_lived_tokens(api, library, fake_clock):
    assert api.get("/me").status_code == 200
    assert faults.expire_token(api.token) == 1
    assert api.get("/me").status_code == 401
    faults.configure(access_token_seconds=60)
    issued = IssuedToken.issue(library, "tunekeeper-sandbox", "")
    assert (issued.expires_at - fake_clock.now()).total_seconds() == 60


def test_bad_tokens(client, library):
    assert client.get("/sandbox-spotify/v1/me").json()["error"]["message"] == "No token provided"
    wrong = client.get("/sandbox-spotify/v1/me", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "Invalid access token"


def test_revocation_breaks_refresh_with_invalid_grant(client, api, library):
    issued = IssuedToken.issue(library, "tunekeeper-sandbox", "user-library-read")
    faults.revoke(library)

    def refresh():
        return client.post(
            "/sandbox-spotify/accounts/api/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": issued.refresh_token,
                "client_id": "tunekeeper-sandbox",
            },
        )

    assert refresh().json() == {
        "error": "invalid_grant",
        "error_description": "Refresh token revoked",
    }
    assert api.get("/me").status_code == 200  # access tokens live until they expire…
    faults.revoke(library, access_tokens=True)
    assert api.get("/me").status_code == 401  # …unless revoked with them


def test_a_concurrent_edit_between_two_reads(api, own_playlist):
    faults.concurrent_edit(own_playlist.spotify_id, after_reads=2, action="add")
    path = f"/playlists/{own_playlist.spotify_id}"
    first = api.get(path, fields="snapshot_id").json()["snapshot_id"]
    second = api.get(f"{path}/items").json()
    assert second["total"] == 40  # the edit happens after the second read was answered
    third = api.get(path, fields="snapshot_id").json()["snapshot_id"]
    assert third != first
    assert api.get(f"{path}/items").json()["total"] == 41
    assert api.get(path, fields="snapshot_id").json()["snapshot_id"] == third  # only once
    [edit] = mutations.log()
    assert edit["client_id"] == mutations.CONCURRENT_EDITOR
    assert (edit["snapshot_before"], edit["snapshot_after"]) == (first, third)
    assert mutations.log(include_sandbox=False) == []


def test_a_concurrent_removal(api, own_playlist):
    last = PlaylistItem.objects.filter(playlist=own_playlist).order_by("-position").first()
    faults.concurrent_edit(own_playlist.spotify_id, action="remove")
    api.get(f"/playlists/{own_playlist.spotify_id}/items")
    assert not PlaylistItem.objects.filter(pk=last.pk).exists()
    assert PlaylistItem.objects.filter(playlist=own_playlist).count() == 39


def test_knobs_from_settings_and_unknown_knobs(api, library, settings):
    settings.SANDBOX_FAULTS = {"rate_limit": 1}
    faults.reset()
    assert statuses(api, "/me", 2) == [200, 429]
    with pytest.raises(ValueError, match="unknown sandbox fault knobs"):
        faults.configure(rate_limt=5)


def test_the_request_log(api, library):
    api.get("/me")
    api.get("/me/tracks", limit=100)
    assert [(r["endpoint"], r["status"]) for r in faults.requests()] == [
        ("GET /me", 200),
        ("GET /me/tracks", 400),
    ]
    assert faults.request_count("GET /me") == 1


def test_a_timeout_outlasts_the_client_and_may_land_the_write(sandbox_site, ada):
    from sandbox.spotify.seed import seed_playlist

    playlist = seed_playlist(ada, items=5, tracks=50)
    token = IssuedToken.issue(ada, "tunekeeper-sandbox", "playlist-modify-private").access_token
    url = f"{sandbox_site.url}/sandbox-spotify/v1/playlists/{playlist.spotify_id}/items"
    headers = {"Authorization": f"Bearer {token}"}
    body = {"uris": [Track.objects.first().uri]}
    faults.configure(timeout_rate=1, timeout_seconds=1.5, only=("POST",))

    def server_done(count):
        # The server thread is still sleeping when the client gives up; let it finish before
        # the test's database goes away under it.
        wait_for(lambda: faults.request_count("POST /playlists/{id}/items") == count, 10)

    with pytest.raises(requests.Timeout):
        requests.post(url, json=body, headers=headers, timeout=0.5)
    server_done(1)
    assert mutations.log() == []  # lost before it was applied

    faults.configure(after_apply=True)
    with pytest.raises(requests.Timeout):
        requests.post(url, json=body, headers=headers, timeout=0.5)
    server_done(2)
    assert [m["endpoint"] for m in mutations.log()] == ["POST /playlists/{id}/items"]
    assert PlaylistItem.objects.filter(playlist=playlist).count() == 6


@pytest.mark.parametrize(
    "knobs",
    [
        {"storm_rate": 1.5},
        {"rate_limit": 0},
        {"rate_limit": "ten"},
        {"api_mode": "turbo"},
        {"server_error_statuses": [404]},
        {"after_apply": "yes"},
    ],
)
def test_bad_knob_values_are_refused_with_their_name(db, knobs):
    with pytest.raises(ValueError, match=next(iter(knobs))):
        faults.configure(**knobs)


def test_a_bad_sandbox_faults_setting_stops_the_start(settings):
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    settings.SANDBOX_FAULTS = {"latency": 5}
    with pytest.raises(ImproperlyConfigured, match="SANDBOX_FAULTS"):
        apps.get_app_config("sandbox").ready()


def test_the_admin_edits_the_one_row_the_sandbox_reads(admin_client, api, library):
    from sandbox.spotify.models import FaultSettings

    refused = admin_client.post(
        "/admin/sandbox/faultsettings/add/", {"knobs": '{"rate_limt": 1}', "script": "[]"}
    )
    assert refused.status_code == 200 and "unknown sandbox fault knobs" in refused.content.decode()
    admin_client.post(
        "/admin/sandbox/faultsettings/add/", {"knobs": '{"rate_limit": 1}', "script": "[]"}
    )
    assert FaultSettings.objects.get().pk == faults.ROW
    assert statuses(api, "/me", 2) == [200, 429]
