"""Build "Top 50 of the last 30 days" from Liked Songs in the browser and sync it: Liked Songs
becomes a base with one click, the template makes the child, its preview names the listening,
and a real worker syncs it against the sandbox Spotify."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction

from archive import plays as archive_plays
from archive.models import HistoryProfile, PlaySource
from core import clock
from sandbox.spotify import models as sandbox
from sandbox.spotify.seed import seed_library
from sync.models import BasePlaylist, ChildPlaylist, SyncEvent
from tests.browser.test_sync import logged_in
from tests.conftest import require_service, wait_for
from tests.sync.conftest import connect, uris_of

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_on_sandbox(sandbox_site, monkeypatch, request):
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        require_service(bool(settings.REDIS_URL), "REDIS_URL (a Redis broker for the worker)")
    monkeypatch.setenv("SANDBOX_BASE_URL", f"{sandbox_site.url}/sandbox-spotify")
    monkeypatch.setenv("SPOTIFY_CALLS_PER_SECOND", "1000")
    return request.getfixturevalue("celery_worker_process")


def test_top_50_of_the_last_30_days_from_liked_songs(
    page, sandbox_site, sandbox_users, worker_on_sandbox, django_user_model
):
    ada_sandbox = sandbox_users[0]
    seed_library(
        ada_sandbox, tracks=300, playlists=[], liked=80, saved_albums=0, followed_artists=0,
        plays=0,
    )  # fmt: skip
    user = connect(django_user_model, ada_sandbox)
    liked = [
        saved.track.spotify_id
        for saved in sandbox.SavedTrack.objects.filter(user=ada_sandbox).order_by("-added_at")
    ]
    favourites = liked[10:13]
    HistoryProfile.objects.get_or_create(user=user)
    from playlists.refresh import mirror_liked_songs
    from spotify.client import SpotifyClient

    mirror_liked_songs(user, SpotifyClient(user))  # the catalog knows the liked tracks
    with transaction.atomic():
        archive_plays.store(
            user.pk,
            [
                archive_plays.NewPlay(
                    track_id=track_id,
                    played_at=clock.now() - timedelta(days=3, minutes=7 * n + k),
                    source=PlaySource.POLL,
                    duration_ms=200_000,
                )
                for n, track_id in enumerate(favourites)
                for k in range(3 - n)
            ],
        )
    logged_in(page, sandbox_site, user)

    page.goto(f"{sandbox_site.url}/sync/")
    page.get_by_role("button", name="Use your Liked Songs as a base").click()
    base = wait_for(lambda: BasePlaylist.objects.filter(user=user).first(), message="the base")
    page.wait_for_url(f"**/sync/bases/{base.pk}/")
    page.get_by_label("Or start from a template").select_option("top_30_days")
    page.get_by_role("button", name="Make it").click()
    child = wait_for(lambda: ChildPlaylist.objects.filter(base=base).first(), message="child")
    page.wait_for_url(f"**/sync/children/{child.pk}/")
    assert page.locator("#preview-count").inner_text().startswith("3 of 80 tracks match")
    assert page.get_by_text("played 3×, 3× in the last 30 days, last 3 days ago").is_visible()

    page.get_by_role("button", name="Sync now").click()
    event = wait_for(
        lambda: SyncEvent.objects.filter(base=base).first(), timeout=15, message="the sync"
    )
    page.locator(f"#sync-event[data-event='{event.pk}'][data-status=completed]").wait_for(
        timeout=90_000
    )
    child.refresh_from_db()
    assert uris_of(child.spotify_id) == [f"spotify:track:{t}" for t in favourites]
    assert worker_on_sandbox.poll() is None
