"""Polling end to end against the sandbox Spotify: real HTTP, real tokens, Spotify's shapes."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from archive import poller
from archive.models import ListeningGap, PlayEvent, PollOutcome
from core import clock
from sandbox.spotify.models import Play, Track
from sandbox.spotify.seed import seed_library
from spotify.models import ApiCall
from tests.conftest import login_through_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def next_slot(minutes: int):
    return clock.now().replace(second=0, microsecond=0) + timedelta(minutes=minutes)


def test_polls_against_the_sandbox_store_plays_cost_one_call_when_idle_and_find_gaps(
    client, sandbox_site, sandbox_users
):
    ada = sandbox_users[0]
    seed_library(
        ada, tracks=80, playlists=[], liked=0, saved_albums=0, followed_artists=0, plays=30
    )
    login_through_sandbox(client, ada)
    user = get_user_model().objects.get()

    first = poller.poll_user(user.pk, next_slot(1))
    assert (first.outcome, first.calls, first.stored) == (PollOutcome.OK, 1, 30)
    assert PlayEvent.objects.filter(user=user).count() == 30

    idle = poller.poll_user(user.pk, next_slot(2))
    assert (idle.outcome, idle.calls, idle.stored) == (PollOutcome.OK, 1, 0)
    assert ApiCall.objects.filter(job_id=f"history-poll-{idle.pk}").count() == 1

    # 70 plays since the last poll: more than Spotify keeps, so some are out of reach.
    newest = PlayEvent.objects.filter(user=user).order_by("-played_at").first().played_at
    tracks = list(Track.objects.all()[:70])
    Play.objects.bulk_create(
        [
            Play(user=ada, track=track, played_at=newest + timedelta(minutes=3 * (n + 1)))
            for n, track in enumerate(tracks)
        ]
    )
    busy = poller.poll_user(user.pk, next_slot(3))
    assert (busy.calls, busy.received, busy.stored) == (1, 50, 50)
    gap = ListeningGap.objects.get(user=user)
    assert gap.start == newest
    assert gap.end == newest + timedelta(minutes=3 * 21)  # the oldest of the 50 newest
