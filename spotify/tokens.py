"""allauth's SocialToken, encrypted at rest.

allauth stores the access token in `token` and the refresh token in `token_secret`. The database
only ever holds ciphertext; every instance in memory (ours and allauth's) holds plaintext.
"""

from allauth.socialaccount.models import SocialToken
from django.db.models.signals import post_init, post_save, pre_save

from spotify import crypto

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
