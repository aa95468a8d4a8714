"""Retention: old ledger rows fold into daily rollups without changing a number on the usage
page; finished jobs and their items go after the rollback window, live ones never."""

import re
from datetime import timedelta

import pytest

from config.retention import apply_retention
from core import clock
from enforcement.models import ActionBatch, ActionItem, ItemKind
from ops.jobs import JobStatus
from playlists.models import LibraryRefresh, Playlist, PlaylistReadPage
from spotify import state, usage
from spotify.models import ApiCall, ApiCallDay, Purpose

pytestmark = pytest.mark.django_db


def ledger(at, *, user=None, purpose=Purpose.LIBRARY, status=200, app=None, count=1):
    ApiCall.objects.bulk_create(
        ApiCall(
            at=at,
            app=app or state.app_id(),
            user=user,
            method="GET",
            endpoint="GET /me/tracks",
            status=status,
            duration_ms=30,
            purpose=purpose,
        )
        for _ in range(count)
    )


@pytest.fixture
def history(django_user_model):
    """Calls over 200 days by two people and nobody, several purposes, some 429s, and another
    service's calls."""
    ada = django_user_model.objects.create(username="ada")
    bob = django_user_model.objects.create(username="bob")
    now = clock.now()
    for days_ago in (199, 150, 120, 95, 91, 90, 89, 30, 1, 0):
        at = now - timedelta(days=days_ago, hours=3)
        ledger(at, user=ada, count=3 + days_ago % 4)
        ledger(at, user=bob, purpose=Purpose.SYNC, count=2)
        ledger(at + timedelta(minutes=5), user=None, purpose=Purpose.ENFORCEMENT, status=429)
        ledger(at, user=ada, app="musicbrainz", purpose=Purpose.LIBRARY, count=4)
    return ada, bob


def calls_per_day_table(html: str) -> str:
    return re.search(r"<h2>Calls per day</h2>.*?</table>", html, flags=re.S).group(0)


def test_folding_leaves_the_usage_page_totals_identical(client, history, settings):
    ada, bob = history
    settings.LEDGER_RETENTION_DAYS = 90
    client.force_login(ada)
    before = usage.summary(days=365)
    page_before = calls_per_day_table(client.get("/activity/spotify/?days=365").content.decode())
    old = ApiCall.objects.filter(at__lt=clock.now() - timedelta(days=91)).count()
    assert old > 0

    result = apply_retention(batch=7)  # small batches: the fold is spread over many

    assert result.folded_calls >= old
    assert not ApiCall.objects.filter(at__lt=clock.now() - timedelta(days=91)).exists()
    assert ApiCall.objects.filter(at__gte=clock.now() - timedelta(days=89)).exists()
    after = usage.summary(days=365)
    assert after.per_day == before.per_day
    assert after.purposes == before.purposes
    page_after = calls_per_day_table(client.get("/activity/spotify/?days=365").content.decode())
    assert page_after == page_before
    # Per service and per user: MusicBrainz's calls have their own rollups, and each person's.
    assert ApiCallDay.objects.filter(app="musicbrainz").exists()
    assert ApiCallDay.objects.filter(user=bob, purpose=Purpose.SYNC).exists()
    assert ApiCallDay.objects.filter(user__isnull=True, limited__gt=0).exists()
    folded_ada = sum(
        ApiCallDay.objects.filter(user=ada, app=state.app_id()).values_list("calls", flat=True)
    )
    assert folded_ada == sum(3 + d % 4 for d in (199, 150, 120, 95, 91))

    assert apply_retention().folded_calls == 0  # nothing left to fold; totals still the same
    assert usage.summary(days=365).per_day == before.per_day


def test_the_usage_page_refuses_a_bad_number_of_days(client, django_user_model):
    client.force_login(django_user_model.objects.create(username="ada"))
    for days in ("0", "-3", "lots", "99999"):
        response = client.get("/activity/spotify/", {"days": days})
        assert response.status_code == 400
        assert "days must be a whole number" in response.content.decode()


def test_finished_jobs_go_after_the_rollback_window_and_live_ones_stay(django_user_model, settings):
    settings.ROLLBACK_DAYS = 30
    ada = django_user_model.objects.create(username="ada")
    now = clock.now()
    long_ago, lately = now - timedelta(days=31), now - timedelta(days=29)

    def refresh(status, finished_at):
        return LibraryRefresh.objects.create(user=ada, status=status, finished_at=finished_at)

    gone = [refresh(JobStatus.COMPLETED, long_ago), refresh(JobStatus.FAILED, long_ago)]
    kept = [refresh(JobStatus.COMPLETED, lately), refresh(JobStatus.PAUSED, long_ago)]
    old_batch = ActionBatch.objects.create(
        user=ada, dry_run=False, status=JobStatus.COMPLETED, finished_at=long_ago
    )
    ActionItem.objects.bulk_create(
        ActionItem(batch=old_batch, kind=ItemKind.LIKED_TRACK, uri=f"spotify:track:{n:022d}")
        for n in range(5)
    )
    # An old batch whose rollback finished lately: still undoable through the rollback, kept.
    rolled_back = ActionBatch.objects.create(
        user=ada, dry_run=False, status=JobStatus.COMPLETED, finished_at=long_ago
    )
    ActionBatch.objects.create(
        user=ada, parent=rolled_back, dry_run=False, status=JobStatus.COMPLETED, finished_at=lately
    )

    result = apply_retention(batch=1)

    assert result.pruned_jobs == 3
    assert not LibraryRefresh.objects.filter(pk__in=[job.pk for job in gone]).exists()
    assert LibraryRefresh.objects.filter(pk__in=[job.pk for job in kept]).count() == 2
    assert not ActionBatch.objects.filter(pk=old_batch.pk).exists()
    assert not ActionItem.objects.filter(batch_id=old_batch.pk).exists()
    assert ActionBatch.objects.filter(pk=rolled_back.pk).exists()
    assert ActionBatch.objects.filter(parent=rolled_back).exists()


def test_a_read_checkpoint_nothing_resumed_for_a_week_is_dropped(django_user_model):
    ada = django_user_model.objects.create(username="ada")
    now = clock.now()
    playlists = [
        Playlist.objects.create(user=ada, spotify_id=f"p{n}", name=f"P{n}", listed_at=now)
        for n in range(2)
    ]
    for playlist in playlists:
        PlaylistReadPage.objects.create(playlist=playlist, snapshot_id="s", offset=0, rows=[])
    PlaylistReadPage.objects.filter(playlist=playlists[0]).update(
        created_at=now - timedelta(days=8)
    )

    assert apply_retention().pruned_checkpoints == 1
    assert list(PlaylistReadPage.objects.values_list("playlist", flat=True)) == [playlists[1].pk]
