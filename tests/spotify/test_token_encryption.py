import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection

from core import crypto
from spotify import tokens


@pytest.fixture
def stored_token(db, django_user_model):
    user = django_user_model.objects.create(username="ada")
    account = SocialAccount.objects.create(user=user, provider="spotify", uid="acct-ada")
    app = SocialApp.objects.create(provider="spotify", name="Spotify", client_id="c")
    return SocialToken.objects.create(
        account=account, app=app, token="access-plain", token_secret="refresh-plain"
    )


def raw_columns() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token, token_secret FROM socialaccount_socialtoken")
        return cursor.fetchone()


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    crypto.reset_keys()
    yield old, new
    crypto.reset_keys()


def test_the_database_holds_ciphertext_and_instances_hold_plaintext(keys, stored_token):
    raw_access, raw_refresh = raw_columns()
    assert "access-plain" not in raw_access and "refresh-plain" not in raw_refresh
    assert stored_token.token == "access-plain"  # still usable after save
    fresh = SocialToken.objects.get(pk=stored_token.pk)
    assert (fresh.token, fresh.token_secret) == ("access-plain", "refresh-plain")


def test_saving_a_loaded_token_does_not_encrypt_twice(keys, stored_token):
    fresh = SocialToken.objects.get(pk=stored_token.pk)
    fresh.save()
    assert SocialToken.objects.get(pk=stored_token.pk).token == "access-plain"


def test_keys_can_be_rotated(keys, settings, stored_token):
    old, new = keys
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    crypto.reset_keys()
    assert SocialToken.objects.get(pk=stored_token.pk).token == "access-plain"
    assert tokens.rotate_all_tokens() == 1

    settings.TOKEN_ENCRYPTION_KEYS = [new]
    crypto.reset_keys()
    assert SocialToken.objects.get(pk=stored_token.pk).token_secret == "refresh-plain"

    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key()]
    crypto.reset_keys()
    with pytest.raises(InvalidToken, match="TOKEN_ENCRYPTION_KEY"):
        SocialToken.objects.get(pk=stored_token.pk)
