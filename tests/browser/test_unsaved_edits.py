"""Leaving the rule editor with edits not saved asks first (static/js/app.js); saved edits and
an untouched page leave without a question."""

import pytest

from tests.browser.test_sync import logged_in
from tests.sync.conftest import cond
from tests.sync.factories import catalog_track, mirrored_playlist, owned_base, owned_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leaving_unsaved_rule_edits_asks_first(page, live_server, django_user_model):
    user = django_user_model.objects.create(username="ada")
    base = owned_base(user, mirrored_playlist(user, [catalog_track("Teardrop", year=1998)]))
    rules = {"kind": "group", "match": "all", "rules": [cond("year", "gte", 1990)]}
    child = owned_child(user, base, rules=rules)
    logged_in(page, live_server, user)
    url = f"{live_server.url}/sync/children/{child.pk}/"
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.goto(url)
    page.get_by_role("link", name="Library").first.click()  # nothing edited: no question
    page.wait_for_url(f"{live_server.url}/library/")
    assert asked == []

    page.goto(url)
    page.get_by_label("Condition r.0: value").fill("2000")
    page.get_by_role("link", name="Library").first.click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url == url  # dismissed: still editing

    page.get_by_role("button", name="Save").click()
    page.wait_for_url(url)
    page.get_by_role("link", name="Library").first.click()
    page.wait_for_url(f"{live_server.url}/library/")
    assert asked == ["beforeunload"]  # saved: no second question
