"""Two workers refreshing one token at once, against the sandbox's accounts service, whose
refresh tokens are single-use (as Spotify's PKCE refresh tokens are)."""

import threading
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.db import connection

from core import clock
from sandbox.spotify.models import IssuedToken
from spotify import tokens
from spotify.models import ApiCall

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def test_two_workers_refreshing_one_token_make_exactly_one_refresh(
    sandbox_site, sandbox_users, django_user_model
):
    ada = sandbox_users[0]
    issued = IssuedToken.issue(ada, "tunekeeper-sandbox", "user-library-read")
    user = django_user_model.objects.create(username="ada")
    account = SocialAccount.objects.create(user=user, provider="spotify", uid=ada.account_id)
    app = SocialApp.objects.create(
        provider="spotify", name="Spotify", client_id="tunekeeper-sandbox"
    )
    SocialToken.objects.create(
        account=account,
        app=app,
        token=issued.access_token,
        token_secret=issued.refresh_token,
        expires_at=clock.now() + timedelta(seconds=30),  # inside the 120 s margin: both refresh
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        barrier.wait()
        try:
            results.append(tokens.access_token(user.pk))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(set(results)) == 1 and results[0] != issued.access_token
    assert IssuedToken.objects.filter(user=ada).count() == 2  # the original and one refresh
    assert ApiCall.objects.filter(endpoint="POST /api/token").count() == 1
    stored = SocialToken.objects.get()
    assert stored.token == results[0]
    assert stored.token_secret == IssuedToken.objects.latest("id").refresh_token  # rotated
