"""Idempotency like Stripe's on POST /enforcement/execute: a key names one request. The same key
and body replay the first answer; the same key with another body is refused with 422 and does
nothing; a request refused by validation is not remembered."""

import pytest
from django.test import Client

from api.models import IdempotentRequest
from enforcement.models import ActionBatch
from tests.api.conftest import conforms

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/enforcement/execute"


def raw_post(token, body: bytes, key: str):
    return Client().post(
        EXECUTE,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.fixture
def executed(api, write_token):
    """A plan executed with the key "k-1", and its first answer."""
    plan = conforms(api.post("/api/v1/enforcement/plans", write_token), "Batch")
    first = api.post(EXECUTE, write_token, {"plan": plan["id"]}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 202
    return plan, first


def executed_batches(user) -> int:
    return ActionBatch.objects.filter(user=user, dry_run=False).count()


def test_the_same_key_and_body_replay_the_first_answer(api, ada, write_token, executed):
    plan, first = executed
    # The same body spelled differently (spacing, key order) is the same request.
    again = raw_post(write_token, f'{{ "plan" : {plan["id"]} }}'.encode(), "k-1")

    assert again.status_code == first.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert executed_batches(ada) == 1


def test_the_same_key_with_a_different_plan_is_refused_and_does_nothing(
    api, ada, write_token, executed
):
    other = conforms(api.post("/api/v1/enforcement/plans", write_token), "Batch")
    assert other["id"] != executed[0]["id"]

    reused = api.post(EXECUTE, write_token, {"plan": other["id"]}, HTTP_IDEMPOTENCY_KEY="k-1")

    assert reused.status_code == 422
    error = conforms(reused, "Error")["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "different request body" in error["message"]
    assert ActionBatch.objects.get(pk=other["id"]).dry_run is True  # not executed
    assert executed_batches(ada) == 1


def test_the_same_key_with_a_nonexistent_plan_is_422_not_the_first_batch(
    api, write_token, executed
):
    reused = api.post(EXECUTE, write_token, {"plan": 999_999}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == 422
    assert conforms(reused, "Error")["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("body", [b"{not json", b'["plan"]', b'{"plan": "seven"}', b""])
def test_the_same_key_with_a_malformed_body_is_422(write_token, executed, body):
    reused = raw_post(write_token, body, "k-1")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"


def test_a_refused_request_is_not_remembered_so_the_fixed_one_can_use_the_key(
    api, ada, write_token
):
    plan = conforms(api.post("/api/v1/enforcement/plans", write_token), "Batch")

    malformed = raw_post(write_token, b"{not json", "k-2")
    missing = api.post(EXECUTE, write_token, {"plan": 999_999}, HTTP_IDEMPOTENCY_KEY="k-2")
    fixed = api.post(EXECUTE, write_token, {"plan": plan["id"]}, HTTP_IDEMPOTENCY_KEY="k-2")

    assert (malformed.status_code, missing.status_code, fixed.status_code) == (400, 404, 202)
    assert IdempotentRequest.objects.filter(user=ada, key="k-2").count() == 1


def test_keys_belong_to_their_user(api, ada, write_token, executed, django_user_model):
    from api.models import ApiToken, Scope

    mallory = django_user_model.objects.create(username="mallory")
    theirs = ApiToken.create(mallory, "script", Scope.WRITE)[1]
    plan, _ = executed

    # The same key from someone else is another request: their own plan is not found.
    answer = api.post(EXECUTE, theirs, {"plan": plan["id"]}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert answer.status_code == 404
