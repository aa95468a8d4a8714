"""Automatic enforcement (opt-in per user, off by default): once a day, refresh the mirror,
plan against the blocklists and execute, with the same audit as a manual run. A blocked track
liked since yesterday is gone after the next run."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q

from core import clock
from enforcement.executor import AlreadyRunning, active_batch, execute
from enforcement.models import ActionBatch, BatchOrigin, EnforcementSettings
from enforcement.planner import plan
from playlists.refresh import refresh_library
from spotify.errors import SpotifyError

logger = logging.getLogger(__name__)

# "Daily", with an hour of slack so a run never drifts later day by day.
INTERVAL = timedelta(hours=23)


def due_users() -> list[int]:
    cutoff = clock.now() - INTERVAL
    return list(
        EnforcementSettings.objects.filter(automatic=True)
        .filter(Q(last_automatic_at__isnull=True) | Q(last_automatic_at__lt=cutoff))
        .values_list("user_id", flat=True)
    )


def run_automatic(user) -> ActionBatch | None:
    """One automatic run for `user`; None when it is not due, not wanted, or Spotify is away."""
    preferences = EnforcementSettings.objects.filter(user=user, automatic=True).first()
    if preferences is None or active_batch(user) is not None:
        return None
    previous = preferences.last_automatic_at
    cutoff = clock.now() - INTERVAL
    if previous is not None and previous >= cutoff:
        return None
    # Claim today's run: two sweeps (or workers) cannot both start it.
    claimed = EnforcementSettings.objects.filter(
        pk=preferences.pk, last_automatic_at=previous
    ).update(last_automatic_at=clock.now())
    if not claimed:
        return None
    try:
        refresh_library(user)
    except SpotifyError as error:
        # Paused, reconnect needed, Spotify down: try again at the next sweep.
        EnforcementSettings.objects.filter(pk=preferences.pk).update(last_automatic_at=previous)
        logger.info("automatic enforcement for %s postponed: %s", user.pk, error)
        return None
    batch = plan(user, origin=BatchOrigin.AUTOMATIC)
    if not batch.total:
        batch.cancel()
        ActionBatch.objects.filter(pk=batch.pk).update(step="Nothing to remove")
        return batch
    try:
        return execute(batch)
    except AlreadyRunning:
        batch.cancel()
        return None
