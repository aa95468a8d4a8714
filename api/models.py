import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


def hash_token(raw: str) -> str:
    # The token carries 256 random bits, so a plain SHA-256 is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the token is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)  # shown in lists, so people can tell tokens apart
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def create(cls, user, name: str, scope: str) -> tuple["ApiToken", str]:
        raw = "tk_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name[:100], prefix=raw[:10], token_hash=hash_token(raw), scope=scope
        )
        return token, raw

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.WRITE

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class IdempotentRequest(models.Model):
    """A write sent with an Idempotency-Key: the same key and body from the same user get the
    first answer again instead of doing the work again; another body is refused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    operation = models.CharField(max_length=50)
    object_id = models.PositiveBigIntegerField()
    # sha256 of the canonical body: the same key with another body is refused (422).
    fingerprint = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # the first answer's
    response = models.JSONField(null=True, blank=True)  # the first answer's body, replayed
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "operation", "key"], name="idempotency_key_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key} → {self.object_id}"
