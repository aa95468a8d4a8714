"""State of the sandbox Spotify: its users and the tokens it has issued.

The sandbox is a separate world from Tunekeeper's own tables: it plays Spotify, so it keeps
Spotify's ids and never reads Tunekeeper's rows.
"""

import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone

ACCESS_TOKEN_SECONDS = 3600


def _base62(length: int = 22) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(length))


class SandboxUser(models.Model):
    spotify_id = models.CharField(max_length=64, unique=True)
    account_id = models.CharField(max_length=64, unique=True, default=_base62)
    display_name = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def uri(self) -> str:
        return f"spotify:user:{self.spotify_id}"


class AuthorizationCode(models.Model):
    code = models.CharField(max_length=128, unique=True)
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=128)
    redirect_uri = models.CharField(max_length=500)
    scope = models.TextField(blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"code for {self.user_id}"


class IssuedToken(models.Model):
    """An access token and the refresh token issued with it (refresh tokens rotate, single use)."""

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="tokens")
    client_id = models.CharField(max_length=128)
    access_token = models.CharField(max_length=128, unique=True)
    refresh_token = models.CharField(max_length=128, unique=True)
    scope = models.TextField(blank=True)
    expires_at = models.DateTimeField()
    refresh_used = models.BooleanField(default=False)
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token for {self.user_id}"

    @classmethod
    def issue(cls, user: SandboxUser, client_id: str, scope: str) -> "IssuedToken":
        return cls.objects.create(
            user=user,
            client_id=client_id,
            access_token="BQ" + secrets.token_urlsafe(48),
            refresh_token="AQ" + secrets.token_urlsafe(48),
            scope=scope,
            expires_at=timezone.now() + timedelta(seconds=ACCESS_TOKEN_SECONDS),
        )

    def as_response(self) -> dict:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "scope": self.scope,
            "expires_in": max(int((self.expires_at - timezone.now()).total_seconds()), 0),
            "refresh_token": self.refresh_token,
        }
