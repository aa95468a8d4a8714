"""Paging objects: limit/offset bounds (400 outside them), absolute next/previous URLs built from
the request, walking a list with `next` visits every item once; and reads stay cheap: a page of
a playlist costs the same few queries however long the playlist is."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sandbox.spotify.models import PlaylistItem, SavedTrack
from sandbox.spotify.seed import seed_playlist


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/me/playlists", {}),
        ("/me/tracks", {}),
        ("/me/albums", {}),
        ("/playlists/{id}/items", {}),
        ("/search", {"q": "the", "type": "track"}),
    ],
)
@pytest.mark.parametrize("bad", [{"limit": 0}, {"limit": 51}, {"limit": "x"}, {"offset": -1}])
def test_limits_and_offsets_out_of_bounds_are_400(api, own_playlist, path, params, bad):
    response = api.get(path.replace("{id}", own_playlist.spotify_id), **params, **bad)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Invalid ")


def test_my_playlists_offset_stops_at_100000(api, library):
    assert api.get("/me/playlists", offset=100_000).status_code == 200
    assert api.get("/me/playlists", offset=100_001).status_code == 400


def test_next_and_previous_are_absolute_urls_built_from_the_request(api, own_playlist):
    page = api.get(f"/playlists/{own_playlist.spotify_id}/items", limit=15, offset=15).json()
    assert page["href"].startswith("http://testserver/sandbox-spotify/v1/playlists/")
    query = parse_qs(urlsplit(page["next"]).query)
    assert query == {"limit": ["15"], "offset": ["30"]}
    assert parse_qs(urlsplit(page["previous"]).query) == {"limit": ["15"], "offset": ["0"]}
    assert (page["limit"], page["offset"], page["total"]) == (15, 15, 40)
    last = api.get(page["next"]).json()
    assert last["next"] is None and len(last["items"]) == 10
    first = api.get(page["previous"]).json()
    assert first["previous"] is None


def test_next_keeps_the_other_query_parameters(api, own_playlist):
    page = api.get(
        f"/playlists/{own_playlist.spotify_id}/items", limit=10, fields="items(added_at),next"
    ).json()
    assert "fields=" in page["next"]
    assert set(api.get(page["next"]).json()) == {"items", "next"}


def test_walking_liked_songs_visits_each_once_newest_first(api, library):
    rows, requests = api.walk("/me/tracks", limit=20)
    assert requests == 3  # 45 liked songs
    expected = list(
        SavedTrack.objects.filter(user=library)
        .order_by("-added_at", "-id")
        .values_list("track__spotify_id", flat=True)
    )
    assert [row["track"]["id"] for row in rows] == expected
    assert [row["added_at"] for row in rows] == sorted(
        (row["added_at"] for row in rows), reverse=True
    )


def test_default_limit_is_20_and_past_the_end_is_empty(api, own_playlist):
    page = api.get(f"/playlists/{own_playlist.spotify_id}/items").json()
    assert page["limit"] == 20 and len(page["items"]) == 20
    beyond = api.get(f"/playlists/{own_playlist.spotify_id}/items", offset=1000).json()
    assert beyond["items"] == [] and beyond["next"] is None and beyond["total"] == 40


def test_followed_artists_use_cursor_paging(api, library):
    first = api.get("/me/following", type="artist", limit=4).json()["artists"]
    assert first["total"] == 9 and len(first["items"]) == 4
    assert first["cursors"]["after"] == first["items"][-1]["id"]
    assert parse_qs(urlsplit(first["next"]).query)["after"] == [first["cursors"]["after"]]
    seen = [artist["id"] for artist in first["items"]]
    page = first
    while page["next"]:
        page = api.get(page["next"]).json()["artists"]
        seen.extend(artist["id"] for artist in page["items"])
    assert len(seen) == len(set(seen)) == 9
    assert page["cursors"]["after"] is None
    assert api.get("/me/following", type="album").status_code == 400


def test_a_page_of_a_long_playlist_costs_a_fixed_number_of_queries(api, ada):
    short = seed_playlist(ada, items=60, tracks=500)
    long = seed_playlist(ada, items=3000, tracks=500)
    api.get("/me")  # issue the token outside the measurement

    def queries(playlist, offset):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(f"/playlists/{playlist.spotify_id}/items", limit=50, offset=offset)
        assert response.status_code == 200 and len(response.json()["items"]) == 50
        return len(captured)

    counts = {queries(short, 0), queries(long, 0), queries(long, 2900)}
    assert len(counts) == 1, counts  # no N+1: the same queries for any page of any playlist
    assert counts.pop() <= 8


def test_paging_a_10000_item_playlist_takes_200_requests_and_seconds(api, ada):
    import time

    playlist = seed_playlist(ada, items=10_000, tracks=10_000)
    started = time.monotonic()
    rows, requests = api.walk(f"/playlists/{playlist.spotify_id}/items", limit=50)
    elapsed = time.monotonic() - started
    assert requests == 200
    assert [row["item"]["uri"] for row in rows] == list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("uri", flat=True)
    )
    assert elapsed < 60, f"{elapsed:.1f} s for 200 pages"


def test_the_items_page_cap_is_a_knob(api, own_playlist):
    from sandbox.spotify import faults

    path = f"/playlists/{own_playlist.spotify_id}/items"
    assert api.get(path, limit=100).status_code == 400
    faults.configure(playlist_items_max_limit=100)
    assert len(api.get(path, limit=100).json()["items"]) == 40


def test_pages_stay_right_even_if_positions_had_a_gap(api, own_playlist):
    # Every write keeps positions dense; a row edited by hand (admin) must not lose items.
    last = PlaylistItem.objects.filter(playlist=own_playlist).order_by("-position").first()
    PlaylistItem.objects.filter(pk=last.pk).update(position=5000)
    rows, _ = api.walk(f"/playlists/{own_playlist.spotify_id}/items", limit=50)
    assert len(rows) == 40
    assert rows[-1]["added_at"] == last.added_at.strftime("%Y-%m-%dT%H:%M:%SZ")
