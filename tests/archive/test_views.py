from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from archive.importer import create_job, run_import_job
from archive.models import ImportJob
from archive.tasks import claim
from tests.archive.factories import extended_record, json_upload, make_user

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def listener(client):
    user = make_user("listener", time_zone="Europe/Berlin")
    records = [extended_record(n % 4, T0 + timedelta(minutes=4 * n)) for n in range(40)]
    job = claim(create_job(user, [json_upload("Streaming_History_Audio_2025.json", records)]).pk)
    run_import_job(job)
    client.force_login(user)
    return user


def test_history_pages_render_for_the_owner(client, listener):
    for name in ("history", "history_stats", "history_import", "history_export"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    stats = client.get(reverse("history_stats"), {"range": "all"}).content.decode()
    assert "<svg" in stats
    assert "Song 1" in stats


def test_an_outsider_gets_404_for_an_import_job(client, listener):
    job = ImportJob.objects.get(user=listener)
    client.force_login(make_user("outsider"))
    assert client.get(reverse("history_import_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("history_import_job", args=[job.pk])).status_code in (404, 405)


def test_the_import_page_and_its_htmx_partial_show_the_report(client, listener):
    job = ImportJob.objects.get(user=listener)
    url = reverse("history_import_job", args=[job.pk])
    page = client.get(url).content.decode()
    assert "Streaming_History_Audio_2025.json" in page
    assert "<h1>" in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="import-report"' in partial
    assert "<h1>" not in partial
    assert 'id="total-imported">40<' in partial


def test_the_stats_charts_have_accessible_names(client, listener):
    june = {"range": "custom", "start": "2025-06-01", "end": "2025-06-30"}
    page = client.get(reverse("history_stats"), june).content.decode()
    assert 'aria-label="Plays per day"' in page
    assert 'aria-label="Plays by weekday and hour"' in page


def test_cached_stats_show_new_plays_at_once(client, listener):
    from django.db import transaction

    from archive.plays import NewPlay, store
    from tests.archive.factories import track_id

    june = {"range": "custom", "start": "2025-06-01", "end": "2025-06-30"}
    before = client.get(reverse("history_stats"), june).content.decode()
    assert "<strong>40</strong> plays" in before
    with transaction.atomic():
        store(listener.pk, [NewPlay(track_id(1), T0 + timedelta(days=3), "poll", duration_ms=1)])
    after = client.get(reverse("history_stats"), june).content.decode()
    assert "<strong>41</strong> plays" in after


def test_changing_the_time_zone_recounts_the_stats(
    client, listener, monkeypatch, django_capture_on_commit_callbacks
):
    from archive import tasks
    from archive.models import HistoryProfile, HourlyListening

    monkeypatch.setattr(tasks.rebuild_rollups_task, "delay", tasks.rebuild_rollups_task)
    before = set(HourlyListening.objects.filter(user=listener).values_list("hour", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("history_time_zone"), {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    profile = HistoryProfile.objects.get(user=listener)
    assert profile.time_zone == profile.rollup_time_zone == "Asia/Tokyo"
    after = set(HourlyListening.objects.filter(user=listener).values_list("hour", flat=True))
    assert after == {(hour + 7) % 24 for hour in before}  # Berlin (CEST) → Tokyo: +7 h


def test_an_unknown_time_zone_is_refused(client, listener):
    from archive.models import HistoryProfile

    client.post(reverse("history_time_zone"), {"time_zone": "Mars/Olympus_Mons"})
    assert HistoryProfile.objects.get(user=listener).time_zone == "Europe/Berlin"


def test_stats_open_on_all_history_when_the_last_12_months_are_empty(client):
    from core import clock

    user = make_user("old-timer")
    old = [
        extended_record(n % 3, datetime(2019, 3, 1, 12, tzinfo=UTC) + timedelta(hours=n))
        for n in range(9)
    ]
    run_import_job(
        claim(create_job(user, [json_upload("Streaming_History_Audio_2019.json", old)]).pk)
    )
    client.force_login(user)
    page = client.get(reverse("history_stats")).content.decode()
    assert "Nothing was played in the last 12 months" in page
    assert '<option value="all" selected>' in page
    assert "1 Mar 2019" in page
    # With a recent play the page opens on the last 12 months as before.
    recent = [extended_record(1, clock.now() - timedelta(days=2))]
    run_import_job(
        claim(create_job(user, [json_upload("Streaming_History_Audio_2026.json", recent)]).pk)
    )
    page = client.get(reverse("history_stats")).content.decode()
    assert "Nothing was played in the last 12 months" not in page
    assert '<option value="12m" selected>' in page


def test_weekly_bars_start_on_the_day_chosen_in_settings(client, listener):
    from archive.models import HistoryProfile

    # 2025-06-01 is a Sunday; the listener's plays are on 1 and 2 June.
    week = {"range": "custom", "start": "2025-05-26", "end": "2025-06-08", "by": "week"}
    page = client.get(reverse("history_stats"), week).content.decode()
    assert "w/c 26 May 2025" in page and "w/c 02 Jun 2025" in page  # Mondays
    response = client.post(
        reverse("history_time_zone"), {"time_zone": "Europe/Berlin", "week_start": "6"}
    )
    assert response["Location"] == reverse("settings_home")
    assert HistoryProfile.objects.get(user=listener).week_start == 6
    page = client.get(reverse("history_stats"), week).content.decode()
    # Sundays; the range starts at the first day the archive holds (1 June, a Sunday), so the
    # first week is that day's.
    assert "w/c 01 Jun 2025" in page
    assert "w/c 26 May 2025" not in page
    # A hostile value is refused and changes nothing.
    client.post(reverse("history_time_zone"), {"time_zone": "Europe/Berlin", "week_start": "9"})
    assert HistoryProfile.objects.get(user=listener).week_start == 6
