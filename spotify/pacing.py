"""Pacing per Spotify app, on the kit's shared slot scheduler (core.pacing).

Spotify's own policy on top of it: the pace is `SPOTIFY_CALLS_PER_SECOND` per Spotify app
(shared by every worker and web process), slowed by the *level* after a rate-limit 429 and
recovering step by step on success; interactive calls (a person is waiting) take their own lane.
"""

from __future__ import annotations

from django.conf import settings

from core import pacing

MAX_LEVEL = pacing.MAX_LEVEL
# A slot further ahead than this is not waited for: the caller gives its slot up and pauses.
MAX_BACKLOG_SECONDS = 30.0


def level(app: str) -> float:
    return pacing.level(app)


def slow_down(app: str) -> None:
    """A rate-limit 429 came back: halve the pace."""
    pacing.slow_down(app)


def recover(app: str) -> None:
    """A call went through: creep back towards the configured pace."""
    pacing.recover(app)


def interval(app: str) -> float:
    return level(app) / settings.SPOTIFY_CALLS_PER_SECOND


def reserve(app: str, *, interactive: bool) -> float:
    """Reserve the next send slot; returns how many seconds to wait for it."""
    return pacing.reserve(app, interval(app), interactive=interactive)


def reset(app: str) -> None:
    """Forget the schedule and level (tests, or an operator after an outage)."""
    pacing.reset(app)
