import threading

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model
from django.db import connection

from core import crypto
from sandbox.spotify.models import IssuedToken
from spotify.models import ApiCall, Connection, UserSeat, WaitlistEntry
from tests.conftest import login_through_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_through_the_sandbox_ends_on_the_dashboard_with_an_encrypted_token(
    client, sandbox_site, sandbox_users
):
    ada = sandbox_users[0]
    response = login_through_sandbox(client, ada)

    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "Hello, Ada.Lovelace" in response.content.decode()
    account = SocialAccount.objects.get(provider="spotify")
    assert account.uid == ada.account_id  # linked by the stable account_id, not the user id
    issued = IssuedToken.objects.get(user=ada)
    token = SocialToken.objects.get(account=account)
    assert token.token == issued.access_token
    assert token.token_secret == issued.refresh_token
    with connection.cursor() as cursor:
        cursor.execute("SELECT token, token_secret FROM socialaccount_socialtoken")
        raw_access, raw_refresh = cursor.fetchone()
    assert issued.access_token not in raw_access
    assert issued.refresh_token not in raw_refresh
    assert raw_access.startswith(crypto.PREFIX)
    assert UserSeat.objects.get(user=account.user).number == 1
    assert Connection.objects.filter(user=account.user).exists()
    # The login's profile read is a Spotify call like any other: in the ledger.
    login_calls = ApiCall.objects.filter(purpose="auth", endpoint="GET /me")
    assert list(login_calls.values_list("service", "status")) == [("spotify", 200)]


def test_logging_in_twice_reuses_the_account(client, sandbox_site, sandbox_users):
    login_through_sandbox(client, sandbox_users[0])
    client.post("/accounts/logout/")
    login_through_sandbox(client, sandbox_users[0])
    assert get_user_model().objects.count() == 1
    assert SocialToken.objects.count() == 1
    assert UserSeat.objects.count() == 1


def test_cancelling_on_the_consent_page_creates_nobody(client, sandbox_site, sandbox_users):
    response = login_through_sandbox(client, sandbox_users[0], decision="cancel")
    assert get_user_model().objects.count() == 0
    assert "cancel" in response.redirect_chain[-1][0]


def test_past_the_cap_people_land_on_the_waitlist_until_approved(
    client, sandbox_site, sandbox_users, settings, admin_user
):
    settings.MAX_USERS = 1
    login_through_sandbox(client, sandbox_users[0])
    client.post("/accounts/logout/")

    response = login_through_sandbox(client, sandbox_users[1])
    assert response.redirect_chain[-1][0] == "/waitlist/"
    assert "on the waitlist" in response.content.decode()
    entry = WaitlistEntry.objects.get()
    assert entry.display_name == "Grace Hopper"
    assert get_user_model().objects.filter(is_staff=False).count() == 1

    client.force_login(admin_user)
    client.post(
        "/admin/spotify/waitlistentry/",
        {"action": "approve", "_selected_action": [entry.pk]},
    )
    client.post("/accounts/logout/")
    entry.refresh_from_db()
    assert entry.approved

    response = login_through_sandbox(client, sandbox_users[1])
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert UserSeat.objects.filter(number=None).count() == 1


def test_two_simultaneous_claims_cannot_both_take_the_last_seat(settings, django_user_model):
    settings.MAX_USERS = 1
    users = [django_user_model.objects.create(username=f"racer{i}") for i in range(2)]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def claim(user):
        barrier.wait()
        try:
            UserSeat.claim(user)
            results.append("seat")
        except Exception as error:  # SeatsFull, or the database refusing the duplicate
            results.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["SeatsFull", "seat"]
    assert UserSeat.objects.count() == 1


def test_token_exchange_refuses_a_wrong_pkce_verifier(client, sandbox_site, sandbox_users):
    import requests

    response = client.post("/accounts/spotify/login/", {"process": "login"})
    authorize = response["Location"]
    consent = client.get(authorize)
    from tests.conftest import hidden_inputs

    form = hidden_inputs(consent.content.decode())
    form.update(sandbox_user=str(sandbox_users[0].pk), decision="agree")
    redirect = client.post(authorize.split("?")[0], form)
    code = redirect["Location"].split("code=")[1].split("&")[0]
    answer = requests.post(
        f"{sandbox_site.url}/sandbox-spotify/accounts/api/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": form["redirect_uri"],
            "client_id": "tunekeeper-sandbox",
            "code_verifier": "x" * 64,
        },
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "code_verifier was incorrect",
    }
