"""Open a Rewind in the browser, make a share link, and open it logged out in a fresh browser
context, at desktop and phone width."""

import pytest

from archive.models import RewindShare
from tests.archive.test_rewind import listen_through_2025
from tests.browser.test_archive_import import logged_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def year_of_music():
    return listen_through_2025()


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_a_rewind_is_shared_and_opened_logged_out(
    browser,
    page,
    live_server,
    year_of_music,
    width,
    height,
):
    page.set_viewport_size({"width": width, "height": height})
    logged_in(page, live_server, year_of_music)

    page.goto(f"{live_server.url}/history/rewind/2025/")
    assert page.get_by_role("heading", name="Rewind 2025").is_visible()
    assert "Portishead" in page.locator("#top-artists").locator("..").inner_text()
    page.get_by_role("button", name="Create a share link").click()
    page.get_by_role("button", name="Revoke this link").wait_for()
    link = RewindShare.objects.get(user=year_of_music)
    shared_url = f"{live_server.url}/rewind/{link.token}/"
    assert page.locator(f'a[href="/rewind/{link.token}/"]').count() == 1

    stranger = browser.new_context(viewport={"width": width, "height": height})
    try:
        visitor = stranger.new_page()
        visitor.goto(shared_url)
        assert visitor.get_by_role("heading", name="ada's 2025 in music").is_visible()
        assert "Portishead" in visitor.content()
        assert visitor.get_by_role("link", name="Library").count() == 0  # no way into the account
        assert visitor.evaluate("document.documentElement.scrollWidth") <= width + 1
    finally:
        stranger.close()
