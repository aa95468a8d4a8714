"""Look unmatched account-data plays up on Spotify from the import page, in the browser: a real
worker runs the search against the sandbox Spotify and the section follows it over HTMX."""

import pytest
from django.conf import settings

from archive.models import PlayEvent, UnmatchedPlay
from bench.scenarios.common import connect
from sandbox.spotify.seed import build_catalog
from tests.archive.test_search import sandbox_song, unmatched
from tests.browser.test_archive_import import logged_in
from tests.conftest import require_service, worker_process

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_look_unmatched_plays_up_on_spotify_and_watch_them_placed(
    page, sandbox_site, sandbox_users
):
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        require_service(bool(settings.REDIS_URL), "REDIS_URL (a Redis broker for the worker)")
    build_catalog(300)
    user = connect(sandbox_users[0])
    artist, title, track_id = sandbox_song(10)
    unmatched(user, artist, title, plays=3)
    unmatched(user, "Nobody Anyone Knows", "A Song Spotify Never Had", plays=2, start=20)
    logged_in(page, sandbox_site, user)

    with worker_process("history-search", site_url=sandbox_site.url):
        page.goto(sandbox_site.url + "/history/import/")
        section = page.locator("#unmatched")
        assert "5 plays of 2 songs" in section.inner_text()
        page.get_by_role("button", name="Look them up on Spotify (2 searches)").click()

        page.wait_for_url("**/history/import/#unmatched")
        section.locator(".job-status").filter(has_text="Completed").wait_for(timeout=60_000)

    text = section.inner_text()
    assert "Placed 3 plays of 1 song; 1 song had no confident match" in text
    assert "2 plays of 1 song from your account data matched no track" in text
    assert "Spotify search found no confident match for these." in text
    assert PlayEvent.objects.filter(user=user, track_id=track_id).count() == 3
    assert UnmatchedPlay.objects.filter(user=user).count() == 2
