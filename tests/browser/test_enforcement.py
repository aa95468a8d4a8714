"""A person blocks artists, reviews the dry run, executes it with an item unticked, rolls it
back, and turns on automatic enforcement — in Chromium, with a real worker doing the Spotify
work against the sandbox. Nothing restored is removed again."""

import re
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount

from bench.worlds.enforcement import library_state
from core import clock
from enforcement.automatic import run_automatic
from enforcement.models import ActionBatch, EnforcementSettings, ItemKind, KeptItem
from ops.jobs import JobStatus
from tests.enforcement.conftest import make_scene, worker_process

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url: str):
    """Connect Spotify through the sandbox consent page, as a person would."""

    def through_the_browser(owner):
        page.goto(base_url + "/")
        page.get_by_role("button", name="Connect Spotify").click()
        page.wait_for_url("**/sandbox-spotify/accounts/authorize**")
        page.get_by_label(owner.display_name).check()
        page.get_by_role("button", name="Agree").click()
        page.wait_for_url("**/dashboard/")
        return SocialAccount.objects.get(provider="spotify", uid=owner.account_id).user

    return through_the_browser


def test_plan_execute_and_roll_back_from_the_blocklist_page(page, sandbox_site):
    base = sandbox_site.url
    scene = make_scene(
        "browser-person",
        log_in=log_in(page, base),
        liked_blocked=45,
        albums_blocked=3,
        blocked_artists=8,
        playlists=[(12, 6), (5, 5)],
    )

    page.goto(base + "/blocklist/")
    assert page.get_by_role("heading", name="Blocklist", exact=True).is_visible()
    page.get_by_role("button", name="Plan a dry run").click()
    page.wait_for_url(re.compile(r".*/blocklist/batches/\d+/$"))
    assert page.get_by_role("heading", name="Plan (dry run)").is_visible()
    assert page.get_by_text("Before you execute").is_visible()
    assert page.get_by_text("come back with today's date").first.is_visible()
    calls = page.get_by_test_id("calls-needed")
    assert calls.inner_text() == str(scene.world.minimum_calls)

    # Untick one liked song: 45 → 44 liked songs, 2 library chunks still; the estimate follows.
    plan = ActionBatch.objects.get(user=scene.user, dry_run=True)
    kept = plan.items.filter(kind=ItemKind.LIKED_TRACK).order_by("id").first()
    selected = page.get_by_test_id("actions-selected")
    before = int(selected.inner_text())
    page.get_by_label(f"Include {kept.label}").uncheck()
    page.wait_for_function(
        "n => document.querySelector('[data-testid=actions-selected]').innerText == String(n)",
        arg=before - 1,
    )

    with worker_process(base, "browser"):
        page.get_by_role("button", name="Execute").click()
        page.wait_for_url(re.compile(r".*/blocklist/batches/\d+/$"))
        # The progress partial polls; when the batch finishes the page reloads with the audit.
        page.get_by_role("heading", name="Roll back").wait_for(timeout=90_000)
        run = ActionBatch.objects.get(pk=plan.pk)
        assert run.status == JobStatus.COMPLETED and run.done == before - 1
        assert kept.uri in library_state(scene.owner).liked
        assert page.get_by_text(f"Done: {before - 1} removed").is_visible()

        page.get_by_role("button", name="Roll back everything").click()
        # It asks first, saying what it will do.
        page.get_by_role("heading", name=re.compile(r"Put back \d+ items\?")).wait_for()
        page.get_by_role("button", name="Roll back", exact=True).click()
        page.wait_for_url(re.compile(r".*/blocklist/batches/\d+/$"))
        assert page.get_by_role("heading", name=f"Rollback of batch {plan.pk}").is_visible()
        # Restoring counts positions: a song that was in a playlist twice is restored twice.
        page.get_by_text(re.compile(r"Done: \d+ restored")).wait_for(timeout=90_000)
        undo = ActionBatch.objects.get(parent=plan)
        assert undo.status == JobStatus.COMPLETED and undo.failed == 0

    assert library_state(scene.owner) == scene.original

    # The unticked song and everything rolled back are kept exceptions, shown on the list.
    page.goto(base + "/blocklist/")
    kept_count = KeptItem.objects.filter(blocklist__user=scene.user).count()
    assert kept_count == before  # the unticked one plus every restored one
    assert page.get_by_text(f"Kept exceptions: {kept_count}").is_visible()

    # Turning automatic enforcement on shows its first plan for approval: nothing to remove.
    page.get_by_label("Enforce automatically once a day").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/blocklist/batches/\d+/$"))
    assert page.get_by_test_id("approve-automatic").is_visible()
    assert page.get_by_test_id("actions-selected").inner_text() == "0"
    assert not EnforcementSettings.objects.get(user=scene.user).automatic
    approval = ActionBatch.objects.get(user=scene.user, origin="automatic")
    with worker_process(base, "browser"):
        page.get_by_role("button", name="Approve and turn on automatic enforcement").click()
        page.get_by_role("heading", name="Roll back").wait_for(timeout=90_000)
    approval.refresh_from_db()
    assert approval.status == JobStatus.COMPLETED and approval.done == 0
    assert EnforcementSettings.objects.get(user=scene.user).automatic
    assert library_state(scene.owner) == scene.original

    # Tomorrow's automatic run refreshes the mirror, plans and executes: still nothing removed.
    EnforcementSettings.objects.filter(user=scene.user).update(
        last_automatic_at=clock.now() - timedelta(days=1)
    )
    tomorrow = run_automatic(scene.user)
    assert tomorrow is not None and tomorrow.total == 0
    assert library_state(scene.owner) == scene.original
    page.goto(base + "/dashboard/")
    runs = page.get_by_test_id("automatic-runs")
    assert runs.is_visible()
    assert "nothing to remove" in runs.inner_text()


def test_the_progress_shows_calls_and_row_states_while_the_batch_runs(page, sandbox_site):
    from sandbox.spotify import faults

    base = sandbox_site.url
    scene = make_scene(
        "browser-watcher",
        log_in=log_in(page, base),
        liked_blocked=90,
        albums_blocked=3,
        blocked_artists=6,
        playlists=[(12, 6), (8, 4)],
    )
    page.goto(base + "/blocklist/")
    page.get_by_role("button", name="Plan a dry run").click()
    page.wait_for_url(re.compile(r".*/blocklist/batches/\d+/$"))
    faults.configure(latency_ms=700)  # every Spotify call takes a while: the run is watchable
    try:
        with worker_process(base, "browser"):
            page.get_by_role("button", name="Execute").click()
            page.wait_for_url(re.compile(r".*/blocklist/batches/\d+/$"))
            # While the progress still polls (the batch is running): calls counted and rows
            # marked done as their chunks land, before the page reloads at the end.
            page.wait_for_function(
                """() => {
                    const progress = document.querySelector('#batch-progress');
                    const calls = document.querySelector('[data-testid=calls-made]');
                    return progress && progress.hasAttribute('hx-get') && calls
                        && Number(calls.innerText) > 0
                        && document.querySelector('span.status-done') !== null;
                }""",
                timeout=60_000,
            )
            page.get_by_role("heading", name="Roll back").wait_for(timeout=90_000)
    finally:
        faults.reset()
    run = ActionBatch.objects.get(user=scene.user, dry_run=False)
    assert run.status == JobStatus.COMPLETED
    assert page.get_by_test_id("calls-made").inner_text() == str(run.calls_made)
