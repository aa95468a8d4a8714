from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from api import auth
from api.models import ApiToken
from ops.jobs import JobStatus
from playlists.models import LibraryRefresh
from tests.api.conftest import conforms

pytestmark = pytest.mark.django_db


def test_no_token_is_refused_with_the_error_shape(api):
    response = api.get("/api/v1/jobs")
    assert response.status_code == 401
    assert conforms(response, "Error")["error"]["code"] == "not_authenticated"


def test_a_revoked_token_is_refused(api, ada, write_token):
    ApiToken.objects.get(user=ada).revoke()
    response = api.get("/api/v1/jobs", write_token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_read_only_token_cannot_write(api, ada, read_token):
    job = LibraryRefresh.objects.create(user=ada, status=JobStatus.FAILED, error="boom")
    response = api.post(f"/api/v1/jobs/{job.public_id}/retry", read_token)
    assert response.status_code == 403
    assert conforms(response, "Error")["error"]["code"] == "read_only_token"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_a_session_cookie_may_read_but_never_write(ada):
    browser = Client()
    browser.force_login(ada)
    assert browser.get("/api/v1/jobs").status_code == 200
    job = LibraryRefresh.objects.create(user=ada, status=JobStatus.FAILED)
    response = browser.post(f"/api/v1/jobs/{job.public_id}/retry")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_required"


def test_jobs_are_listed_newest_first_and_only_the_users_own(
    api, ada, write_token, django_user_model
):
    mine = [
        LibraryRefresh.objects.create(user=ada, done=i, total=10, status="completed")
        for i in range(3)
    ]
    mine[-1].created_at = mine[-1].created_at + timedelta(seconds=5)
    mine[-1].save()
    LibraryRefresh.objects.create(user=django_user_model.objects.create(username="mallory"))
    response = api.get("/api/v1/jobs", write_token, per_page=2)
    body = conforms(response, "JobPage")
    assert body["total"] == 3
    assert [job["id"] for job in body["items"]] == [mine[2].public_id, mine[1].public_id]
    assert body["next"].endswith("page=2&per_page=2")


def test_another_users_job_is_404(api, write_token, django_user_model):
    theirs = LibraryRefresh.objects.create(
        user=django_user_model.objects.create(username="mallory"), status="failed"
    )
    assert api.get(f"/api/v1/jobs/{theirs.public_id}", write_token).status_code == 404
    assert api.post(f"/api/v1/jobs/{theirs.public_id}/retry", write_token).status_code == 404
    assert api.get("/api/v1/jobs/not-a-job", write_token).status_code == 404


def test_a_failed_job_can_be_retried_once(
    api, ada, write_token, django_capture_on_commit_callbacks
):
    job = LibraryRefresh.objects.create(
        user=ada, status=JobStatus.FAILED, error="Spotify did not answer"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"/api/v1/jobs/{job.public_id}/retry", write_token)
    assert response.status_code == 202
    assert conforms(response, "Job")["status"] == "queued"
    assert len(callbacks) == 1  # the task is sent once the transaction commits
    again = api.post(f"/api/v1/jobs/{job.public_id}/retry", write_token)
    assert again.status_code == 409


def test_spotify_status_conforms(api, read_token):
    response = api.get("/api/v1/rate-limits/spotify/status", read_token)
    assert response.status_code == 200
    body = conforms(response, "SpotifyStatus")
    assert body["breaker"] == "closed" and body["paused_until"] is None


def test_requests_are_rate_limited_per_token(api, read_token, monkeypatch):
    monkeypatch.setattr(auth, "REQUESTS_PER_MINUTE", 3)
    codes = [api.get("/api/v1/jobs", read_token).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = api.get("/api/v1/jobs", read_token)
    assert int(limited["Retry-After"]) > 0
    assert conforms(limited, "Error")["error"]["code"] == "rate_limited"


def test_last_use_is_recorded(api, ada, read_token):
    api.get("/api/v1/jobs", read_token)
    assert ApiToken.objects.get(user=ada).last_used_at is not None


def test_the_openapi_document_describes_every_api_route(api, read_token):
    from django.urls import get_resolver

    from tests.security.urls import _walk

    document = api.get("/api/v1/openapi.json", read_token).json()
    assert document["openapi"].startswith("3.1")
    routes = {
        "/"
        + route.route.removeprefix("api/v1/")
        .replace("<str:", "{")
        .replace("<int:", "{")
        .replace(">", "}")
        for route in _walk(get_resolver().url_patterns)
        if route.route.startswith("api/v1/") and route.name and route.name != "api:openapi"
    }
    assert routes == set(document["paths"])


def test_tokens_are_created_once_shown_and_stored_hashed(ada):
    browser = Client()
    browser.force_login(ada)
    page = browser.post(
        "/settings/api-tokens/new", {"name": "cron", "scope": "write"}
    ).content.decode()
    raw = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert raw.startswith("tk_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        assert all(raw not in str(value) for value in cursor.fetchone())
    assert raw not in browser.get("/settings/api-tokens/").content.decode()


def test_revoking_someone_elses_token_is_404(ada, django_user_model):
    token, _ = ApiToken.create(ada, "mine", "read")
    outsider = Client()
    outsider.force_login(django_user_model.objects.create(username="mallory"))
    assert outsider.post(f"/settings/api-tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.active


def test_unknown_api_paths_and_malformed_ids_get_the_json_error(api, read_token):
    for path in ("/api/v1/nothing-here", "/api/v1/sync-events/not-a-number"):
        response = api.get(path, read_token)
        assert response.status_code == 404
        assert conforms(response, "Error")["error"]["code"] == "not_found"


def test_page_numbers_are_bounded(api, read_token):
    assert api.get("/api/v1/jobs", read_token, page=10_001).status_code == 400


def test_a_job_exposes_its_heartbeat_and_says_when_it_waits_for_a_worker(
    api, ada, write_token, fake_clock
):
    from archive.models import HistoryProfile

    HistoryProfile.objects.create(user=ada, time_zone="Europe/Berlin")
    job = LibraryRefresh.objects.create(user=ada)
    job.claim()
    job.advance(done=5, total=10)
    beat = job.heartbeat_at
    body = conforms(api.get(f"/api/v1/jobs/{job.public_id}", write_token), "Job")
    assert body["heartbeat_at"] == beat.isoformat() and body["state_reason"] is None

    fake_clock.advance(LibraryRefresh.lost_after().total_seconds() + 1)
    body = conforms(api.get(f"/api/v1/jobs/{job.public_id}", write_token), "Job")

    assert body["status"] == "running" and body["heartbeat_at"] == beat.isoformat()
    assert body["state_reason"] == "waiting for a worker since 13:00"  # 12:00 UTC, in Berlin
    assert body["eta_seconds"] is None
