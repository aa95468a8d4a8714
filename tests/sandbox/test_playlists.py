"""Playlists: owner/collaborator rules, item writes (add at a position, replace, reorder, remove
every occurrence), a new snapshot on every write, limits, the removed /tracks path."""

import pytest

from sandbox.spotify import faults
from sandbox.spotify.models import Playlist, PlaylistItem, Track


def uris(playlist) -> list[str]:
    return list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("uri", flat=True)
    )


def positions(playlist) -> list[int]:
    return list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("position", flat=True)
    )


def fresh_tracks(playlist, count: int) -> list[str]:
    present = set(uris(playlist))
    return [t.uri for t in Track.objects.order_by("pk") if t.uri not in present][:count]


def items_path(playlist) -> str:
    return f"/playlists/{playlist.spotify_id}/items"


# --- Who may read and write ---------------------------------------------------------------------


def test_an_outsider_gets_403_for_items_and_no_items_in_the_playlist(alan_api, own_playlist):
    assert alan_api.get(items_path(own_playlist)).status_code == 403
    data = alan_api.get(f"/playlists/{own_playlist.spotify_id}").json()
    assert data["id"] == own_playlist.spotify_id and data["snapshot_id"]
    assert "items" not in data
    track = Track.objects.first().uri
    for response in (
        alan_api.post(items_path(own_playlist), {"uris": [track]}),
        alan_api.put(items_path(own_playlist), {"uris": [track]}),
        alan_api.delete(items_path(own_playlist), {"items": [{"uri": track}]}),
        alan_api.put(f"/playlists/{own_playlist.spotify_id}", {"name": "Mine now"}),
    ):
        assert response.status_code == 403
        assert response.json() == {"error": {"status": 403, "message": "Forbidden"}}
    assert PlaylistItem.objects.filter(playlist=own_playlist).count() == 40


def test_a_collaborator_reads_and_writes_items_but_not_details(grace_api, shared_playlist):
    assert grace_api.get(items_path(shared_playlist)).status_code == 200
    assert "items" in grace_api.get(f"/playlists/{shared_playlist.spotify_id}").json()
    [track] = fresh_tracks(shared_playlist, 1)
    added = grace_api.post(items_path(shared_playlist), {"uris": [track]})
    assert added.status_code == 201
    row = PlaylistItem.objects.get(playlist=shared_playlist, uri=track)
    assert row.added_by.spotify_id == "gracehopper"
    renamed = grace_api.put(f"/playlists/{shared_playlist.spotify_id}", {"name": "Grace's"})
    assert renamed.status_code == 403


def test_the_seeded_collaborative_playlist_has_items_added_by_both(api, shared_playlist):
    rows, _ = api.walk(items_path(shared_playlist), limit=50)
    adders = {row["added_by"]["id"] for row in rows if row["added_by"]}
    assert adders == {"adalovelace", "gracehopper"}


def test_a_playlist_is_in_the_library_of_owner_and_collaborator(grace_api, shared_playlist):
    ids = [p["id"] for p in grace_api.get("/me/playlists").json()["items"]]
    assert shared_playlist.spotify_id in ids


def test_unknown_and_malformed_playlist_ids(api, library):
    assert api.get("/playlists/0000000000000000000000").status_code == 404
    bad = api.get("/playlists/not-an-id/items")
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "Invalid base62 id"


def test_scopes_are_checked(client, ada, own_playlist):
    from tests.sandbox.conftest import SandboxApi

    reader = SandboxApi(client, ada, scope="playlist-read-private")
    assert reader.get(items_path(own_playlist)).status_code == 200
    refused = reader.post(items_path(own_playlist), {"uris": [Track.objects.first().uri]})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Insufficient client scope"


# --- Reading ------------------------------------------------------------------------------------


def test_items_carry_local_files_and_unavailable_rows(api, own_playlist):
    rows, _ = api.walk(items_path(own_playlist), limit=50)
    assert [row["item"]["uri"] if row["item"] else None for row in rows] == [
        None
        if u.startswith("spotify:track:")
        and not Track.objects.filter(spotify_id=u.split(":")[2]).exists()
        else u
        for u in uris(own_playlist)
    ]
    local = [row for row in rows if row["is_local"]]
    assert local, "the seed puts local files in playlists"
    item = local[0]["item"]
    assert item["is_local"] is True and item["id"] is None and item["href"] is None
    assert item["uri"].startswith("spotify:local:") and item["name"]
    assert item["artists"][0]["name"] and item["album"]["name"]
    assert any(row["item"] is None and not row["is_local"] for row in rows)


def test_fields_snapshot_id_returns_only_the_snapshot(api, own_playlist):
    data = api.get(f"/playlists/{own_playlist.spotify_id}", fields="snapshot_id").json()
    assert data == {"snapshot_id": own_playlist.snapshot_id}


def test_fields_drill_into_items(api, own_playlist):
    data = api.get(
        items_path(own_playlist), fields="total,items(added_at,item(name,album(name)))"
    ).json()
    assert set(data) == {"total", "items"}
    first = next(row for row in data["items"] if row["item"])
    assert set(first) == {"added_at", "item"}
    assert set(first["item"]) == {"name", "album"} and set(first["item"]["album"]) == {"name"}
    assert api.get(items_path(own_playlist), fields="items(").status_code == 400


def test_item_keys_can_be_forced_to_the_old_track_key(api, own_playlist):
    faults.configure(playlist_item_keys="track")
    row = api.get(items_path(own_playlist)).json()["items"][0]
    assert "track" in row and "item" not in row


# --- Writing ------------------------------------------------------------------------------------


def test_add_appends_or_inserts_at_a_position(api, own_playlist):
    before = uris(own_playlist)
    new = fresh_tracks(own_playlist, 3)
    response = api.post(items_path(own_playlist), {"uris": new[:2], "position": 5})
    assert response.status_code == 201
    assert uris(own_playlist) == before[:5] + new[:2] + before[5:]
    api.post(items_path(own_playlist), {"uris": new[2:]})
    assert uris(own_playlist)[-1] == new[2]
    assert positions(own_playlist) == list(range(43))


def test_add_takes_uris_from_the_query_string_first(api, own_playlist):
    new = fresh_tracks(own_playlist, 2)
    response = api.post(f"{items_path(own_playlist)}?uris={new[0]}&position=0", {"uris": [new[1]]})
    assert response.status_code == 201
    assert uris(own_playlist)[0] == new[0] and new[1] not in uris(own_playlist)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"uris": []}, "No uris provided"),
        ({"uris": ["spotify:album:4aawyAB9vmqN3uQ7FjRGTy"]}, "JSON body contains an invalid"),
        ({"uris": ["spotify:track:short"]}, "Invalid base62 id"),
        ({"uris": ["spotify:track:0000000000000000000000"]}, "non-existing ID"),
        ({"uris": ["x"], "position": 9999}, "invalid track uri"),
    ],
)
def test_add_refuses_bad_uris(api, own_playlist, body, message):
    snapshot = own_playlist.snapshot_id
    response = api.post(items_path(own_playlist), body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    own_playlist.refresh_from_db()
    assert own_playlist.snapshot_id == snapshot  # refused writes change nothing


def test_add_refuses_more_than_100_and_positions_past_the_end(api, own_playlist):
    track = Track.objects.first().uri
    too_many = api.post(items_path(own_playlist), {"uris": [track] * 101})
    assert too_many.status_code == 400
    assert "maximum of 100" in too_many.json()["error"]["message"]
    assert api.post(items_path(own_playlist), {"uris": [track] * 100}).status_code == 201
    out_of_bounds = api.post(items_path(own_playlist), {"uris": [track], "position": 141})
    assert out_of_bounds.status_code == 400


def test_remove_takes_out_every_occurrence(api, own_playlist):
    track = fresh_tracks(own_playlist, 1)[0]
    for position in (0, 10, 20):
        api.post(items_path(own_playlist), {"uris": [track], "position": position})
    assert uris(own_playlist).count(track) == 3
    before = [u for u in uris(own_playlist) if u != track]
    response = api.delete(
        items_path(own_playlist),
        {"items": [{"uri": track, "positions": [0]}], "snapshot_id": own_playlist.snapshot_id},
    )
    assert response.status_code == 200
    assert uris(own_playlist) == before  # all three gone; positions were ignored
    assert positions(own_playlist) == list(range(len(before)))


def test_remove_finds_local_files_and_unavailable_rows_by_uri(api, own_playlist):
    rows = PlaylistItem.objects.filter(playlist=own_playlist)
    local = rows.filter(is_local=True).first().uri
    gone = rows.filter(is_local=False, track__isnull=True).first().uri
    api.delete(items_path(own_playlist), {"items": [{"uri": local}, {"uri": gone}]})
    assert local not in uris(own_playlist) and gone not in uris(own_playlist)


def test_remove_limits(api, own_playlist):
    track = Track.objects.first().uri
    assert api.delete(items_path(own_playlist), {"items": []}).status_code == 400
    assert api.delete(items_path(own_playlist), {"tracks": [{"uri": track}]}).status_code == 400
    many = api.delete(items_path(own_playlist), {"items": [{"uri": track}] * 101})
    assert many.status_code == 400


def test_replace_sets_the_whole_list_and_an_empty_list_clears_it(api, own_playlist):
    new = fresh_tracks(own_playlist, 4)
    assert api.put(items_path(own_playlist), {"uris": new}).status_code == 200
    assert uris(own_playlist) == new
    assert api.put(items_path(own_playlist), {"uris": []}).status_code == 200
    assert uris(own_playlist) == []


@pytest.mark.parametrize(
    ("range_start", "insert_before", "range_length", "expected"),
    [
        (0, 10, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]),  # first to last
        (9, 0, 1, [9, 0, 1, 2, 3, 4, 5, 6, 7, 8]),  # last to first
        (2, 7, 3, [0, 1, 5, 6, 2, 3, 4, 7, 8, 9]),  # a block forwards
        (6, 1, 2, [0, 6, 7, 1, 2, 3, 4, 5, 8, 9]),  # a block backwards
        (3, 4, 2, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),  # inside itself: no change
    ],
)
def test_reorder(api, own_playlist, range_start, insert_before, range_length, expected):
    start = fresh_tracks(own_playlist, 10)
    api.put(items_path(own_playlist), {"uris": start})
    snapshot = Playlist.objects.get(pk=own_playlist.pk).snapshot_id
    response = api.put(
        items_path(own_playlist),
        {
            "range_start": range_start,
            "insert_before": insert_before,
            "range_length": range_length,
            "snapshot_id": snapshot,
        },
    )
    assert response.status_code == 200
    assert response.json()["snapshot_id"] != snapshot
    assert uris(own_playlist) == [start[i] for i in expected]
    assert positions(own_playlist) == list(range(10))


def test_reorder_bounds_and_mixing_with_replace(api, own_playlist):
    path = items_path(own_playlist)
    assert api.put(path, {"range_start": 40, "insert_before": 0}).status_code == 400
    assert api.put(path, {"range_start": 0, "insert_before": 41}).status_code == 400
    assert (
        api.put(path, {"range_start": 39, "insert_before": 0, "range_length": 2}).status_code == 400
    )
    mixed = api.put(path, {"range_start": 0, "insert_before": 2, "uris": []})
    assert mixed.status_code == 400


def test_every_write_makes_a_new_snapshot_even_one_that_changes_nothing(api, own_playlist):
    path = items_path(own_playlist)
    track = fresh_tracks(own_playlist, 1)[0]
    seen = [api.get(f"/playlists/{own_playlist.spotify_id}", fields="snapshot_id").json()]
    for write in (
        lambda: api.post(path, {"uris": [track]}),
        lambda: api.put(path, {"range_start": 0, "insert_before": 1}),  # a no-op move
        lambda: api.delete(path, {"items": [{"uri": "spotify:track:0000000000000000000000"}]}),
        lambda: api.put(f"/playlists/{own_playlist.spotify_id}", {"description": "new words"}),
        lambda: api.put(path, {"uris": [track]}),
    ):
        assert write().status_code in (200, 201)
        seen.append(api.get(f"/playlists/{own_playlist.spotify_id}", fields="snapshot_id").json())
    snapshots = [entry["snapshot_id"] for entry in seen]
    assert len(set(snapshots)) == len(snapshots) == 6


def test_reads_do_not_change_the_snapshot(api, own_playlist):
    first = api.get(f"/playlists/{own_playlist.spotify_id}").json()["snapshot_id"]
    api.get(items_path(own_playlist))
    assert api.get(f"/playlists/{own_playlist.spotify_id}").json()["snapshot_id"] == first


# --- Creating and changing playlists --------------------------------------------------------------


def test_create_a_playlist(api, library):
    response = api.post(
        "/me/playlists", {"name": "Blocklist-free", "public": False, "description": "clean"}
    )
    assert response.status_code == 201
    data = response.json()
    assert data["owner"]["id"] == "adalovelace" and data["public"] is False
    assert data["items"]["total"] == 0
    assert api.get("/me/playlists").json()["items"][0]["id"] == data["id"]
    assert api.get(f"/playlists/{data['id']}/items").json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x", "public": True, "collaborative": True}, {"name": 5}],
)
def test_create_refuses_bad_bodies(api, library, body):
    assert api.post("/me/playlists", body).status_code == 400


def test_change_details(api, own_playlist):
    response = api.put(
        f"/playlists/{own_playlist.spotify_id}",
        {"name": "Renamed", "public": False, "collaborative": True},
    )
    assert response.status_code == 200 and response.content == b""
    own_playlist.refresh_from_db()
    assert (own_playlist.name, own_playlist.public, own_playlist.collaborative) == (
        "Renamed",
        False,
        True,
    )
    public_collab = api.put(f"/playlists/{own_playlist.spotify_id}", {"public": True})
    assert public_collab.status_code == 400


# --- The old /tracks path -------------------------------------------------------------------------


def test_the_old_tracks_path_is_403_in_development_mode(api, own_playlist):
    path = f"/playlists/{own_playlist.spotify_id}/tracks"
    track = Track.objects.first().uri
    for response in (
        api.get(path),
        api.post(path, {"uris": [track]}),
        api.put(path, {"uris": [track]}),
        api.delete(path, {"tracks": [{"uri": track}]}),
    ):
        assert response.status_code == 403
    assert PlaylistItem.objects.filter(playlist=own_playlist).count() == 40


def test_the_old_tracks_path_works_in_extended_mode(api, own_playlist, extended):
    path = f"/playlists/{own_playlist.spotify_id}/tracks"
    page = api.get(path).json()
    assert page["total"] == 40 and "track" in page["items"][0]
    track = fresh_tracks(own_playlist, 1)[0]
    assert api.post(path, {"uris": [track]}).status_code == 201
    assert api.delete(path, {"tracks": [{"uri": track}]}).status_code == 200
    assert track not in uris(own_playlist)


def test_other_users_and_their_playlists_are_removed_in_development_mode(api, library):
    assert api.get("/users/gracehopper").status_code == 403
    assert api.get("/users/gracehopper/playlists").status_code == 403
    assert api.post("/users/adalovelace/playlists", {"name": "x"}).status_code == 403


def test_other_users_and_their_public_playlists_in_extended_mode(api, grace_api, library, extended):
    profile = grace_api.get("/users/adalovelace").json()
    assert profile["id"] == "adalovelace" and "account_id" not in profile
    public = Playlist.objects.filter(owner=library, public=True).count()
    assert grace_api.get("/users/adalovelace/playlists").json()["total"] == public
    assert api.get("/users/adalovelace/playlists").json()["total"] == 2
    assert api.post("/users/adalovelace/playlists", {"name": "Old way"}).status_code == 201
    assert api.post("/users/gracehopper/playlists", {"name": "Hers"}).status_code == 403
    assert api.get("/users/nobody").status_code == 404
