import pytest
from django.urls import reverse

from sandbox.spotify.models import SandboxUser
from spotify.models import Connection

PRIVATE_PAGES = [
    "dashboard",
    "library",
    "sync",
    "blocklist",
    "history",
    "activity",
    "settings_home",
    "settings_delete",
]


@pytest.mark.django_db
def test_the_landing_page_offers_connect_spotify_with_csrf(client):
    page = client.get("/").content.decode()
    assert "Connect Spotify" in page
    assert 'action="/accounts/spotify/login/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "vendor/htmx-2.0.11.min.js" in page  # served from static/, no CDN


@pytest.mark.django_db
@pytest.mark.parametrize("name", PRIVATE_PAGES)
def test_logged_out_visitors_are_sent_to_the_landing_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")


@pytest.mark.django_db
def test_the_dashboard_shows_the_sections_and_only_the_users_own_name(client, django_user_model):
    ada = django_user_model.objects.create(username="ada")
    django_user_model.objects.create(username="mallory")
    client.force_login(ada)
    page = client.get("/dashboard/").content.decode()
    for label in ("Library", "Sync", "Blocklist", "History", "Downloads", "Activity"):
        assert f">{label}<" in page
    assert "Coming soon" not in page
    assert "mallory" not in page
    assert "X-CSRFToken" in page  # htmx carries the CSRF header from <body>


@pytest.mark.django_db
def test_the_reconnect_banner_shows_when_spotify_needs_reconnecting(client, django_user_model):
    ada = django_user_model.objects.create(username="ada")
    Connection.objects.create(user=ada).mark_needs_reconnect("invalid_grant")
    client.force_login(ada)
    page = client.get("/dashboard/").content.decode()
    assert "Spotify needs reconnecting" in page
    assert "Reconnect" in page


@pytest.mark.django_db
def test_the_admin_refuses_people_who_are_not_staff(client, django_user_model, admin_user):
    client.force_login(django_user_model.objects.create(username="ada"))
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/spotify/waitlistentry/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/spotify/waitlistentry/").status_code == 200


@pytest.mark.django_db
def test_logout_needs_a_post_with_csrf(django_user_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create(username="ada"))
    assert client.post("/accounts/logout/").status_code == 403


@pytest.mark.django_db
def test_names_from_spotify_render_escaped(client):
    SandboxUser.objects.create(spotify_id="evil", display_name="<script>alert(1)</script>")
    page = client.get(
        "/sandbox-spotify/accounts/authorize",
        {
            "client_id": "tunekeeper-sandbox",
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:8000/accounts/spotify/login/callback/",
        },
    ).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_healthz_answers_without_login(client):
    from config.tasks import beat_heartbeat

    beat_heartbeat()  # a worker is alive
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] is True


@pytest.mark.django_db
def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
