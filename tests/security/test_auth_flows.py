import pytest
from django.db import connection

from sandbox.spotify.models import IssuedToken
from tests.conftest import hidden_inputs, login_through_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_tokens_are_unreadable_in_a_raw_dump_of_tunekeepers_tables(
    client, sandbox_site, sandbox_users
):
    login_through_sandbox(client, sandbox_users[0])
    issued = IssuedToken.objects.get()
    secrets = [issued.access_token, issued.refresh_token]
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            # The sandbox's tables play Spotify's own database, which does hold tokens.
            if table.startswith("sandbox_"):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # table names come from introspection
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                found += [(table, secret[:8]) for secret in secrets if secret in text]
    assert found == []


def test_a_callback_with_a_forged_state_logs_nobody_in(
    client, sandbox_site, sandbox_users, django_user_model
):
    response = client.post("/accounts/spotify/login/", {"process": "login"})
    consent = client.get(response["Location"])
    form = hidden_inputs(consent.content.decode())
    form.update(sandbox_user=str(sandbox_users[0].pk), decision="agree", state="forged-state")
    redirect = client.post(response["Location"].split("?")[0], form)
    answer = client.get(redirect["Location"], follow=True)
    assert django_user_model.objects.count() == 0
    assert not answer.wsgi_request.user.is_authenticated


def test_login_never_redirects_off_site(client, sandbox_site, sandbox_users):
    response = client.post(
        "/accounts/spotify/login/", {"process": "login", "next": "https://evil.example/steal"}
    )
    consent = client.get(response["Location"])
    form = hidden_inputs(consent.content.decode())
    form.update(sandbox_user=str(sandbox_users[0].pk), decision="agree")
    final = client.post(response["Location"].split("?")[0], form, follow=True)
    assert all("evil.example" not in url for url, _ in final.redirect_chain)
    assert final.redirect_chain[-1][0] == "/dashboard/"


def test_logout_never_redirects_off_site(client, django_user_model):
    client.force_login(django_user_model.objects.create(username="ada"))
    response = client.post("/accounts/logout/", {"next": "https://evil.example/"})
    assert "evil.example" not in response.get("Location", "")
