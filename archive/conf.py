"""The archive's knobs, with their defaults.

Read through `getattr(settings, …)` so an operator can set them in settings without the archive
needing a line in the shared settings module; every one has a sensible default.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def min_ms_played() -> int:
    """Plays shorter than this are not counted (Spotify's own "a play" is about 30 s)."""
    return int(getattr(settings, "ARCHIVE_MIN_MS_PLAYED", 30_000))


def upload_dir() -> Path:
    return Path(getattr(settings, "ARCHIVE_UPLOAD_DIR", settings.VAR_DIR / "uploads" / "history"))


def max_upload_bytes() -> int:
    """One upload (a zip or a few JSON files). Spotify's zips are tens of MB."""
    return int(getattr(settings, "ARCHIVE_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024))


def max_member_bytes() -> int:
    """One history file once unzipped; Spotify's are ~12 MB, so this is generous."""
    return int(getattr(settings, "ARCHIVE_MAX_MEMBER_BYTES", 256 * 1024 * 1024))


def max_total_bytes() -> int:
    """Everything in one upload once unzipped."""
    return int(getattr(settings, "ARCHIVE_MAX_TOTAL_BYTES", 4 * 1024 * 1024 * 1024))


def max_compression_ratio() -> int:
    """JSON compresses ~10:1; far past that a member is a decompression bomb, not a history."""
    return int(getattr(settings, "ARCHIVE_MAX_COMPRESSION_RATIO", 100))


def import_slice_seconds() -> float:
    """A history import works this long per task, then re-enqueues itself from its checkpoint,
    so no single task runs into Celery's time limit however big the history."""
    return float(getattr(settings, "ARCHIVE_IMPORT_SLICE_SECONDS", 240))


def poll_budget_share() -> float:
    """The share of the daily Spotify budget that hourly polling may plan to use."""
    return float(getattr(settings, "ARCHIVE_POLL_BUDGET_SHARE", 0.5))


def stats_cache_seconds() -> int:
    """How long a computed stats page is kept; it is keyed by the user's data version, so new
    plays show at once. 0 turns the cache off."""
    return int(getattr(settings, "ARCHIVE_STATS_CACHE_SECONDS", 3600))
