"""Upload a Spotify data export in the browser and watch the import finish.

The import runs where it runs in production: a real Celery worker picks the job up from the
broker (celery_worker_process), and the page follows its progress over HTMX.
"""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client

from archive.models import HistoryProfile, ImportJob, PlayEvent
from tests.archive.factories import episode_record, extended_record

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def export_zip(path):
    start = datetime(2022, 5, 1, 8, 0, tzinfo=UTC)
    audio = [extended_record(n % 7, start + timedelta(minutes=4 * n)) for n in range(120)]
    audio.append(episode_record(start + timedelta(days=2)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        folder = "Spotify Extended Streaming History"
        archive.writestr(f"{folder}/Streaming_History_Audio_2022_0.json", json.dumps(audio[:70]))
        archive.writestr(f"{folder}/Streaming_History_Audio_2022_1.json", json.dumps(audio[70:]))
        archive.writestr(f"{folder}/ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF-1.4")
    path.write_bytes(buffer.getvalue())
    return path


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


def test_upload_an_export_and_watch_the_import_finish(
    page, live_server, celery_worker_process, django_user_model, tmp_path
):
    user = django_user_model.objects.create(username="grace")
    HistoryProfile.objects.create(user=user, time_zone="Europe/Berlin")
    logged_in(page, live_server, user)

    page.goto(live_server.url + "/history/")
    page.get_by_role("link", name="Import your data export").first.click()
    page.wait_for_url("**/history/import/")
    page.get_by_label("Spotify data export").set_input_files(
        str(export_zip(tmp_path / "my_spotify_data.zip"))
    )
    page.get_by_role("button", name="Import").click()

    page.wait_for_url("**/history/import/*/")
    status = page.locator("#import-report .job-status")
    status.filter(has_text="Completed").wait_for(timeout=60_000)
    assert page.locator("#total-imported").inner_text() == "120"
    assert page.get_by_text("Streaming_History_Audio_2022_1.json").is_visible()
    assert page.get_by_text("Imported 120 plays").is_visible()

    job = ImportJob.objects.get(user=user)
    assert job.status == "completed"
    assert job.totals()["podcasts"] == 1
    assert PlayEvent.objects.filter(user=user).count() == 120

    page.goto(live_server.url + "/history/stats/?range=custom&start=2022-05-01&end=2022-05-31")
    assert page.get_by_role("img", name="Plays per day").is_visible()
    assert page.get_by_text("Song 1").first.is_visible()
