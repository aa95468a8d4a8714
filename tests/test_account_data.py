"""Settings → Your data: Download my data holds the person's rows and nobody else's; Delete my
data leaves no row of theirs in any app (found by walking every model's foreign keys to the
user, directly or through parents) while another person's rows stay; Disconnect drops the
Spotify tokens."""

import io
import json
import zipfile

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse

from archive.importer import create_job, run_import_job
from archive.models import PlayEvent
from archive.tasks import claim
from spotify.models import ApiCall, Connection
from sync import schedules
from sync.models import Schedule
from tests.archive.factories import extended_record, json_upload, make_user
from tests.security.test_ownership_and_csrf import OWNED_OBJECTS
from tests.sync.factories import NOW, owned_base

pytestmark = pytest.mark.django_db


def lookups_to_user(depth: int = 4) -> dict:
    """model → every ORM path from its rows to a user, found by following foreign keys
    (written here, apart from the code under test, so a gap in one is not hidden by the other)."""
    user_model = get_user_model()
    found: dict = {}

    def walk(model, prefix, seen, level):
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.related_model is None:
                continue
            path = f"{prefix}{field.name}"
            if field.related_model is user_model:
                yield path
            elif level < depth and field.related_model not in seen:
                yield from walk(
                    field.related_model, f"{path}__", seen | {field.related_model}, level + 1
                )

    for model in apps.get_models():
        if model is user_model:
            continue
        paths = sorted(set(walk(model, "", {model}, 1)))
        if paths:
            found[model] = paths
    return found


def rows_of(user) -> dict[str, int]:
    counts = {}
    for model, paths in lookups_to_user().items():
        for path in paths:
            n = model._default_manager.filter(**{path: user.pk}).count()
            if n:
                counts[f"{model._meta.label} via {path}"] = n
    return counts


def a_full_life(username: str):
    """A person with rows in every app: each owned-object factory of the security suite, a
    history import, a scheduled base, an API token, a Spotify login and call ledger rows."""
    user = make_user(username, time_zone="Europe/Berlin")
    records = [extended_record(n % 3, NOW.replace(hour=n)) for n in range(12)]
    run_import_job(
        claim(create_job(user, [json_upload("Streaming_History_Audio.json", records)]).pk)
    )
    for factory in OWNED_OBJECTS.values():
        factory(user)
    base = owned_base(user)
    base.schedule = Schedule.DAILY
    base.save()
    schedules.apply_schedule(base)
    app, _ = SocialApp.objects.get_or_create(provider="spotify", defaults={"name": "Spotify"})
    account = SocialAccount.objects.create(user=user, provider="spotify", uid=f"sp-{username}")
    SocialToken.objects.create(
        app=app, account=account, token="SECRET-ACCESS-1", token_secret="SECRET-REFRESH-1"
    )
    Connection.objects.create(user=user)
    ApiCall.objects.create(
        at=NOW,
        app="sandbox",
        user=user,
        method="GET",
        endpoint="GET /me",
        status=200,
        duration_ms=5,
        purpose="interactive",
    )
    return user


def test_delete_my_data_leaves_no_row_of_the_person_and_keeps_the_others(client):
    ada, bob = a_full_life("ada"), a_full_life("bob")
    before_ada, before_bob = rows_of(ada), rows_of(bob)
    apps_with_rows = {key.split(".")[0] for key in before_ada}
    # The walk reaches deep rows (items of playlists, items of batches…) in every app.
    assert {"archive", "sync", "enforcement", "playlists", "downloads", "api", "spotify"} <= (
        apps_with_rows
    ), apps_with_rows
    assert any("__" in key.split(" via ")[1] for key in before_ada)
    task_names = set(
        schedules.PeriodicTask.objects.filter(name__startswith="sync-base-").values_list(
            "name", flat=True
        )
    )

    client.force_login(ada)
    confirm = client.get(reverse("settings_delete"))
    assert confirm.status_code == 200
    plays = PlayEvent.objects.filter(user=ada).count()
    assert plays >= 12  # the import's twelve, and any the security factories played
    assert f'Play events</td><td data-label="Rows">{plays}<' in confirm.content.decode()
    refused = client.post(reverse("settings_delete"), {"confirm": "bob"})
    assert refused.status_code == 400
    assert rows_of(ada) == before_ada  # a wrong confirmation deletes nothing

    response = client.post(reverse("settings_delete"), {"confirm": "ada"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(username="ada").exists()
    assert rows_of(ada) == {}
    assert rows_of(bob) == before_bob
    assert not SocialToken.objects.filter(account__uid="sp-ada").exists()
    # Ada's scheduled sync left beat too; Bob's stays.
    left = set(
        schedules.PeriodicTask.objects.filter(name__startswith="sync-base-").values_list(
            "name", flat=True
        )
    )
    assert len(left) == len(task_names) - 1
    assert client.get(reverse("dashboard")).status_code == 302  # signed out


def test_download_my_data_holds_the_persons_rows_and_no_secrets(client):
    ada, bob = a_full_life("ada"), a_full_life("bob")
    client.force_login(ada)
    assert client.get(reverse("settings_export")).status_code == 405  # a POST, with CSRF
    response = client.post(reverse("settings_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"README.txt", "account.json", "json/archive-playevent.json"} <= names
    assert "csv/archive-playevent.csv" in names
    plays = json.loads(archive.read("json/archive-playevent.json"))
    assert len(plays) == PlayEvent.objects.filter(user=ada).count() >= 12
    assert {row["user_id"] for row in plays} == {ada.pk}
    bases = json.loads(archive.read("json/sync-baseplaylist.json"))
    assert bases and {row["user_id"] for row in bases} == {ada.pk}
    everything = b"".join(archive.read(name) for name in names)
    assert b"SECRET-" not in everything and b"token_hash" not in everything
    assert json.loads(archive.read("account.json"))["username"] == "ada"
    assert b'"password"' not in archive.read("account.json")
    assert bob.username.encode() not in archive.read("account.json")


def test_disconnect_spotify_drops_the_tokens_and_asks_to_reconnect(client):
    ada = a_full_life("ada")
    client.force_login(ada)
    page = client.get(reverse("settings_home")).content.decode()
    assert "Disconnect Spotify" in page and "API tokens" in page and "Time zone" in page
    response = client.post(reverse("settings_disconnect"))
    assert response.status_code == 302
    assert not SocialToken.objects.filter(account__user=ada).exists()
    assert Connection.objects.get(user=ada).needs_reconnect
    page = client.get(reverse("settings_home")).content.decode()
    assert "Reconnect Spotify" in page and "Disconnect Spotify" not in page
    assert SocialAccount.objects.filter(user=ada).exists()  # the login stays; only tokens go


def test_the_time_zone_is_set_in_settings(client):
    ada = make_user("ada")
    client.force_login(ada)
    response = client.post(reverse("history_time_zone"), {"time_zone": "Asia/Tokyo"})
    assert response["Location"] == reverse("settings_home")
    page = client.get(reverse("settings_home")).content.decode()
    assert '<option value="Asia/Tokyo" selected>' in page
