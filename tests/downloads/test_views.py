"""Downloads pages: what the owner sees and can do, what an outsider cannot (404 on every
object), CSRF on every POST, the settings form and the "test connection" button."""

import pytest
from django.test import Client
from django.urls import reverse

from downloads import engine, matching
from downloads.models import Download, DownloadRun, SlskdSettings, Status
from tests.conftest import outsider_answers, refused
from tests.downloads.conftest import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(slskd, owner, make_track, make_playlist):
    """One of each object the owner has: a track in a playlist, a download, a run."""
    track = make_track()
    playlist = make_playlist(owner, [track])
    download = engine.request_download(owner, engine.wanted_from_track(track), track=track).download
    run = DownloadRun.objects.create(user=owner, playlist=playlist, playlist_name=playlist.name)
    return {"track": track, "playlist": playlist, "download": download, "run": run}


def object_urls(owned) -> list[tuple[str, str]]:
    d, p, r, t = owned["download"], owned["playlist"], owned["run"], owned["track"]
    return [
        ("GET", reverse("downloads:detail", args=[d.pk])),
        ("POST", reverse("downloads:cancel", args=[d.pk])),
        ("POST", reverse("downloads:retry", args=[d.pk])),
        ("POST", reverse("downloads:track", args=[t.pk])),
        ("GET", reverse("downloads:playlist", args=[p.pk])),
        ("POST", reverse("downloads:missing", args=[p.pk])),
        ("GET", reverse("downloads:run", args=[r.pk])),
    ]


def test_an_outsider_gets_404_on_every_object(owned, outsider_client):
    answers = {url: outsider_answers(outsider_client, url) for _, url in object_urls(owned)}
    assert {url: a for url, a in answers.items() if not refused(a)} == {}
    assert Download.objects.get(pk=owned["download"].pk).status == Status.QUEUED
    assert DownloadRun.objects.count() == 1


def test_every_post_needs_the_csrf_token(owned, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    posts = [url for method, url in object_urls(owned) if method == "POST"]
    posts += [reverse("downloads:settings"), reverse("downloads:test_connection")]
    assert {url: client.post(url).status_code for url in posts} == {url: 403 for url in posts}


def test_logged_out_visitors_are_sent_to_log_in(owned):
    for method, url in [*object_urls(owned), ("GET", reverse("downloads:index"))]:
        response = getattr(Client(), method.lower())(url)
        assert response.status_code == 302 and response["Location"].startswith("/?next=")


def test_the_owner_sees_the_pages(owned, owner_client):
    download = owned["download"]
    index = owner_client.get(reverse("downloads:index"))
    assert index.status_code == 200
    assert "Nina Simone – Feeling Good" in index.content.decode()
    assert "Searches: 0 of 30" in index.content.decode()
    assert owner_client.get(reverse("downloads:detail", args=[download.pk])).status_code == 200
    assert reverse("downloads:playlist", args=[owned["playlist"].pk]) in index.content.decode()
    playlist = owner_client.get(reverse("downloads:playlist", args=[owned["playlist"].pk]))
    assert "Download missing (1)" in playlist.content.decode()
    lists = owner_client.get(reverse("downloads:index") + "?part=lists", HTTP_HX_REQUEST="true")
    assert lists.content.decode().lstrip().startswith('<div id="download-lists"')


def test_download_on_a_track_queues_it_and_answers_htmx_with_a_badge(
    slskd, owner, owner_client, make_track, make_playlist
):
    track = make_track("Nina Simone", "Sinnerman", seconds=600)
    make_playlist(owner, [track])
    url = reverse("downloads:track", args=[track.pk])

    badge = owner_client.post(url, HTTP_HX_REQUEST="true")
    assert badge.status_code == 200
    assert "Waiting to search" in badge.content.decode()
    assert Download.objects.get(user=owner).wanted_key == f"track:{track.pk}"
    again = owner_client.post(url, {"next": "/downloads/"})
    assert again.status_code == 302 and again["Location"] == "/downloads/"
    assert Download.objects.filter(user=owner).count() == 1


def test_a_track_outside_your_library_is_404(slskd, owner_client, make_track):
    stray = make_track("Someone", "Else")
    assert owner_client.post(reverse("downloads:track", args=[stray.pk])).status_code == 404
    assert not Download.objects.exists()


def test_download_missing_starts_one_run_and_shows_its_progress(
    slskd, worker, owner, owner_client, make_track, make_playlist
):
    publish("Nina Simone", "Feeling Good", album="I Put a Spell on You", duration_s=173)
    playlist = make_playlist(owner, [make_track()])
    url = reverse("downloads:missing", args=[playlist.pk])

    assert owner_client.post(url).status_code == 302
    assert owner_client.post(url).status_code == 302  # a second click finds the first run
    run = DownloadRun.objects.get(user=owner)
    worker.run()
    run.refresh_from_db()
    progress = owner_client.get(reverse("downloads:run", args=[run.pk]))
    assert run.status == "completed" and "1 downloaded" in progress.content.decode()
    page = owner_client.get(reverse("downloads:playlist", args=[playlist.pk])).content.decode()
    assert "Downloaded · FLAC 24/96" in page and "Download missing (0)" in page


def test_the_detail_page_says_why_the_file_was_chosen(slskd, worker, owner, owner_client):
    publish("Nina Simone", "Feeling Good", album="I Put a Spell on You", duration_s=173)
    wanted = matching.Wanted("Nina Simone", "Feeling Good", "I Put a Spell on You", 173)
    download = engine.request_download(owner, wanted).download
    worker.run()
    page = owner_client.get(reverse("downloads:detail", args=[download.pk])).content.decode()
    assert "Why this file" in page
    assert "FLAC 24/96: rung 1 of 5 of your ladder (flac 24)" in page
    assert "from a complete album folder (10 tracks)" in page
    assert "× wrong length" in page and "× live version" in page


def test_cancel_and_retry(slskd, owned, owner_client):
    download = owned["download"]
    owner_client.post(reverse("downloads:cancel", args=[download.pk]))
    assert Download.objects.get(pk=download.pk).status == Status.CANCELLED
    owner_client.post(reverse("downloads:retry", args=[download.pk]))
    assert Download.objects.get(pk=download.pk).status == Status.QUEUED


def test_settings_keep_the_key_secret_and_check_the_ladder(slskd, owner, owner_client):
    url = reverse("downloads:settings")
    saved = owner_client.post(
        url,
        {
            "base_url": "",
            "preset": "custom",
            "custom_ladder": "flac 16/44.1\nmp3 320",
            "destination": "music/new",
            "new_api_key": "my-own-slskd-key-123",
        },
    )
    assert saved.status_code == 302
    row = SlskdSettings.objects.get(user=owner)
    assert row.api_key.startswith("enc1:") and row.endpoint().api_key == "my-own-slskd-key-123"
    assert str(row.ladder()) == "flac 16/44.1 › mp3 320"
    assert "my-own-slskd-key-123" not in owner_client.get(url).content.decode()

    bad = owner_client.post(
        url,
        {"preset": "custom", "custom_ladder": "flac 20", "destination": "../etc", "base_url": ""},
    )
    text = bad.content.decode()
    assert bad.status_code == 200
    assert "bit depth is 16, 24 or 32" in text and "inside slskd" in text
    assert SlskdSettings.objects.get(user=owner).destination == "music/new"


def test_only_a_household_admin_may_point_tunekeeper_at_another_slskd(
    slskd, owner, owner_client, admin_client, admin_user
):
    """The server sends requests to that URL and reports what answered: a member who could set
    it could probe the server's own network (169.254.169.254, Redis, …)."""
    url = reverse("downloads:settings")
    form = {"preset": "best", "destination": "music", "base_url": "http://169.254.169.254/"}

    assert owner_client.post(url, form).status_code == 302  # the rest of the form is saved
    row = SlskdSettings.objects.get(user=owner)
    assert (row.base_url, row.destination) == ("", "music")
    assert row.endpoint().base_url == slskd.base_url  # still the household's slskd
    page = owner_client.get(url).content.decode()
    assert "Only a household admin can point Tunekeeper at another slskd" in page

    assert admin_client.post(url, form).status_code == 302
    assert SlskdSettings.objects.get(user=admin_user).base_url == "http://169.254.169.254/"


def test_test_connection_reports_each_step(slskd, owner, owner_client):
    url = reverse("downloads:test_connection")
    answer = owner_client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Connected" in answer and "✓ Soulseek network: Connected, LoggedIn" in answer
    assert SlskdSettings.objects.get(user=owner).last_version == "0.26.0"

    slskd.configure(logged_in=False)
    answer = owner_client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Not working" in answer and "✗ Soulseek network: Disconnected" in answer

    row = SlskdSettings.objects.get(user=owner)
    row.api_key = "a-key-slskd-will-refuse"
    row.save()
    plain = owner_client.post(url, follow=True).content.decode()
    assert "Connection test failed at “API key”" in plain

    row.base_url = "http://127.0.0.1:9"  # nothing listens; answers are summarised, not echoed
    row.save()
    answer = owner_client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "✗ Reach slskd: no answer (refused, unreachable or timed out)" in answer


def test_the_security_suite_factories_make_objects_an_outsider_cannot_reach(
    owner, outsider_client, owner_client
):
    from tests.downloads.factories import OWNED_OBJECTS

    for name, factory in OWNED_OBJECTS.items():
        url = reverse(name, kwargs=factory(owner))
        assert refused(outsider_answers(outsider_client, url)), name
        owner_answer = owner_client.get(url).status_code
        assert owner_answer in (200, 405), (name, owner_answer)


def test_the_download_button_tag_shows_the_state_of_a_track(slskd, owner, make_track, rf):
    from django.middleware.csrf import get_token
    from django.template import Context, Template

    track = make_track()
    request = rf.get("/library/")
    request.user = owner
    template = Template("{% load downloads %}{% download_button track %}")

    def render() -> str:
        return template.render(
            Context({"track": track, "request": request, "csrf_token": get_token(request)})
        )

    assert 'aria-label="Download Feeling Good"' in render()
    assert "csrfmiddlewaretoken" in render()
    engine.request_download(owner, engine.wanted_from_track(track), track=track)
    assert "Waiting to search" in render()
