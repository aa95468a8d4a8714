"""allauth's SocialToken, encrypted at rest.

allauth stores the access token in `token` and the refresh token in `token_secret`. The database
only ever holds ciphertext; every instance in memory (ours and allauth's) holds plaintext.
"""

import time
from contextlib import contextmanager
from datetime import timedelta

import requests
from allauth.socialaccount.models import SocialToken
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_init, post_save, pre_save

from core import clock, crypto
from spotify.errors import NeedsReconnect, ServerError, TransportError
from spotify.models import Connection, Purpose

TOKEN_FIELDS = ("token", "token_secret")


def _decrypt_fields(instance: SocialToken) -> None:
    for field in TOKEN_FIELDS:
        setattr(instance, field, crypto.decrypt(getattr(instance, field) or ""))


def _on_init(sender, instance: SocialToken, **kwargs) -> None:
    _decrypt_fields(instance)


def _before_save(sender, instance: SocialToken, **kwargs) -> None:
    for field in TOKEN_FIELDS:
        setattr(instance, field, crypto.encrypt(getattr(instance, field) or ""))


def _after_save(sender, instance: SocialToken, **kwargs) -> None:
    _decrypt_fields(instance)


def connect_encryption() -> None:
    post_init.connect(_on_init, sender=SocialToken, dispatch_uid="tk-token-decrypt")
    pre_save.connect(_before_save, sender=SocialToken, dispatch_uid="tk-token-encrypt")
    post_save.connect(_after_save, sender=SocialToken, dispatch_uid="tk-token-restore")


def rotate_all_tokens() -> int:
    """Re-encrypt every stored token under the newest key; returns how many rows changed."""
    changed = 0
    for row in SocialToken.objects.values("pk", *TOKEN_FIELDS).iterator():
        updates = {field: crypto.rotate(row[field]) for field in TOKEN_FIELDS}
        if any(updates[field] != row[field] for field in TOKEN_FIELDS):
            SocialToken.objects.filter(pk=row["pk"]).update(**updates)
            changed += 1
    return changed


# --- access tokens for the gateway --------------------------------------------------------------

REFRESH_MARGIN = timedelta(seconds=120)
TOKEN_ENDPOINT = "POST /api/token"
REFRESH_LOCK_WAIT_SECONDS = 20


def _spotify_token_row(user_id: int) -> SocialToken:
    try:
        return SocialToken.objects.select_related("account").get(
            account__user_id=user_id, account__provider="spotify"
        )
    except SocialToken.DoesNotExist:
        raise NeedsReconnect("no Spotify token stored for this user") from None


def _fresh(token: SocialToken) -> bool:
    return token.expires_at is None or token.expires_at - clock.now() > REFRESH_MARGIN


def access_token(user_id: int, *, force: bool = False, stale: str | None = None) -> str:
    """A valid access token for the user, refreshed ~2 minutes before it expires.

    The refresh runs under a lock, so two workers never refresh the same token: the second one
    waits, then finds the fresh token the first stored. `force` (after a 401) refreshes unless
    another worker already replaced the `stale` token.
    """
    token = _spotify_token_row(user_id)
    if not force and _fresh(token):
        return token.token
    revoked: NeedsReconnect | None = None
    with _refresh_lock(token.pk) as locked:
        if force and stale is not None and locked.token != stale:
            return locked.token
        if not force and _fresh(locked):
            return locked.token
        try:
            return _refresh(user_id, locked)
        except NeedsReconnect as error:
            # Leave the lock normally, so its transaction keeps the ledger row of this call.
            revoked = error

    connection, _ = Connection.objects.get_or_create(user_id=user_id)
    connection.mark_needs_reconnect(str(revoked))
    raise revoked


@contextmanager
def _refresh_lock(token_pk: int):
    """PostgreSQL: a row lock on the token. SQLite has no row locks and its write lock would
    also block the sandbox's own token endpoint in the same file, so there a short-lived cache
    lock serialises refreshes instead, with no transaction held open across the HTTP call."""
    if connection.features.has_select_for_update:
        with transaction.atomic():
            yield SocialToken.objects.select_for_update().get(pk=token_pk)
        return
    key = f"spotify:token-refresh:{token_pk}"
    deadline = time.monotonic() + REFRESH_LOCK_WAIT_SECONDS
    while not cache.add(key, 1, timeout=60):
        if time.monotonic() > deadline:
            raise TransportError(
                "another worker's token refresh did not finish", endpoint=TOKEN_ENDPOINT
            )
        time.sleep(0.05)  # a short wait for the other worker's refresh (one HTTP call)
    try:
        yield SocialToken.objects.get(pk=token_pk)
    finally:
        cache.delete(key)


def _refresh(user_id: int, locked: SocialToken) -> str:
    from spotify.http import CallContext, record, session  # local: spotify.http imports tokens

    if not locked.token_secret:
        raise NeedsReconnect("no refresh token stored", endpoint=TOKEN_ENDPOINT)
    data = {"grant_type": "refresh_token", "refresh_token": locked.token_secret}
    auth = None
    if settings.SPOTIFY_CLIENT_SECRET:
        auth = (settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET)
    else:
        data["client_id"] = settings.SPOTIFY_CLIENT_ID  # PKCE without a secret
    context = CallContext(user_id=user_id, purpose=Purpose.AUTH)
    started = clock.monotonic()
    try:
        response = session().post(
            f"{settings.SPOTIFY_ACCOUNTS_BASE_URL}/api/token",
            data=data,
            auth=auth,
            timeout=(5, settings.SPOTIFY_TIMEOUT_SECONDS),
        )
    except (requests.Timeout, requests.ConnectionError) as error:
        record(context, "POST", TOKEN_ENDPOINT, 0, started, app="accounts")
        raise TransportError(
            "Spotify's token service did not answer", endpoint=TOKEN_ENDPOINT
        ) from error
    record(context, "POST", TOKEN_ENDPOINT, response.status_code, started, app="accounts")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 400 and body.get("error") == "invalid_grant":
        reason = body.get("error_description") or "invalid_grant"
        raise NeedsReconnect(f"Spotify needs reconnecting: {reason}", endpoint=TOKEN_ENDPOINT)
    if response.status_code != 200 or "access_token" not in body:
        raise ServerError(
            f"token refresh failed with {response.status_code}",
            status=response.status_code,
            endpoint=TOKEN_ENDPOINT,
        )
    locked.token = body["access_token"]
    locked.expires_at = clock.now() + timedelta(seconds=int(body.get("expires_in", 3600)))
    if body.get("refresh_token"):
        locked.token_secret = body["refresh_token"]  # rotated: the old one no longer works
    locked.save(update_fields=["token", "token_secret", "expires_at"])
    return locked.token
