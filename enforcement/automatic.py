"""Automatic enforcement (opt-in per user, off by default): once a day, refresh the mirror,
plan against the blocklists and execute, with the same audit as a manual run. A blocked track
liked since yesterday is gone after the next run.

It never surprises: turning it on makes a first automatic plan that the person reviews and
approves (`approve_plan`), and only that switches it on. Later runs apply only entries the
person approved by executing a plan (new entries wait, unless they chose "apply new entries
without asking"), and skip every kept exception (what they unticked or rolled back)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q

from core import clock
from enforcement.executor import AlreadyRunning, active_batch, execute
from enforcement.keep import approve_entries
from enforcement.models import ActionBatch, BatchMode, BatchOrigin, EnforcementSettings
from enforcement.planner import plan
from ops.jobs import JobStatus
from playlists.refresh import refresh_library
from spotify.errors import SpotifyError

logger = logging.getLogger(__name__)

NOTHING_TO_REMOVE = "Nothing to remove"
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
    batch = plan(
        user, origin=BatchOrigin.AUTOMATIC, approved_only=not preferences.apply_new_entries
    )
    if not batch.total:
        batch.cancel()
        ActionBatch.objects.filter(pk=batch.pk).update(step=NOTHING_TO_REMOVE)
        return batch
    try:
        return execute(batch)
    except AlreadyRunning:
        batch.cancel()
        return None


def first_plan(user, *, apply_new_entries: bool = False) -> ActionBatch:
    """Asked to turn automatic enforcement on: the plan the person approves first (automatic
    stays off until they do)."""
    EnforcementSettings.objects.update_or_create(
        user=user, defaults={"apply_new_entries": apply_new_entries}
    )
    return plan(user, origin=BatchOrigin.AUTOMATIC)


def approve_plan(batch: ActionBatch) -> None:
    """The person executed `batch`: the entries it was made with are approved for automatic
    runs; executing a first automatic plan also switches automatic enforcement on, with
    today's run being this one."""
    approve_entries(batch.user, as_of=batch.created_at)
    if batch.origin == BatchOrigin.AUTOMATIC and not batch.is_rollback:
        EnforcementSettings.objects.update_or_create(
            user=batch.user,
            defaults={"automatic": True, "last_automatic_at": batch.executed_at or clock.now()},
        )


def automatic_runs(user, limit: int = 5):
    """The user's latest automatic runs (not plans), newest first, with their removed items
    counted, for the dashboard and the blocklist page."""
    return (
        ActionBatch.objects.filter(user=user, origin=BatchOrigin.AUTOMATIC, mode=BatchMode.ENFORCE)
        .filter(Q(dry_run=False) | Q(status=JobStatus.CANCELLED, step=NOTHING_TO_REMOVE))
        .order_by("-created_at")[:limit]
    )
