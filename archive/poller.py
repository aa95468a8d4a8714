"""Polling "recently played": plan the hour's polls, then poll one user for one slot.

Spotify keeps only a user's ~50 most recent plays, so the archive must look often enough that
nothing falls off the end — and every call is precious (DESIGN.md). So:

- Each poll asks for plays `after` the newest stored play: with nothing new, one call returns
  an empty page and that is the poll's whole cost. Tracks arrive embedded; nothing else is read.
- An hourly beat task plans the next hour: users in batches of 50, each batch at its own
  offset into the hour, each user at their own interval (15 minutes for people who play a lot,
  up to 2 hours for idle ones), never more often than the budget share allows.
- Each (user, slot) is claimed with a unique PollRun row, so a slot delivered twice polls once.
- A full page of plays that are all newer than the cursor means some may have been lost: the
  stretch is recorded as a ListeningGap and the History page suggests importing the export.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from archive import breaker, conf, plays
from archive.models import (
    HistoryProfile,
    ListeningGap,
    PlayEvent,
    PlaySource,
    PollOutcome,
    PollRun,
)
from core import clock
from playlists.catalog import CatalogWriter
from spotify.client import SpotifyClient
from spotify.errors import Paused, SpotifyError
from spotify.models import ApiCall, Connection, Purpose

logger = logging.getLogger(__name__)

PAGE_LIMIT = 50
BATCH_SIZE = 50
HOUR = timedelta(hours=1)
INTERVALS = (15, 20, 30, 60, 120)  # minutes; those under an hour divide it evenly
IDLE_INTERVAL = 120
# Poll often enough that about this many plays happen between polls: a fifth of the page, so
# a burst of skipping or a late poll still fits in Spotify's 50.
PLAYS_PER_POLL = 10
RATE_WINDOW = timedelta(hours=3)


@dataclass(frozen=True)
class PlannedPoll:
    user_id: int
    slot: datetime


def pollable_user_ids() -> list[int]:
    """Users with a Spotify login that works and polling on."""
    connected = set(
        SocialAccount.objects.filter(provider="spotify").values_list("user_id", flat=True)
    )
    broken = set(
        Connection.objects.filter(needs_reconnect_since__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    disabled = set(
        HistoryProfile.objects.filter(polling_enabled=False).values_list("user_id", flat=True)
    )
    return sorted(connected - broken - disabled)


def budget_floor_minutes(user_count: int) -> int:
    """The shortest interval the budget allows when every user polls that often."""
    allowed_per_day = conf.poll_budget_share() * settings.SPOTIFY_DAILY_BUDGET
    if user_count <= 0 or allowed_per_day <= 0:
        return INTERVALS[0]
    minutes = math.ceil(1440 * user_count / allowed_per_day)
    for interval in INTERVALS:
        if interval >= minutes:
            return interval
    return max(minutes, INTERVALS[-1])


def plan_hour(now: datetime | None = None) -> list[PlannedPoll]:
    """The polls of the hour starting now: batches of 50 users spread across the hour."""
    now = (now or clock.now()).replace(second=0, microsecond=0)
    user_ids = pollable_user_ids()
    if not user_ids:
        return []
    existing = set(HistoryProfile.objects.values_list("user_id", flat=True))
    HistoryProfile.objects.bulk_create(
        [HistoryProfile(user_id=user_id) for user_id in user_ids if user_id not in existing],
        ignore_conflicts=True,
    )
    profiles = {
        p.user_id: p for p in HistoryProfile.objects.filter(user_id__in=user_ids).order_by()
    }
    floor = budget_floor_minutes(len(user_ids))
    batches = [user_ids[i : i + BATCH_SIZE] for i in range(0, len(user_ids), BATCH_SIZE)]
    spacing = HOUR / len(batches)
    end = now + HOUR
    planned: list[PlannedPoll] = []
    for number, batch in enumerate(batches):
        batch_start = now + spacing * number
        for user_id in batch:
            profile = profiles[user_id]
            interval = timedelta(minutes=max(profile.poll_interval_minutes, floor))
            slot = batch_start
            if profile.next_poll_at and profile.next_poll_at > slot:
                slot = profile.next_poll_at.replace(second=0, microsecond=0)
            while slot < end:
                planned.append(PlannedPoll(user_id, slot))
                slot += interval
    return planned


def newest_play(user_id: int) -> datetime | None:
    return PlayEvent.objects.filter(user_id=user_id).aggregate(newest=Max("played_at"))["newest"]


def choose_interval(user_id: int, new_plays: int, since: datetime | None, now: datetime) -> int:
    """Minutes until the next poll, from how much this person listens right now.

    The rate is the higher of the last three hours' and what this poll found since the one
    before, so a binge shortens the interval at once and a quiet evening lengthens it."""
    recent = PlayEvent.objects.filter(
        user_id=user_id, played_at__gte=now - RATE_WINDOW, played_at__lte=now
    ).count()
    per_minute = recent / (RATE_WINDOW.total_seconds() / 60)
    if since is not None and new_plays:
        minutes = max((now - since).total_seconds() / 60, 1)
        per_minute = max(per_minute, new_plays / minutes)
    if per_minute <= 0:
        return IDLE_INTERVAL
    wanted = PLAYS_PER_POLL / per_minute
    fitting = [interval for interval in INTERVALS if interval <= wanted]
    return fitting[-1] if fitting else INTERVALS[0]


def poll_user(user_id: int, slot: datetime, *, interactive: bool = False) -> PollRun | None:
    """Poll one user for one planned slot; None when that slot was already polled.
    `interactive`: a person asked for it (Check now) and waits; it takes the interactive lane."""
    now = clock.now()
    try:
        with transaction.atomic():
            run = PollRun.objects.create(user_id=user_id, slot=slot, started_at=now)
    except IntegrityError:
        return None
    profile = HistoryProfile.for_user(user_id)
    if breaker.is_open(profile, now):
        return _finish(run, PollOutcome.COOLING_DOWN, error=profile.breaker_error)

    cursor = newest_play(user_id)
    after_ms = int(cursor.timestamp() * 1000) if cursor else None
    client = SpotifyClient(
        user_id,
        purpose=Purpose.ARCHIVE,
        job_id=f"history-poll-{run.pk}",
        interactive=interactive,
    )
    try:
        page = client.recently_played(after_ms=after_ms, limit=PAGE_LIMIT)
    except Paused as error:
        # The whole app waits (quota, rate limit, budget): not this user's fault, no breaker.
        HistoryProfile.objects.filter(pk=profile.pk).update(next_poll_at=error.until)
        return _finish(run, PollOutcome.PAUSED, calls=_calls(run), error=str(error))
    except SpotifyError as error:
        until = breaker.record_failure(profile, error)
        HistoryProfile.objects.filter(pk=profile.pk).update(next_poll_at=until)
        logger.info("poll failed for user %s: %s", user_id, error)
        return _finish(run, PollOutcome.FAILED, calls=_calls(run), error=str(error))

    writer = CatalogWriter(now=now)
    new = []
    for play in page.plays:
        track_id = writer.add_track(play.track)
        if track_id is None:
            continue  # a local file: no catalog row to point at
        new.append(
            plays.NewPlay(
                track_id=track_id,
                played_at=play.played_at,
                source=PlaySource.POLL,
                duration_ms=play.track.duration_ms,
                context_type=(play.context_type or "")[:16],
                context_uri=(play.context_uri or "")[:200],
            )
        )
    with transaction.atomic():
        writer.flush()
        stored = plays.store(user_id, new)
        if (
            cursor is not None
            and len(page.plays) >= PAGE_LIMIT
            and all(play.played_at > cursor for play in page.plays)
        ):
            ListeningGap.objects.get_or_create(
                user_id=user_id,
                end=min(play.played_at for play in page.plays),
                defaults={"start": cursor, "detected_at": now},
            )
    breaker.record_success(profile)
    interval = choose_interval(user_id, len(stored), profile.last_polled_at, now)
    HistoryProfile.objects.filter(pk=profile.pk).update(
        poll_interval_minutes=interval,
        next_poll_at=slot + timedelta(minutes=interval),
        last_polled_at=now,
        last_poll_new=len(stored),
    )
    return _finish(
        run, PollOutcome.OK, calls=_calls(run), received=len(page.plays), stored=len(stored)
    )


# Check now: one check a minute is plenty (Spotify keeps the last 50 plays), and a held-down
# button must not spend the household's calls.
CHECK_NOW_SPACING = timedelta(minutes=1)


def check_now_slot(user_id: int, now: datetime | None = None) -> datetime | None:
    """The slot for a check a person asked for now, or None when one ran or was asked for less
    than a minute ago. A slot is a whole minute, so PollRun's (user, slot) uniqueness also keeps
    two clicks in one minute to one check."""
    now = now or clock.now()
    if PollRun.objects.filter(user_id=user_id, started_at__gt=now - CHECK_NOW_SPACING).exists():
        return None
    return now.replace(second=0, microsecond=0)


def _calls(run: PollRun) -> int:
    return ApiCall.objects.filter(job_id=f"history-poll-{run.pk}").count()


def _finish(run: PollRun, outcome: str, **fields) -> PollRun:
    fields["error"] = fields.get("error", "")[:300]
    for name, value in {"outcome": outcome, "finished_at": clock.now(), **fields}.items():
        setattr(run, name, value)
    run.save()
    return run
