"""Edit a child's rule in the browser, watch the preview follow, save, press Sync and watch the
progress bar finish. The sync runs where it runs in production: a real Celery worker picks it
up from the broker and talks to the sandbox Spotify."""

import re

import pytest
from django.conf import settings
from django.test import Client

from sandbox.spotify.seed import seed_playlist
from sync.engine import sync_base
from sync.models import ChildPlaylist, SyncEvent
from sync.preview import wanted_uris
from tests.conftest import wait_for
from tests.sync.conftest import cond, connect, make_base, make_child, uris_of

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_on_sandbox(sandbox_site, monkeypatch, request):
    # The worker is another process: it learns where the sandbox is from its environment.
    monkeypatch.setenv("SANDBOX_BASE_URL", f"{sandbox_site.url}/sandbox-spotify")
    monkeypatch.setenv("SPOTIFY_CALLS_PER_SECOND", "1000")
    return request.getfixturevalue("celery_worker_process")


def logged_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def count_in(text: str) -> tuple[int, int]:
    found = re.search(r"([\d,]+) of ([\d,]+) tracks match", text)
    assert found, text
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def test_edit_a_rule_see_the_preview_change_sync_and_watch_the_progress_finish(
    page, sandbox_site, sandbox_users, worker_on_sandbox, django_user_model
):
    grace = sandbox_users[1]
    road = seed_playlist(grace, items=160, tracks=400, name="Road Songs")
    user = connect(django_user_model, grace)
    base = make_base(user, road)
    child = make_child(base, "Recent", cond("year", "gte", 1900, mod="album"))
    first, _ = sync_base(base)  # the first sync mirrors the base (and creates the child)
    assert first.status == "completed", first.error
    logged_in(page, sandbox_site, user)

    page.goto(f"{sandbox_site.url}/sync/children/{child.pk}/")
    preview = page.locator("#preview-count")
    matched, total = count_in(preview.inner_text())
    assert matched == total > 0

    value = page.get_by_label("Condition r.0: value")
    value.fill("2015")
    page.wait_for_function(
        "([before]) => !document.querySelector('#preview-count').innerText.startsWith(before)",
        arg=[f"{matched} of"],
        timeout=15_000,
    )
    now_matched, now_total = count_in(preview.inner_text())
    assert now_total == total and 0 < now_matched < matched
    assert page.get_by_text("album release year ≥ 2015").first.is_visible()

    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/sync/children/{child.pk}/")
    assert page.get_by_text("Saved “Recent”").is_visible()
    child.refresh_from_db()
    assert child.rules["rules"][0]["value"] == 2015

    page.get_by_role("button", name="Sync now").click()
    event = wait_for(
        lambda: SyncEvent.objects.filter(base=base, trigger="manual").first(),
        timeout=15,
        message="the sync event",
    )
    shown = page.locator(f"#sync-event[data-event='{event.pk}']")
    shown.wait_for(timeout=15_000)  # the new run's progress replaced the last run's
    page.locator(f"#sync-event[data-event='{event.pk}'][data-status=completed]").wait_for(
        timeout=90_000
    )
    assert shown.locator("progress").get_attribute("value") == "100"
    assert shown.locator(".job-status").inner_text() == "Completed"
    assert shown.get_by_role("cell", name="Recent").is_visible()  # the run's per-child stats

    event.refresh_from_db()
    assert event.status == "completed", event.error
    assert event.stats["children"][str(child.pk)]["removed"] == matched - now_matched
    child = ChildPlaylist.objects.get(pk=child.pk)
    assert uris_of(child.spotify_id) == wanted_uris(child)
    assert len(uris_of(child.spotify_id)) == now_matched
    assert worker_on_sandbox.poll() is None


def preview_says(page, start: str) -> None:
    """Wait for the preview's count (absent while a rule is incomplete) to start with `start`."""
    page.wait_for_function(
        """(start) => {
            const count = document.querySelector("#preview-count");
            return count !== null && count.innerText.startsWith(start);
        }""",
        arg=start,
        timeout=15_000,
    )


def htmx_ready(page, name: str) -> None:
    """Wait until the editor's redrawn field `name` exists and htmx has wired it up."""
    page.wait_for_function(
        """(name) => {
            const element = document.querySelector(`[name="${name}"]`);
            return element !== null && element["htmx-internal-data"] !== undefined;
        }""",
        arg=name,
        timeout=15_000,
    )


def test_add_a_group_and_a_condition_and_change_what_it_compares(
    page, live_server, django_user_model
):
    from tests.sync.factories import catalog_track, mirrored_playlist, owned_base, owned_child

    user = django_user_model.objects.create(username="ada")
    tracks = [
        catalog_track("Clean", explicit=False, year=1990),
        catalog_track("Rude", explicit=True, year=1991),
        catalog_track("Old", explicit=False, year=1970),
    ]
    child = owned_child(None, owned_base(user, mirrored_playlist(user, tracks)))
    logged_in(page, live_server, user)
    page.goto(f"{live_server.url}/sync/children/{child.pk}/")
    assert "3 of 3 tracks match" in page.locator("#preview-count").inner_text()

    page.get_by_role("button", name="+ group").click()
    htmx_ready(page, "rule-r.0.0-field")
    page.get_by_label("Group r.0 matches").select_option("none")
    what = page.get_by_label("Condition r.0.0: what")
    what.select_option("explicit")
    # The editor redraws for the new field: explicit is yes / no.
    page.get_by_label("Condition r.0.0: value").and_(page.locator("select")).select_option("yes")
    preview_says(page, "2 of 3")
    assert page.get_by_text("not (explicit is yes)").first.is_visible()

    page.get_by_role("button", name="+ condition").last.click()
    htmx_ready(page, "rule-r.1-field")
    page.get_by_label("Condition r.1: what").select_option("year")
    # Redrawn for a year: its comparisons replace the artist's "is".
    page.locator('select[name="rule-r.1-op"] option[value="gte"]').wait_for(state="attached")
    htmx_ready(page, "rule-r.1-op")
    page.get_by_label("Condition r.1: how").select_option("gte")
    page.locator('select[name="rule-r.1-op"] option[value="gte"][selected]').wait_for(
        state="attached"
    )
    htmx_ready(page, "rule-r.1-op")
    page.get_by_label("Condition r.1: value").fill("1980")
    preview_says(page, "1 of 3")
    page.get_by_role("button", name="Remove condition r.1").click()
    preview_says(page, "2 of 3")
