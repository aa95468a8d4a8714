"""Every page of Tunekeeper, at desktop (1280 x 800) and phone (390 x 844) width: no horizontal
page scroll, and no serious or critical accessibility violation found by axe-core (vendored in
tests/browser/vendor/, injected into each page). Screenshots of the dashboard, a sync base, a
batch and the stats page at both widths go to test-artifacts/ for people to look at."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from archive.importer import create_job, run_import_job
from archive.models import HistoryProfile
from archive.tasks import claim
from sandbox.spotify.seed import seed_playlist
from sync.engine import sync_base
from tests.archive.factories import extended_record, json_upload
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_sync import logged_in
from tests.enforcement.factories import finished_batch
from tests.security.test_ownership_and_csrf import OWNED_OBJECTS
from tests.security.urls import own_routes
from tests.sync.conftest import cond, connect, make_base, make_child
from tests.sync.factories import NOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
# Routes that are not pages of ours: the admin is Django's own; logout and the like only POST.
SKIP = {"favicon", "healthz", "admin:index"}


def world(sandbox_users, django_user_model):
    """A person with something on every page: a synced base with a child, a history with
    plays, an executed batch, and one object of each kind the object pages show."""
    grace = sandbox_users[1]
    road = seed_playlist(grace, items=30, tracks=60, name="Road Songs")
    user = connect(django_user_model, grace)
    user.is_staff = True  # for /ops/
    user.save()
    HistoryProfile.objects.create(user=user, time_zone="Europe/Berlin")
    base = make_base(user, road)
    make_child(base, "Older songs", cond("year", "lte", 2015, mod="album"))
    event, _ = sync_base(base)
    assert event.status == "completed", event.error
    records = [extended_record(n % 5, NOW - timedelta(hours=7 * n)) for n in range(60)]
    run_import_job(
        claim(create_job(user, [json_upload("Streaming_History_Audio_2026.json", records)]).pk)
    )
    batch = finished_batch(user)
    return user, {"sync_base": base, "batch": batch}


def page_urls(user) -> dict[str, str]:
    """Every GET route of ours that answers this person with a full HTML page."""
    client = Client()
    client.force_login(user)
    urls = {}
    for route in own_routes():
        if not route.name or route.name in SKIP:
            continue
        if route.params:
            if route.name not in OWNED_OBJECTS:
                continue
            url = reverse(route.name, kwargs=OWNED_OBJECTS[route.name](user))
        else:
            url = reverse(route.name)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        if b"<html" not in response.content[:200]:
            continue  # an HTMX partial
        urls[route.name] = url
    return urls


def check(page, url: str, width_name: str) -> list[str]:
    problems = []
    page.goto(url)
    page.wait_for_load_state("load")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        wide = page.evaluate(
            """() => {
                const edge = document.documentElement.clientWidth + 1;
                return Array.from(document.querySelectorAll('main *, header *'))
                    .filter(el => el.getBoundingClientRect().right > edge)
                    .slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + (el.id || ''));
            }"""
        )
        problems.append(f"{url} @{width_name}: {overflow}px horizontal scroll ({wide})")
    # The page's Content-Security-Policy forbids injected scripts; these contexts bypass it
    # for axe alone (the other browser tests run with it and fail on any violation).
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(
                f"{url} @{width_name}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} {targets}"
            )
    return problems


def test_every_page_fits_a_phone_and_passes_axe(
    browser, sandbox_site, sandbox_users, django_user_model
):
    user, objects = world(sandbox_users, django_user_model)
    urls = page_urls(user)
    # The pages people live in are all there (a route that stopped answering would drop out).
    for name in (
        "dashboard",
        "library",
        "sync",
        "sync_base",
        "sync_child",
        "blocklist",
        "enforcement_batch",
        "history",
        "history_stats",
        "downloads:index",
        "activity",
        "spotify_usage",
        "settings_home",
        "settings_delete",
        "api_tokens",
        "operator",
    ):
        assert name in urls, f"{name} is not a page any more: {sorted(urls)}"
    assert len(urls) >= 30, sorted(urls)
    shots = {
        "dashboard": reverse("dashboard"),
        "sync-base": reverse("sync_base", args=[objects["sync_base"].pk]),
        "batch": reverse("enforcement_batch", args=[objects["batch"].pk]),
        "stats": reverse("history_stats"),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        logged_in(page, sandbox_site, user)
        for name, path in shots.items():
            page.goto(sandbox_site.url + path)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width_name}.png"), full_page=True)
        for path in sorted(set(urls.values()) | set(shots.values())):
            problems += check(page, sandbox_site.url + path, width_name)
        context.close()
    # The landing page, logged out.
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        problems += check(context.new_page(), sandbox_site.url + "/", width_name)
        context.close()
    assert problems == [], "\n".join(problems)


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(
    browser, live_server, django_user_model
):
    user = django_user_model.objects.create(username="ada")
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    logged_in(page, live_server, user)
    page.goto(f"{live_server.url}/dashboard/")
    menu = page.get_by_role("button", name="Menu")
    log_out = page.get_by_role("button", name="Log out")
    assert menu.is_visible() and not log_out.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert log_out.is_visible() and page.get_by_role("link", name="Settings").is_visible()
    context.close()

    wide = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = wide.new_page()
    logged_in(page, live_server, user)
    page.goto(f"{live_server.url}/dashboard/")
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
    wide.close()
