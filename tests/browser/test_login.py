import pytest
from allauth.socialaccount.models import SocialToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_connect_spotify_consent_and_see_the_dashboard(page, sandbox_site, sandbox_users):
    page.goto(sandbox_site.url + "/")
    page.get_by_role("button", name="Connect Spotify").click()

    page.wait_for_url("**/sandbox-spotify/accounts/authorize**")
    assert page.get_by_text("Tunekeeper would like to").is_visible()
    page.get_by_label("Grace Hopper").check()
    page.get_by_role("button", name="Agree").click()

    page.wait_for_url("**/dashboard/")
    assert page.get_by_role("heading", name="Hello, Grace.Hopper").is_visible()
    assert (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").is_visible()
    )
    assert SocialToken.objects.count() == 1
