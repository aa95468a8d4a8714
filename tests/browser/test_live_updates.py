"""The tab that starts a sync sees what the sync changes: the lock banner appears while it runs
and the children table shows the outcome when it ends, without a reload (HTMX events sent by
the progress partial). The sync runs on a real Celery worker against the sandbox Spotify."""

import pytest

from sandbox.spotify.seed import seed_playlist
from sync.models import SyncEvent
from tests.browser.test_sync import logged_in
from tests.conftest import wait_for
from tests.sync.conftest import cond, connect, make_base, make_child

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_tab_that_starts_a_sync_shows_the_lock_and_then_the_new_children(
    page, sandbox_site, sandbox_users, django_user_model, monkeypatch, request
):
    grace = sandbox_users[1]
    road = seed_playlist(grace, items=40, tracks=80, name="Road Songs")
    user = connect(django_user_model, grace)
    base = make_base(user, road)
    make_child(base, "Everything old", cond("year", "gte", 1900, mod="album"))
    logged_in(page, sandbox_site, user)

    page.goto(f"{sandbox_site.url}/sync/bases/{base.pk}/")
    children = page.locator("#sync-children")
    assert "Not synced yet" in children.inner_text()
    assert page.locator("#sync-lock").inner_text().strip() == ""

    # No worker yet: the sync waits in the queue, and the lock holds from the moment it exists.
    page.get_by_role("button", name="Sync now").click()
    event = wait_for(
        lambda: SyncEvent.objects.filter(base=base).first(), timeout=15, message="the sync"
    )
    page.locator("#sync-lock", has_text="A sync is running").wait_for(timeout=15_000)
    assert page.get_by_role("button", name="Add child").is_disabled()

    monkeypatch.setenv("SANDBOX_BASE_URL", f"{sandbox_site.url}/sandbox-spotify")
    monkeypatch.setenv("SPOTIFY_CALLS_PER_SECOND", "1000")
    worker = request.getfixturevalue("celery_worker_process")

    page.locator(f"#sync-event[data-event='{event.pk}'][data-status=completed]").wait_for(
        timeout=90_000
    )
    # Same tab, no reload: the banner is gone and the table shows the run's outcome.
    page.locator("#sync-children", has_text="Created").wait_for(timeout=15_000)
    assert "Not synced yet" not in children.inner_text()
    assert "A sync is running" not in page.locator("#sync-lock").inner_text()
    assert page.get_by_role("button", name="Add child").is_enabled()
    event.refresh_from_db()
    assert event.status == "completed", event.error
    assert worker.poll() is None
