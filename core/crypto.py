"""Encryption at rest for OAuth tokens (Fernet; MultiFernet so keys can be rotated)."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Marks a stored value as ciphertext, so a value is never encrypted twice and a legacy
# plaintext value is recognised (and encrypted on its next save).
PREFIX = "enc1:"


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.TOKEN_ENCRYPTION_KEYS])


def reset_keys() -> None:
    """Forget cached keys (after the settings change, e.g. in a key-rotation test)."""
    _fernet.cache_clear()


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def encrypt(value: str) -> str:
    if not value or is_encrypted(value):
        return value
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value or not is_encrypted(value):
        return value
    try:
        return _fernet().decrypt(value.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        raise InvalidToken(
            "A stored Spotify token cannot be decrypted with TOKEN_ENCRYPTION_KEY; "
            "keep the old key in the list (new,old) until every token has been rotated"
        ) from None


def rotate(value: str) -> str:
    """Re-encrypt under the first (newest) key."""
    if not value or not is_encrypted(value):
        return encrypt(value)
    return PREFIX + _fernet().rotate(value.removeprefix(PREFIX).encode()).decode()
