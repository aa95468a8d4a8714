"""Polling recently-played against exact payloads (`responses`) and a fake clock."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.conf import settings

from archive import breaker, poller
from archive.models import (
    BreakerKind,
    HistoryProfile,
    ListeningGap,
    PlayEvent,
    PollOutcome,
    PollRun,
)
from spotify.models import ApiCall
from tests.archive.factories import recently_played_payload
from tests.spotify.factories import connected_user

pytestmark = pytest.mark.django_db

URL = f"{settings.SPOTIFY_API_BASE_URL}/me/player/recently-played"
TOKEN_URL = f"{settings.SPOTIFY_ACCOUNTS_BASE_URL}/api/token"


@pytest.fixture
def ada(django_user_model, fake_clock):
    return connected_user(django_user_model, expires_in=10**7)


def slot(fake_clock, minutes=0):
    return fake_clock.now().replace(second=0, microsecond=0) + timedelta(minutes=minutes)


def sent_params(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


@responses.activate
def test_the_first_poll_stores_the_latest_plays_with_their_tracks(ada, fake_clock):
    now = fake_clock.now()
    plays = [(n, now - timedelta(minutes=4 * n + 1)) for n in range(5)]
    responses.get(URL, json=recently_played_payload(plays))

    run = poller.poll_user(ada.pk, slot(fake_clock))

    assert run.outcome == PollOutcome.OK
    assert (run.calls, run.received, run.stored) == (1, 5, 5)
    assert "after" not in sent_params(responses.calls[0])
    assert PlayEvent.objects.filter(user=ada, source="poll").count() == 5
    play = PlayEvent.objects.filter(user=ada).first()
    assert play.context_type == "playlist"
    assert play.track.album.name.startswith("Album")  # the embedded track filled the catalog
    assert not ListeningGap.objects.exists()  # nothing stored before: no gap to speak of


@responses.activate
def test_a_poll_with_nothing_new_costs_one_call(ada, fake_clock):
    now = fake_clock.now()
    responses.get(URL, json=recently_played_payload([(1, now - timedelta(minutes=3))]))
    poller.poll_user(ada.pk, slot(fake_clock))
    newest = PlayEvent.objects.get(user=ada).played_at
    responses.replace(responses.GET, URL, json=recently_played_payload([]))

    fake_clock.advance(3600)
    run = poller.poll_user(ada.pk, slot(fake_clock))

    assert (run.outcome, run.calls, run.stored) == (PollOutcome.OK, 1, 0)
    assert sent_params(responses.calls[-1])["after"] == str(int(newest.timestamp() * 1000))
    assert ApiCall.objects.filter(job_id=f"history-poll-{run.pk}").count() == 1


@responses.activate
def test_the_same_slot_polled_twice_writes_once(ada, fake_clock):
    responses.get(URL, json=recently_played_payload([(1, fake_clock.now() - timedelta(minutes=3))]))
    the_slot = slot(fake_clock)
    first = poller.poll_user(ada.pk, the_slot)
    second = poller.poll_user(ada.pk, the_slot)

    assert first is not None and second is None
    assert len(responses.calls) == 1
    assert PollRun.objects.filter(user=ada).count() == 1
    assert PlayEvent.objects.filter(user=ada).count() == 1


@responses.activate
def test_a_full_page_all_newer_than_the_cursor_records_a_gap(ada, fake_clock):
    now = fake_clock.now()
    responses.get(URL, json=recently_played_payload([(99, now - timedelta(hours=5))]))
    poller.poll_user(ada.pk, slot(fake_clock))
    cursor = PlayEvent.objects.get(user=ada).played_at

    fake_clock.advance(3600)
    page = [(n, fake_clock.now() - timedelta(minutes=3 * n + 1)) for n in range(50)]
    responses.replace(responses.GET, URL, json=recently_played_payload(page))
    run = poller.poll_user(ada.pk, slot(fake_clock))

    assert run.stored == 50
    gap = ListeningGap.objects.get(user=ada)
    assert gap.start == cursor
    assert gap.end == min(moment for _, moment in page)


@responses.activate
def test_a_page_that_is_not_full_records_no_gap(ada, fake_clock):
    now = fake_clock.now()
    responses.get(URL, json=recently_played_payload([(99, now - timedelta(hours=5))]))
    poller.poll_user(ada.pk, slot(fake_clock))
    fake_clock.advance(3600)
    page = [(n, fake_clock.now() - timedelta(minutes=3 * n + 1)) for n in range(49)]
    responses.replace(responses.GET, URL, json=recently_played_payload(page))
    poller.poll_user(ada.pk, slot(fake_clock))
    assert not ListeningGap.objects.exists()


def test_cool_downs_double_per_kind_and_stop_at_their_caps():
    minutes = {
        kind: [breaker.cool_down(kind, n).total_seconds() / 60 for n in range(1, 7)]
        for kind in BreakerKind.values
    }
    assert minutes[BreakerKind.AUTH] == [30, 60, 120, 240, 240, 240]
    assert minutes[BreakerKind.NETWORK] == [10, 20, 40, 60, 60, 60]
    assert minutes[BreakerKind.OTHER] == [20, 40, 80, 160, 180, 180]


@responses.activate
def test_the_breaker_opens_skips_doubles_and_resets(ada, fake_clock):
    # A 403 for this account only: Spotify answers, so the app-wide breaker stays out of it.
    responses.get(URL, status=403, json={"error": {"status": 403, "message": "Forbidden"}})

    first = poller.poll_user(ada.pk, slot(fake_clock))
    profile = HistoryProfile.objects.get(user=ada)
    assert first.outcome == PollOutcome.FAILED
    assert (profile.breaker_kind, profile.breaker_failures) == (BreakerKind.OTHER, 1)
    assert profile.breaker_open_until == fake_clock.now() + timedelta(minutes=20)

    calls_before = len(responses.calls)
    skipped = poller.poll_user(ada.pk, slot(fake_clock, 15))
    assert skipped.outcome == PollOutcome.COOLING_DOWN
    assert len(responses.calls) == calls_before  # a cooling-down user costs no call

    fake_clock.advance(21 * 60)
    poller.poll_user(ada.pk, slot(fake_clock, 1))
    profile.refresh_from_db()
    assert profile.breaker_failures == 2
    assert profile.breaker_open_until == fake_clock.now() + timedelta(minutes=40)
    assert "the next try" in breaker.describe(profile)

    fake_clock.advance(41 * 60)
    responses.replace(responses.GET, URL, json=recently_played_payload([]))
    ok = poller.poll_user(ada.pk, slot(fake_clock, 2))
    profile.refresh_from_db()
    assert ok.outcome == PollOutcome.OK
    assert (profile.breaker_kind, profile.breaker_failures, profile.breaker_open_until) == (
        "",
        0,
        None,
    )


@responses.activate
def test_network_and_auth_failures_have_their_own_cool_downs(ada, fake_clock):
    responses.get(URL, body=requests.ConnectionError("no route to host"))
    poller.poll_user(ada.pk, slot(fake_clock))
    profile = HistoryProfile.objects.get(user=ada)
    assert profile.breaker_kind == BreakerKind.NETWORK
    assert profile.breaker_open_until == fake_clock.now() + timedelta(minutes=10)

    # A different kind starts its own sequence: the login was revoked.
    fake_clock.advance(11 * 60)
    responses.replace(responses.GET, URL, status=401, json={"error": {"status": 401}})
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    poller.poll_user(ada.pk, slot(fake_clock, 1))
    profile.refresh_from_db()
    assert (profile.breaker_kind, profile.breaker_failures) == (BreakerKind.AUTH, 1)
    assert profile.breaker_open_until == fake_clock.now() + timedelta(minutes=30)


@responses.activate
def test_a_spotify_pause_skips_the_poll_without_blaming_the_user(ada, fake_clock):
    responses.get(
        URL,
        status=429,
        headers={"Retry-After": "50000"},
        json={"error": {"status": 429, "message": "Too many", "reason": "QUOTA_EXCEEDED"}},
    )
    run = poller.poll_user(ada.pk, slot(fake_clock))
    profile = HistoryProfile.objects.get(user=ada)
    assert run.outcome == PollOutcome.PAUSED
    assert profile.breaker_failures == 0
    assert profile.next_poll_at > fake_clock.now() + timedelta(hours=13)


def test_the_hour_is_planned_in_batches_of_50_spread_across_it(
    django_user_model, fake_clock, settings
):
    from allauth.socialaccount.models import SocialAccount

    settings.SPOTIFY_DAILY_BUDGET = 100_000  # an extended-quota app: the budget is no limit
    users = [django_user_model.objects.create(username=f"u{n}") for n in range(120)]
    SocialAccount.objects.bulk_create(
        [SocialAccount(user=u, provider="spotify", uid=f"uid{u.pk}") for u in users]
    )
    start = fake_clock.now().replace(minute=0, second=0, microsecond=0)
    fake_clock.advance((start - fake_clock.now()).total_seconds())
    HistoryProfile.objects.bulk_create([HistoryProfile(user=u) for u in users])
    HistoryProfile.objects.filter(user=users[0]).update(poll_interval_minutes=15)

    planned = poller.plan_hour()

    offsets = {u.pk: [] for u in users}
    for poll in planned:
        offsets[poll.user_id].append(int((poll.slot - start).total_seconds() // 60))
    assert offsets[users[0].pk] == [0, 15, 30, 45]  # a heavy listener: every 15 minutes
    assert offsets[users[1].pk] == [0]
    assert offsets[users[50].pk] == [20]  # second batch
    assert offsets[users[119].pk] == [40]  # third batch
    assert all(0 <= minute < 60 for minute_list in offsets.values() for minute in minute_list)


def test_users_who_need_reconnecting_are_not_planned(django_user_model, fake_clock):
    from spotify.models import Connection

    ok = connected_user(django_user_model, "ok")
    broken = connected_user(django_user_model, "broken")
    Connection.objects.filter(user=broken).update(needs_reconnect_since=fake_clock.now())
    assert {poll.user_id for poll in poller.plan_hour()} == {ok.pk}


def test_the_budget_sets_the_shortest_interval(settings):
    settings.SPOTIFY_DAILY_BUDGET = 1000
    assert poller.budget_floor_minutes(5) == 15  # 5 x 96 polls = 480 ≤ half the budget
    settings.SPOTIFY_DAILY_BUDGET = 200
    assert poller.budget_floor_minutes(5) == 120  # 100 polls a day for five people


def test_the_interval_follows_how_much_someone_listens(django_user_model, fake_clock):
    from django.db import transaction

    from archive.plays import NewPlay, store
    from tests.archive.factories import make_track

    user = connected_user(django_user_model)
    HistoryProfile.objects.create(user=user)
    now = fake_clock.now()
    assert poller.choose_interval(user.pk, 0, None, now) == poller.IDLE_INTERVAL
    track = make_track(1)
    with transaction.atomic():
        store(
            user.pk,
            [
                NewPlay(track_id=track, played_at=now - timedelta(minutes=m), source="poll")
                for m in range(0, 180, 3)
            ],
        )
    assert poller.choose_interval(user.pk, 0, None, now) == 30  # 20 plays an hour
    # Skipping through songs: 30 new plays in the 30 minutes since the last poll.
    assert poller.choose_interval(user.pk, 30, now - timedelta(minutes=30), now) == 15
    assert poller.choose_interval(user.pk, 0, None, now + timedelta(hours=4)) == 120
