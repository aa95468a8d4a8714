"""The Sync pages: the editor and its preview, saving (and refusing rules that never match),
the Sync button and its 409, edits refused while a sync runs, schedules, retry, history."""

import json
import re

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from ops.jobs import JobStatus
from playlists.models import Playlist
from sync.models import BasePlaylist, ChildPlaylist, Schedule, SyncEvent
from tests.sync.conftest import cond
from tests.sync.factories import (
    catalog_track,
    mirrored_playlist,
    owned_base,
    owned_child,
    owned_event,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create(username="ada")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def base(user):
    tracks = [
        catalog_track("Sinnerman", year=1965, genres=["jazz"]),
        catalog_track("Feeling Good", year=1965, genres=["jazz", "soul"]),
        catalog_track("Ain't Got No", artists=("Nina Simone",), year=1968),
        catalog_track("Teardrop", artists=("Massive Attack", "Elizabeth Fraser"), year=1998),
        catalog_track("Angel", artists=("Massive Attack",), year=1998, explicit=True),
    ]
    return owned_base(user, mirrored_playlist(user, tracks))


def rule_post(tree_fields: dict, **settings) -> dict:
    data = {
        "rule-r-kind": "group",
        "rule-r-match": "all",
        "name": "Child",
        "order": "base",
        "write_mode": "delta",
        "on_external_edit": "overwrite",
        "dedupe": "on",
        "skip_blocked": "on",
    }
    data.update(tree_fields)
    data.update(settings)
    return data


def year_rule(op: str, value: str, path: str = "r.0") -> dict:
    return {
        f"rule-{path}-kind": "condition",
        f"rule-{path}-field": "year",
        f"rule-{path}-op": op,
        f"rule-{path}-mod": "album",
        f"rule-{path}-value": value,
    }


def test_it_shows_the_editor_with_a_preview_from_the_mirror(logged_in, base):
    child = owned_child(None, base)
    response = logged_in.get(reverse("sync_child", args=[child.pk]))
    assert response.status_code == 200
    assert "5 of 5 tracks match" in response.content.decode()


def test_the_preview_follows_unsaved_rules_and_says_why(logged_in, base):
    child = owned_child(None, base)
    response = logged_in.post(
        reverse("sync_child_preview", args=[child.pk]),
        rule_post(year_rule("gte", "1990")),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "2 of 5 tracks match" in html
    assert "album release year ≥ 1990" in html
    assert "Sinnerman" not in html
    child.refresh_from_db()
    assert child.rules["rules"] == []  # a preview saves nothing


def test_the_editor_adds_and_removes_conditions_and_groups(logged_in, base):
    child = owned_child(None, base)
    url = reverse("sync_child_editor", args=[child.pk])
    added = logged_in.post(
        url, rule_post({}, action="add-group:r"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'name="rule-r.0-kind" value="group"' in added
    assert 'name="rule-r.0.0-kind" value="condition"' in added
    assert 'id="preview"' in added and "hx-swap-oob" in added
    removed = logged_in.post(
        url, rule_post(year_rule("gte", "1990"), action="remove:r.0"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "rule-r.0-kind" not in removed


def test_saving_valid_rules_stores_them_typed(logged_in, base):
    child = owned_child(None, base)
    response = logged_in.post(
        reverse("sync_child", args=[child.pk]),
        rule_post(year_rule("between", "1960"), **{"rule-r.0-value2": "1966", "limit": "10"}),
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.rules["rules"] == [
        {
            "kind": "condition",
            "field": "year",
            "op": "between",
            "mod": "album",
            "value": 1960,
            "value2": 1966,
        }
    ]
    assert child.limit == 10


def test_a_rule_that_can_never_match_is_flagged_and_not_saved(logged_in, base):
    child = owned_child(None, base)
    before = child.rules
    response = logged_in.post(
        reverse("sync_child", args=[child.pk]),
        rule_post({**year_rule("gte", "2000", "r.0"), **year_rule("lt", "1990", "r.1")}),
    )
    assert response.status_code == 400
    assert "can never match" in response.content.decode()
    child.refresh_from_db()
    assert child.rules == before


def test_a_bad_value_is_shown_at_its_condition_and_nothing_is_saved(logged_in, base):
    child = owned_child(None, base)
    response = logged_in.post(
        reverse("sync_child", args=[child.pk]), rule_post(year_rule("gte", "nineteen"))
    )
    assert response.status_code == 400
    assert "Year must be a whole number" in response.content.decode()
    assert ChildPlaylist.objects.get(pk=child.pk).rules["rules"] == []


def test_popularity_is_offered_disabled_in_development_mode(logged_in, base, settings):
    settings.SPOTIFY_API_MODE = "development"
    artist = {"kind": "condition", "field": "artist", "op": "is", "value": "Nina Simone"}
    child = owned_child(None, base, rules={"kind": "group", "match": "all", "rules": [artist]})
    html = logged_in.get(reverse("sync_child", args=[child.pk])).content.decode()
    assert re.search(r'value="popularity"\s+disabled', html)
    assert re.search(r'value="year"\s+>', html)  # the others are enabled


def test_the_sync_button_starts_one_sync_and_a_second_press_answers_409(
    logged_in, base, django_capture_on_commit_callbacks
):
    url = reverse("sync_base_run", args=[base.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        first = logged_in.post(url, HTTP_HX_REQUEST="true")
    assert first.status_code == 202
    assert len(callbacks) == 1  # the task is sent after the commit
    second = logged_in.post(url, HTTP_HX_REQUEST="true")
    assert second.status_code == 409
    assert "Sync running" in second.content.decode()
    assert SyncEvent.objects.filter(base=base).count() == 1
    plain = logged_in.post(url)
    assert plain.status_code == 409


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("sync_base_schedule", {"schedule": "hourly"}),
        ("sync_base_delete", {}),
        ("sync_child_add", {"name": "Another"}),
    ],
)
def test_changes_to_a_base_are_refused_while_it_syncs(logged_in, base, route, data):
    owned_event(base.user, base, status=JobStatus.RUNNING)
    response = logged_in.post(reverse(route, args=[base.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "is syncing right now" in response.content.decode()
    assert BasePlaylist.objects.filter(pk=base.pk, schedule=Schedule.MANUAL).exists()
    assert not ChildPlaylist.objects.filter(name="Another").exists()


def test_saving_or_deleting_a_child_is_refused_while_its_base_syncs(logged_in, base):
    child = owned_child(None, base)
    owned_event(base.user, base, status=JobStatus.QUEUED)
    saved = logged_in.post(
        reverse("sync_child", args=[child.pk]), rule_post(year_rule("gte", "1990"))
    )
    assert saved.status_code == 302
    assert ChildPlaylist.objects.get(pk=child.pk).rules["rules"] == []
    page = logged_in.get(saved["Location"]).content.decode()
    assert "is syncing right now" in page
    deleted = logged_in.post(reverse("sync_child_delete", args=[child.pk]), HTTP_HX_REQUEST="true")
    assert deleted.status_code == 409
    assert ChildPlaylist.objects.filter(pk=child.pk).exists()


def test_a_schedule_is_a_periodic_task_in_beat(logged_in, base):
    url = reverse("sync_base_schedule", args=[base.pk])
    logged_in.post(url, {"schedule": "custom", "crontab": "15 6 * * 1-5"})
    task = PeriodicTask.objects.get(name=f"sync-base-{base.pk}")
    assert task.task == "sync.tasks.scheduled_sync_task"
    assert json.loads(task.args) == [base.pk]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("15", "6", "1-5")
    base.refresh_from_db()
    assert base.periodic_task == task

    logged_in.post(url, {"schedule": "hourly"})
    task.refresh_from_db()
    assert task.crontab.hour == "*"

    logged_in.post(url, {"schedule": "manual"})
    assert not PeriodicTask.objects.filter(name=f"sync-base-{base.pk}").exists()


def test_a_crontab_that_runs_too_often_is_refused(logged_in, base):
    response = logged_in.post(
        reverse("sync_base_schedule", args=[base.pk]),
        {"schedule": "custom", "crontab": "* * * * *"},
        follow=True,
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 48" in page
    assert 'value="* * * * *"' in page  # what was typed stays in the field
    assert re.search(r'<option value="custom" selected>', page)
    assert not PeriodicTask.objects.filter(name=f"sync-base-{base.pk}").exists()


def test_a_daily_sync_runs_at_the_time_picked_in_the_persons_zone(logged_in, base):
    from archive.models import HistoryProfile

    HistoryProfile.objects.create(user=base.user, time_zone="America/New_York")
    page = logged_in.get(reverse("sync_base", args=[base.pk])).content.decode()
    assert "No scheduled runs" in page
    logged_in.post(
        reverse("sync_base_schedule", args=[base.pk]), {"schedule": "daily", "daily_at": "07:30"}
    )
    task = PeriodicTask.objects.get(name=f"sync-base-{base.pk}")
    assert (task.crontab.minute, task.crontab.hour) == ("30", "7")
    assert str(task.crontab.timezone) == "America/New_York"
    page = logged_in.get(reverse("sync_base", args=[base.pk])).content.decode()
    assert re.search(r"Next run: <strong><time [^>]*>\w{3} \d+ \w{3}, 07:30</time>", page), page
    assert 'value="07:30"' in page


def test_a_failed_sync_shows_its_error_and_retry_starts_a_new_one(
    logged_in, base, django_capture_on_commit_callbacks
):
    failed = owned_event(base.user, base, status=JobStatus.FAILED, error="Spotify kept failing")
    page = logged_in.get(reverse("sync_event", args=[failed.pk])).content.decode()
    assert "Spotify kept failing" in page and "Retry" in page
    with django_capture_on_commit_callbacks():
        response = logged_in.post(reverse("sync_event_retry", args=[failed.pk]))
    new = SyncEvent.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == reverse("sync_event", args=[new.pk])
    assert new.trigger == "retry" and new.status == JobStatus.QUEUED


def test_adding_a_base_needs_a_playlist_the_user_owns(logged_in, user):
    own = mirrored_playlist(user, [catalog_track("A")], name="Mine")
    theirs = mirrored_playlist(user, [catalog_track("B")], name="Theirs", owner=False)
    refused = logged_in.post(reverse("sync_base_add"), {"playlist": theirs.pk}, follow=True)
    assert not BasePlaylist.objects.filter(spotify_id=theirs.spotify_id).exists()
    assert refused.status_code == 200
    logged_in.post(reverse("sync_base_add"), {"playlist": own.pk})
    assert BasePlaylist.objects.get(user=user).name == "Mine"


def test_the_history_lists_runs_with_their_stats(logged_in, base):
    owned_event(
        base.user,
        base,
        status=JobStatus.COMPLETED,
        calls=7,
        step="1 of 1 playlists updated",
        stats={"children": {"1": {"name": "Jazz", "outcome": "updated", "size": 3}}},
    )
    html = logged_in.get(reverse("sync_history")).content.decode()
    assert "1 of 1 playlists updated" in html and ">7<" in html


def test_saving_a_child_leaves_the_syncs_checkpoint_alone(logged_in, base, monkeypatch):
    from sync import views

    child = owned_child(None, base)
    real = views.locked_base

    def a_sync_finished_meanwhile(base_pk):
        # Between the view reading the child and saving it, a sync wrote to the playlist.
        ChildPlaylist.objects.filter(pk=child.pk).update(
            synced_uris=["spotify:track:a"], synced_snapshot_id="snap-9", spotify_id="pl9"
        )
        return real(base_pk)

    monkeypatch.setattr(views, "locked_base", a_sync_finished_meanwhile)
    logged_in.post(
        reverse("sync_child", args=[child.pk]), rule_post(year_rule("gte", "1990"), name="Renamed")
    )
    child.refresh_from_db()
    assert child.name == "Renamed"
    assert child.rules["rules"][0]["value"] == 1990
    assert (child.synced_uris, child.synced_snapshot_id, child.spotify_id) == (
        ["spotify:track:a"],
        "snap-9",
        "pl9",
    )


def test_the_pages_render(logged_in, base):
    child = owned_child(None, base)
    owned_event(base.user, base, status=JobStatus.COMPLETED)
    for url in (
        reverse("sync"),
        reverse("sync_base", args=[base.pk]),
        reverse("sync_history") + f"?base={base.pk}",
    ):
        response = logged_in.get(url)
        assert response.status_code == 200, url
        assert base.name in response.content.decode()
    # Without JavaScript the editor's buttons post the whole form and get the page back.
    page = logged_in.post(
        reverse("sync_child", args=[child.pk]), rule_post({}, action="add-condition:r")
    )
    assert page.status_code == 200
    assert 'name="rule-r.0-kind" value="condition"' in page.content.decode()
    assert ChildPlaylist.objects.get(pk=child.pk).rules["rules"] == []


def test_the_generic_job_retry_refuses_while_another_sync_of_the_base_runs(
    base, django_capture_on_commit_callbacks
):
    failed = owned_event(base.user, base, status=JobStatus.FAILED, error="boom")
    running = owned_event(base.user, base, status=JobStatus.RUNNING)
    assert failed.retry() is False
    SyncEvent.objects.filter(pk=running.pk).update(status=JobStatus.COMPLETED)
    with django_capture_on_commit_callbacks() as callbacks:
        assert failed.retry() is True
    assert SyncEvent.objects.get(pk=failed.pk).status == JobStatus.QUEUED
    assert len(callbacks) == 1  # sync.tasks.sync_task, sent after the commit


def test_sync_all_counts_in_words_that_agree(logged_in, base, django_capture_on_commit_callbacks):
    second = owned_base(base.user)
    with django_capture_on_commit_callbacks():
        page = logged_in.post(reverse("sync_all"), follow=True).content.decode()
    assert "2 syncs started." in page
    SyncEvent.objects.filter(base=second).delete()
    with django_capture_on_commit_callbacks():
        page = logged_in.post(reverse("sync_all"), follow=True).content.decode()
    assert "1 sync started; 1 was already running." in page


def test_same_named_playlists_show_their_owner_in_the_pickers(logged_in, user, base):
    mine = mirrored_playlist(user, [], name="Chill")
    theirs = mirrored_playlist(user, [], name="Chill", owner=False)
    Playlist.objects.filter(pk=mine.pk).update(owner_name="Ada")
    Playlist.objects.filter(pk=theirs.pk).update(owner_name="Bob", collaborative=True)
    page = logged_in.get(reverse("sync")).content.decode()
    assert "Chill (by Ada)" in page and "Chill (by Bob)" in page
    assert "Everything (by" not in page  # a unique name stays as it is
    rules = {"kind": "group", "match": "all", "rules": [cond("in_playlist", "is", mine.spotify_id)]}
    child = owned_child(user, base, rules=rules)
    editor = logged_in.get(reverse("sync_child", args=[child.pk])).content.decode()
    assert "Chill (by Ada)" in editor and "Chill (by Bob)" in editor


def test_the_sync_page_says_when_each_scheduled_base_runs_next(logged_in, base):
    logged_in.post(reverse("sync_base_schedule", args=[base.pk]), {"schedule": "daily"})
    page = logged_in.get(reverse("sync")).content.decode()
    # Daily without a chosen time: 04:<base id % 60> server time (UTC here).
    assert re.search(rf"next <time [^>]*>\w{{3}} \d+ \w{{3}}, 04:{base.pk % 60:02d}</time>", page)
