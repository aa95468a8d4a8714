"""Text helpers shared by search, matching and rules."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower case without accents ("Beyoncé" → "beyonce"): what searches and matches compare."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
