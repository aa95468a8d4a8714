"""Accounts come from Spotify only: allauth's password, email and reset pages are 404, and the
admin login is throttled after repeated failures."""

import uuid

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

OFF = [
    "/accounts/password/reset/",
    "/accounts/password/set/",
    "/accounts/password/change/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-abc/",
    "/accounts/email/",
    "/accounts/signup/",
    "/accounts/confirm-email/",
    "/accounts/reauthenticate/",
]


@pytest.mark.parametrize("url", OFF)
def test_local_account_pages_are_404_for_visitors_and_users(url, django_user_model):
    anonymous = Client(enforce_csrf_checks=True)
    member = Client()
    member.force_login(django_user_model.objects.create(username="ada"))
    for client in (anonymous, member):
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {"email": "a@example.com", "password1": "x" * 12}).status_code == 404
        )
    assert mail.outbox == []


def test_a_password_login_is_404_and_the_login_page_sends_people_to_spotify(django_user_model):
    user = django_user_model.objects.create(username="ada")
    user.set_password("correct horse battery")
    user.save()
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "ada", "password": "correct horse battery"}
    )
    assert response.status_code == 404
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/login/")["Location"] == "/"


def test_spotify_login_and_logout_still_exist(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create(username="ada"))
    assert client.post("/accounts/logout/").status_code == 302


def _fresh_address_and_name() -> tuple[str, str]:
    """The throttle's counters live in the cache (Redis on CI), which outlives a test: each
    test uses an address and a username no other test used."""
    token = uuid.uuid4()
    return f"10.{token.int % 250}.{token.int // 250 % 250}.{token.int // 62500 % 250}", token.hex


def test_the_admin_login_is_throttled_after_repeated_failures(django_user_model, settings):
    address, name = _fresh_address_and_name()
    django_user_model.objects.create_superuser(name, password="right password 123")
    client = Client(REMOTE_ADDR=address)
    statuses = [
        client.post("/admin/login/", {"username": name, "password": f"wrong {n}"}).status_code
        for n in range(25)
    ]
    assert statuses[:5] == [200] * 5  # the form again, "please enter the correct…"
    assert set(statuses[5:]) == {429}
    # Even the right password waits now: the throttle answers before the password is checked.
    right = client.post("/admin/login/", {"username": name, "password": "right password 123"})
    assert right.status_code == 429


def test_staff_who_type_their_password_right_are_not_held_up(django_user_model):
    address, name = _fresh_address_and_name()
    django_user_model.objects.create_superuser(name, password="right password 123")
    for _ in range(8):
        client = Client(REMOTE_ADDR=address)
        response = client.post(
            "/admin/login/", {"username": name, "password": "right password 123"}
        )
        assert response.status_code == 302
