"""The API's sync, enforcement and archive endpoints: happy paths, refusals, schema conformance."""

from datetime import UTC, datetime

import pytest

from archive.models import PlayEvent, PlaySource
from enforcement.models import ActionBatch, ActionItem, ItemKind, ItemStatus
from tests.api.conftest import conforms
from tests.enforcement.factories import finished_batch
from tests.sync.factories import catalog_track, owned_base, owned_child

pytestmark = pytest.mark.django_db


def test_base_playlists_are_listed_with_their_children(api, ada, read_token, django_user_model):
    base = owned_base(ada)
    owned_child(ada, base)
    owned_base(django_user_model.objects.create(username="mallory"))
    body = conforms(api.get("/api/v1/base-playlists", read_token), "BasePlaylistPage")
    assert [row["id"] for row in body["items"]] == [base.pk]
    assert len(body["items"][0]["children"]) == 1


def test_a_sync_is_started_once_and_a_second_trigger_gets_409_with_the_running_one(
    api, ada, write_token
):
    base = owned_base(ada)
    first = api.post(f"/api/v1/base-playlists/{base.pk}/sync", write_token)
    assert first.status_code == 202
    event = conforms(first, "SyncEvent")
    second = api.post(f"/api/v1/base-playlists/{base.pk}/sync", write_token)
    assert second.status_code == 409
    assert conforms(second, "SyncRunning")["sync_event"]["id"] == event["id"]

    status = conforms(
        api.get(f"/api/v1/base-playlists/{base.pk}/sync-status", write_token), "SyncStatus"
    )
    assert status["running"] is True and status["active_event"]["id"] == event["id"]
    detail = conforms(api.get(f"/api/v1/sync-events/{event['id']}", write_token), "SyncEvent")
    assert detail["status"] == "queued"


def test_sync_routes_refuse_outsiders_and_read_only_tokens(
    api, ada, read_token, write_token, django_user_model
):
    theirs = owned_base(django_user_model.objects.create(username="mallory"))
    assert api.post(f"/api/v1/base-playlists/{theirs.pk}/sync", write_token).status_code == 404
    assert (
        api.get(f"/api/v1/base-playlists/{theirs.pk}/sync-status", write_token).status_code == 404
    )
    mine = owned_base(ada)
    assert api.post(f"/api/v1/base-playlists/{mine.pk}/sync", read_token).status_code == 403
    assert not mine.events.exists()


def test_a_plan_then_execute_with_an_idempotency_key_returns_the_same_batch(api, ada, write_token):
    plan = conforms(api.post("/api/v1/enforcement/plans", write_token), "Batch")
    assert plan["dry_run"] is True

    missing_key = api.post("/api/v1/enforcement/execute", write_token, {"plan": plan["id"]})
    assert missing_key.status_code == 400

    first = api.post(
        "/api/v1/enforcement/execute", write_token, {"plan": plan["id"]}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 202
    again = api.post(
        "/api/v1/enforcement/execute", write_token, {"plan": plan["id"]}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 202  # the first answer, replayed
    assert again["Idempotent-Replayed"] == "true"
    assert conforms(again, "Batch")["id"] == conforms(first, "Batch")["id"]
    assert ActionBatch.objects.filter(user=ada, dry_run=False).count() == 1

    progress = conforms(
        api.get(f"/api/v1/enforcement/batches/{plan['id']}/progress", write_token), "Batch"
    )
    assert progress["dry_run"] is False


def test_enforcement_refuses_outsiders(api, write_token, django_user_model):
    theirs = finished_batch(django_user_model.objects.create(username="mallory"))
    assert (
        api.get(f"/api/v1/enforcement/batches/{theirs.pk}/progress", write_token).status_code == 404
    )
    execute = api.post(
        "/api/v1/enforcement/execute", write_token, {"plan": theirs.pk}, HTTP_IDEMPOTENCY_KEY="x"
    )
    assert execute.status_code == 404
    assert (
        api.post("/api/v1/enforcement/rollback", write_token, {"batch": theirs.pk}).status_code
        == 404
    )


def test_a_rollback_is_queued_once(api, ada, write_token):
    batch = finished_batch(ada)
    ActionItem.objects.create(
        batch=batch,
        kind=ItemKind.LIKED_TRACK,
        uri="spotify:track:0123456789abcdefghijAB",
        status=ItemStatus.DONE,
    )
    first = api.post("/api/v1/enforcement/rollback", write_token, {"batch": batch.pk})
    assert first.status_code == 202
    rollback = conforms(first, "Batch")
    assert rollback["mode"] == "rollback" and rollback["parent"] == batch.pk
    again = api.post("/api/v1/enforcement/rollback", write_token, {"batch": batch.pk})
    assert again.status_code == 200 and again.json()["id"] == rollback["id"]
    bad = api.post(
        "/api/v1/enforcement/rollback", write_token, {"batch": batch.pk, "items": [999999]}
    )
    assert bad.status_code == 400


def test_bad_bodies_get_a_clear_400(api, write_token):
    response = api.client.post(
        "/api/v1/enforcement/rollback",
        "not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert response.status_code == 400
    assert conforms(response, "Error")["error"]["code"] == "bad_json"
    assert (
        api.post("/api/v1/enforcement/rollback", write_token, {"batch": "seven"}).status_code == 400
    )


def test_recent_plays_and_stats(api, ada, read_token):
    track = catalog_track("Sinnerman", artists=("Nina Simone",))
    for day in (1, 2, 3):
        PlayEvent.objects.create(
            user=ada,
            track=track,
            played_at=datetime(2026, 11, day, 20, tzinfo=UTC),
            source=PlaySource.POLL,
        )
    plays = conforms(api.get("/api/v1/archive/plays", read_token, per_page=2), "PlayPage")
    assert plays["total"] == 3 and plays["items"][0]["played_at"].startswith("2026-11-03")
    stats = api.get(
        "/api/v1/archive/stats", read_token, **{"from": "2026-10-01", "to": "2026-11-30"}
    )
    assert stats.status_code == 200
    conforms(stats, "Stats")
    assert api.get("/api/v1/archive/stats", read_token, **{"from": "yesterday"}).status_code == 400
    conforms(api.get("/api/v1/archive/imports", read_token), "ImportPage")
