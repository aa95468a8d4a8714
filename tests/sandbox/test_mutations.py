"""The mutation log: applied writes in order, with template, payload, snapshots and a
fingerprint; refused writes are not in it; a write received twice shows up as a duplicate."""

from sandbox.spotify import faults, mutations
from sandbox.spotify.models import FollowedArtist, PlaylistItem, Track


def test_applied_writes_in_order_with_payload_and_snapshot_chain(api, own_playlist):
    path = f"/playlists/{own_playlist.spotify_id}/items"
    tracks = [t.uri for t in Track.objects.order_by("pk")[:3]]
    start = own_playlist.snapshot_id
    first = api.post(path, {"uris": tracks[:2], "position": 1}).json()["snapshot_id"]
    second = api.delete(path, {"items": [{"uri": tracks[0]}], "snapshot_id": first}).json()
    artist = FollowedArtist.objects.filter(user=own_playlist.owner).first().artist
    api.delete(f"/me/library?uris={artist.uri}")
    api.put(f"/playlists/{own_playlist.spotify_id}", {"name": "Renamed"})
    created = api.post("/me/playlists", {"name": "Fresh", "public": False}).json()

    log = mutations.log()
    assert [entry["endpoint"] for entry in log] == [
        "POST /playlists/{id}/items",
        "DELETE /playlists/{id}/items",
        "DELETE /me/library",
        "PUT /playlists/{id}",
        "POST /me/playlists",
    ]
    add, remove, library, rename, create = log
    assert add["payload"] == {"uris": tracks[:2], "position": 1}
    assert (add["snapshot_before"], add["snapshot_after"]) == (start, first)
    assert remove["payload"] == {"items": [tracks[0]], "snapshot_id": first}
    assert remove["snapshot_before"] == first == add["snapshot_after"]
    assert remove["snapshot_after"] == second["snapshot_id"]
    assert rename["snapshot_before"] == second["snapshot_id"] != rename["snapshot_after"]
    assert library["payload"] == {"uris": [artist.uri]}
    assert create["target_id"] == created["id"] and create["status"] == 201
    assert {entry["user"] for entry in log} == {"adalovelace"}
    assert {entry["client_id"] for entry in log} == {"tunekeeper-sandbox"}
    assert [entry["seq"] for entry in log] == sorted(entry["seq"] for entry in log)
    assert mutations.duplicates() == []


def test_refused_and_failed_writes_are_not_logged(api, alan_api, own_playlist):
    path = f"/playlists/{own_playlist.spotify_id}/items"
    track = Track.objects.first().uri
    alan_api.post(path, {"uris": [track]})  # 403: not his
    api.post(path, {"uris": ["spotify:track:bad"]})  # 400
    api.post(f"/playlists/{own_playlist.spotify_id}/tracks", {"uris": [track]})  # 403: removed
    faults.fail_next(429)
    api.post(path, {"uris": [track]})  # refused by the rate limit before it ran
    assert mutations.log() == []
    assert PlaylistItem.objects.filter(playlist=own_playlist).count() == 40


def test_the_same_write_sent_twice_is_a_duplicate(api, own_playlist):
    path = f"/playlists/{own_playlist.spotify_id}/items"
    track = Track.objects.first().uri
    api.post(path, {"uris": [track]})
    api.post(path, {"uris": [track], "position": 0})  # a different request: it has a position
    api.post(path, {"uris": [track]})  # the first one again
    [duplicate] = mutations.duplicates()
    assert duplicate["seq"] == mutations.log()[2]["seq"]
    assert mutations.log()[0]["fingerprint"] == duplicate["fingerprint"]


def test_the_fingerprint_ignores_json_key_order_and_query_order():
    one = mutations.fingerprint("PUT", "/v1/me/library", "b=2&a=1", b'{"x": 1, "y": 2}')
    two = mutations.fingerprint("PUT", "/v1/me/library", "a=1&b=2", b'{"y":2,"x":1}')
    assert one == two
    assert one != mutations.fingerprint("DELETE", "/v1/me/library", "a=1&b=2", b"")


def test_clear(api, own_playlist):
    api.put(f"/playlists/{own_playlist.spotify_id}", {"name": "x"})
    assert len(mutations.log()) == 1
    mutations.clear()
    assert mutations.log() == []
