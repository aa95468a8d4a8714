"""The blocklist pages: ownership, CSRF, adding entries, plans, execute/rollback requests."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core import clock
from enforcement.executor import runner_id
from enforcement.models import (
    ActionBatch,
    AllowEntry,
    BlockEntry,
    BlocklistImport,
    EnforcementSettings,
    EntryKind,
    ImportStatus,
    ItemKind,
)
from enforcement.planner import refresh_estimate
from ops.jobs import JobStatus
from playlists.models import Artist, FollowedArtist, LibraryState
from tests.conftest import outsider_answers, refused
from tests.enforcement.factories import OWNED_OBJECTS, entry, finished_batch, plan_batch
from tests.security.urls import own_routes

pytestmark = pytest.mark.django_db

ARTIST = "6sFIWsNpZYqfjUpaCgueju"
TRACK = "4uLU6hMCjMI75M1A2tKUQC"


def enforcement_routes():
    return [r for r in own_routes() if r.route.startswith("blocklist/")]


def test_every_enforcement_route_with_an_id_is_in_the_security_suite():
    missing = [r.name for r in enforcement_routes() if r.params and r.name not in OWNED_OBJECTS]
    assert missing == []


def test_an_outsider_gets_404_everywhere_and_changes_nothing(owner, outsider_client):
    for name, factory in OWNED_OBJECTS.items():
        url = reverse(name, kwargs=factory(owner))
        assert refused(outsider_answers(outsider_client, url)), name
    # Nothing the outsider posted took effect.
    assert not ActionBatch.objects.filter(user=owner, dry_run=False, status=JobStatus.QUEUED)
    assert (
        ActionBatch.objects.filter(user=owner, dry_run=True)
        .exclude(status=JobStatus.QUEUED)
        .count()
        == 0
    )
    assert not ActionBatch.objects.filter(mode="rollback").exists()
    assert BlockEntry.objects.filter(blocklist__user=owner).exists()


def test_an_outsider_cannot_execute_or_roll_back_a_batch(owner, outsider_client):
    plan = plan_batch(owner)
    done = finished_batch(owner)

    assert outsider_client.post(reverse("enforcement_execute", args=[plan.pk])).status_code == 404
    assert outsider_client.post(reverse("enforcement_rollback", args=[done.pk])).status_code == 404
    assert outsider_client.get(reverse("enforcement_batch", args=[done.pk])).status_code == 404
    plan.refresh_from_db()
    assert plan.dry_run and plan.status == JobStatus.QUEUED
    assert not done.rollbacks.exists()


def test_every_enforcement_post_needs_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for route in enforcement_routes():
        kwargs = OWNED_OBJECTS[route.name](owner) if route.params else {}
        response = client.post(reverse(route.name, kwargs=kwargs), {}, HTTP_HX_REQUEST="true")
        assert response.status_code in (403, 405), (route.name, response.status_code)


def test_logged_out_visitors_are_sent_to_log_in(owner):
    client = Client()
    for route in enforcement_routes():
        kwargs = OWNED_OBJECTS[route.name](owner) if route.params else {}
        response = client.get(reverse(route.name, kwargs=kwargs))
        assert response.status_code in (302, 405), route.name
        if response.status_code == 302:
            assert response["Location"].startswith("/?next=")


def test_the_blocklist_page_shows_lists_followed_artists_and_forms(owner, owner_client):
    entry(owner)
    artist = Artist.objects.create(id=ARTIST, name="Followed One", fetched_at=clock.now())
    FollowedArtist.objects.create(user=owner, artist=artist)

    page = owner_client.get(reverse("blocklist")).content.decode()

    assert "My blocklist" in page and "Someone" in page
    assert "Followed One" in page and 'name="spotify_id" value="6sFIWsNpZYqfjUpaCgueju"' in page
    assert "Plan a dry run" in page and "Import a shared list" in page


def test_pasting_links_and_uris_blocks_them_once(owner, owner_client):
    Artist.objects.create(id=ARTIST, name="Known Artist", fetched_at=clock.now())
    links = f"https://open.spotify.com/artist/{ARTIST}?si=abc\nspotify:artist:{ARTIST}\nnot-a-link"
    owner_client.post(reverse("blocklist_add"), {"links": links, "note": "too loud"})

    entries = BlockEntry.objects.filter(blocklist__user=owner)
    assert list(entries.values_list("kind", "spotify_id", "name", "note")) == [
        ("artist", ARTIST, "Known Artist", "too loud")
    ]


def test_the_block_button_answers_htmx_in_place(owner, owner_client):
    response = owner_client.post(
        reverse("blocklist_block"),
        {"kind": "track", "spotify_id": TRACK, "name": "A song"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Blocked" in response.content.decode()
    again = owner_client.post(
        reverse("blocklist_block"),
        {"kind": "track", "spotify_id": TRACK, "name": "A song"},
        HTTP_HX_REQUEST="true",
    )
    assert "already" in again.content.decode()
    assert BlockEntry.objects.filter(blocklist__user=owner, kind="track").count() == 1
    bad = owner_client.post(reverse("blocklist_block"), {"kind": "track", "spotify_id": "x"})
    assert bad.status_code == 400


def test_searching_the_catalog_costs_no_spotify_call(owner, owner_client):
    Artist.objects.create(id=ARTIST, name="Velvet Owls", fetched_at=clock.now())
    response = owner_client.get(
        reverse("blocklist_search"), {"q": "velvet"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "Velvet Owls" in body and "Block" in body


def test_allowlist_takes_tracks_and_albums_not_artists(owner, owner_client):
    owner_client.post(
        reverse("blocklist_allow_add"),
        {"links": f"spotify:track:{TRACK} spotify:artist:{ARTIST}"},
    )
    assert list(AllowEntry.objects.filter(user=owner).values_list("kind", "spotify_id")) == [
        ("track", TRACK)
    ]


def test_automatic_enforcement_is_on_only_once_its_first_plan_is_approved(owner, owner_client):
    owner_client.get(reverse("blocklist"))
    assert not EnforcementSettings.objects.filter(user=owner, automatic=True).exists()
    response = owner_client.post(reverse("blocklist_preferences"), {"automatic": "on"})
    first = ActionBatch.objects.get(user=owner)
    assert first.dry_run and first.origin == "automatic"
    assert response["Location"] == reverse("enforcement_batch", args=[first.pk])
    assert not EnforcementSettings.objects.get(user=owner).automatic
    page = owner_client.get(response["Location"]).content.decode()
    assert "Approve and turn on automatic enforcement" in page

    owner_client.post(reverse("enforcement_execute", args=[first.pk]))
    settings_ = EnforcementSettings.objects.get(user=owner)
    assert settings_.automatic and settings_.last_automatic_at is not None
    owner_client.post(reverse("blocklist_preferences"), {})
    assert not EnforcementSettings.objects.get(user=owner).automatic


def test_exporting_then_importing_round_trips_and_a_newer_version_shows_changes(
    owner, owner_client, django_user_model
):
    entry(owner)
    entry(owner, EntryKind.TRACK, TRACK)
    exported = owner_client.get(
        reverse("blocklist_export", args=[entry(owner).blocklist_id, "json"])
    )
    assert exported["Content-Disposition"].startswith('attachment; filename="My-blocklist-v')
    document = json.loads(exported.content)

    friend = django_user_model.objects.create(username="friend")
    client = Client()
    client.force_login(friend)
    document["name"] = "Owner's list"
    upload = _upload("list.json", json.dumps(document))
    review = client.post(reverse("blocklist_import"), {"file": upload}, follow=True)
    assert "A new list" in review.content.decode()
    staged = BlocklistImport.objects.get(user=friend)
    client.post(reverse("blocklist_import_review", args=[staged.pk]), {"action": "apply"})
    imported = friend.blocklists.get(name="Owner's list")
    assert imported.imported and imported.entries.count() == 2

    document["version"] += 1
    new_album = {"kind": "album", "spotify_id": "1DFixLWuPkv3KT3TnV35m3", "name": "New album"}
    document["entries"] = [*document["entries"][:1], new_album]
    upload = _upload("list.json", json.dumps(document))
    review = client.post(
        reverse("blocklist_import"), {"file": upload}, follow=True
    ).content.decode()
    assert "This file is newer" in review
    assert "<strong>1</strong> added, <strong>1</strong> removed" in review
    staged = BlocklistImport.objects.filter(user=friend, status=ImportStatus.PENDING).get()
    client.post(reverse("blocklist_import_review", args=[staged.pk]), {"action": "apply"})
    imported.refresh_from_db()
    assert imported.version == document["version"]
    assert set(imported.entries.values_list("kind", flat=True)) == {
        "album",
        document["entries"][0]["kind"],
    }


def test_csv_import_keeps_the_lists_name_and_version(owner, owner_client):
    text = (
        "list_name,list_version,kind,spotify_id,name,include_featured,note\n"
        f"Shared,4,artist,{ARTIST},Someone,true,loud\n"
        f"Shared,4,track,https://open.spotify.com/track/{TRACK},A song,,\n"
    )
    owner_client.post(reverse("blocklist_import"), {"file": _upload("x.csv", text)})
    staged = BlocklistImport.objects.get(user=owner)
    assert (staged.name, staged.version) == ("Shared", 4)
    assert staged.entries[0]["include_featured"] is True
    assert staged.entries[1]["spotify_id"] == TRACK


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.json", "{not json", "not valid JSON"),
        (
            "x.json",
            '{"name": "X", "entries": [{"kind": "song", "spotify_id": "1"}]}',
            "kind must be",
        ),
        ("x.csv", "a,b\n1,2\n", "header row"),
        ("x.json", b"\xff\xfe\x00", "not UTF-8"),
        ("x.json", "", "empty"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_nothing_is_staged(
    owner, owner_client, name, content, message
):
    response = owner_client.post(
        reverse("blocklist_import"), {"file": _upload(name, content)}, follow=True
    )
    assert message in response.content.decode()
    assert not BlocklistImport.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(owner, owner_client):
    big = "x" * (2 * 1024 * 1024 + 10)
    response = owner_client.post(
        reverse("blocklist_import"), {"file": _upload("big.csv", big)}, follow=True
    )
    assert "at most 2 MB" in response.content.decode()
    assert not BlocklistImport.objects.exists()


def test_executing_a_plan_twice_enqueues_it_once(
    owner, owner_client, django_capture_on_commit_callbacks
):
    plan = plan_batch(owner)
    url = reverse("enforcement_execute", args=[plan.pk])
    with django_capture_on_commit_callbacks(execute=False) as first:
        owner_client.post(url)
    with django_capture_on_commit_callbacks(execute=False) as second:
        owner_client.post(url)

    plan.refresh_from_db()
    assert not plan.dry_run and plan.idempotency_key == f"execute-plan-{plan.pk}"
    assert (len(first), len(second)) == (1, 0)


def test_a_second_batch_waits_for_the_running_one(owner, owner_client):
    running = plan_batch(owner)
    owner_client.post(reverse("enforcement_execute", args=[running.pk]))
    other = plan_batch(owner)

    response = owner_client.post(reverse("enforcement_execute", args=[other.pk]), follow=True)

    assert "still running" in response.content.decode()
    other.refresh_from_db()
    assert other.dry_run


def test_a_discarded_plan_cannot_be_executed(owner, owner_client):
    plan = plan_batch(owner)
    owner_client.post(reverse("enforcement_discard", args=[plan.pk]))
    response = owner_client.post(reverse("enforcement_execute", args=[plan.pk]), follow=True)
    plan.refresh_from_db()
    assert plan.status == JobStatus.CANCELLED and plan.dry_run
    assert "discarded" in response.content.decode()


def test_rollback_is_refused_after_the_window(owner, owner_client, settings):
    batch = finished_batch(owner)
    ActionBatch.objects.filter(pk=batch.pk).update(
        finished_at=clock.now() - timedelta(days=settings.ROLLBACK_DAYS + 1)
    )
    response = owner_client.post(reverse("enforcement_rollback", args=[batch.pk]), follow=True)
    assert "no longer be rolled back" in response.content.decode()
    assert not batch.rollbacks.exists()


def _upload(name, content):
    data = content if isinstance(content, bytes) else content.encode()
    return SimpleUploadedFile(name, data)


def test_the_plan_page_groups_items_and_toggling_updates_the_estimate(owner, owner_client):
    plan = plan_batch(owner)
    for number in range(41):
        plan.items.create(
            kind=ItemKind.LIKED_TRACK, uri=f"spotify:track:{number:022d}", label=f"Song {number}"
        )
    plan.items.create(
        kind=ItemKind.PLAYLIST_ITEM,
        uri=f"spotify:track:{TRACK}",
        label="In a playlist",
        playlist_spotify_id="p" * 22,
        playlist_name="Road trip",
        before={
            "positions": [{"position": 3, "added_at": None, "added_by": "owner"}],
            "snapshot_id": "s",
        },
    )
    refresh_estimate(plan)
    page = owner_client.get(reverse("enforcement_batch", args=[plan.pk])).content.decode()
    assert "Liked songs: 41" in page and "Playlist “Road trip”: 1" in page
    assert 'data-testid="calls-needed">3<' in page  # 2 library chunks + 1 playlist chunk
    assert "cannot restore it all exactly" in page

    one = plan.items.filter(kind=ItemKind.LIKED_TRACK).first()
    response = owner_client.post(
        reverse("enforcement_select", args=[plan.pk]), {"item": one.pk}, HTTP_HX_REQUEST="true"
    )
    assert 'data-testid="calls-needed">2<' in response.content.decode()
    owner_client.post(
        reverse("enforcement_select", args=[plan.pk]),
        {"group": "playlist:" + "p" * 22, "selected": "0"},
    )
    plan.refresh_from_db()
    assert (plan.total, plan.calls_estimated) == (40, 1)


def test_the_rescue_finds_batches_whose_worker_went_quiet(django_user_model):
    """One claim protocol for every job: a batch is lost when its heartbeat is older than the
    kind's limit, wherever its runner ran (no pid or /proc look-ups)."""
    now = clock.now()

    def running(name, runner, heartbeat):
        user = django_user_model.objects.create(username=name)
        return ActionBatch.objects.create(
            user=user,
            dry_run=False,
            status=JobStatus.RUNNING,
            runner=runner,
            heartbeat_at=heartbeat,
        )

    running("alive", runner_id(), now)
    dead = running("dead", runner_id(), now - ActionBatch.lost_after() - timedelta(seconds=1))
    quiet = running("quiet", "elsewhere:1:x", now - timedelta(hours=1))
    running("busy-elsewhere", "elsewhere:2:x", now)

    lost = ActionBatch.waiting_for_a_worker().values_list("pk", flat=True)
    assert sorted(lost) == sorted([dead.pk, quiet.pk])


def test_rolling_back_the_ticked_items_with_none_ticked_rolls_back_nothing(owner, owner_client):
    batch = finished_batch(owner)
    batch.items.create(kind=ItemKind.LIKED_TRACK, uri=f"spotify:track:{TRACK}", status="done")
    response = owner_client.post(
        reverse("enforcement_rollback", args=[batch.pk]), {"selection": "1"}, follow=True
    )
    assert "Tick the items" in response.content.decode()
    assert not batch.rollbacks.exists()


def test_a_plan_older_than_the_mirror_says_so(owner, owner_client):
    plan = plan_batch(owner)
    LibraryState.objects.create(user=owner, refreshed_at=clock.now())
    page = owner_client.get(reverse("enforcement_batch", args=[plan.pk])).content.decode()
    assert "refreshed after this plan was made" in page
