"""Real clients nobody here wrote (spotipy, tekore) drive the sandbox over HTTP through the calls
Tunekeeper and common tools make, and every response they get is checked against Spotify's own
OpenAPI file (status documented for the operation, body matching its schema).

If one of these fails, the sandbox differs from Spotify in a way a real client notices."""

from urllib.parse import urlsplit

import httpx
import pytest
import requests
import spotipy
import tekore

from sandbox.spotify import faults
from sandbox.spotify.models import IssuedToken, Playlist, PlaylistItem, SavedTrack, Track
from sandbox.spotify.seed import ItemMix, seed_library
from tests.sandbox.conftest import ALL_SCOPES, SANDBOX_CLIENT
from tests.sandbox.schemas import validate_exchange

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Exchanges:
    """Every response a client received, kept for validation against the spec."""

    def __init__(self):
        self.seen: list[tuple[str, str, int, bytes]] = []

    def add(self, method: str, url: str, status: int, body: bytes) -> None:
        path = urlsplit(url).path.split("/v1", 1)[1]
        self.seen.append((method, path, status, body))

    def on_requests_response(self, response, *args, **kwargs):
        self.add(response.request.method, response.url, response.status_code, response.content)

    def on_httpx_response(self, response):
        response.read()
        self.add(response.request.method, str(response.url), response.status_code, response.content)

    def validate_all(self) -> None:
        assert self.seen
        for method, path, status, body in self.seen:
            validate_exchange(method, path, status, body)

    def calls(self) -> list[tuple[str, str, int]]:
        return [(method, path, status) for method, path, status, _ in self.seen]


def _seed(ada, grace, mix: ItemMix | None = None) -> str:
    seed_library(
        ada,
        tracks=300,
        playlists=[75, 3],
        liked=60,
        saved_albums=5,
        followed_artists=25,
        plays=60,
        collaborator=grace,
        mix=mix,
    )
    return IssuedToken.issue(ada, SANDBOX_CLIENT, ALL_SCOPES).access_token


@pytest.fixture
def library(sandbox_site, ada, grace):
    return _seed(ada, grace)


@pytest.fixture
def library_without_local_files(sandbox_site, ada, grace):
    # tekore 6.2 cannot parse a local file (its album_type is null, as Spotify sends it).
    return _seed(ada, grace, ItemMix(local=0.0))


@pytest.fixture
def exchanges():
    return Exchanges()


@pytest.fixture
def sp(sandbox_site, library, exchanges):
    session = requests.Session()
    session.hooks["response"].append(exchanges.on_requests_response)
    client = spotipy.Spotify(auth=library, requests_session=session, retries=0, status_retries=0)
    client.prefix = f"{sandbox_site.url}/sandbox-spotify/v1/"
    yield client
    session.close()


def _walk(sp, page, key=None):
    items = []
    while page:
        inner = page[key] if key else page
        items.extend(inner["items"])
        page = sp.next(inner)
    return items


def unsaved_tracks(user, count: int) -> list[str]:
    saved = SavedTrack.objects.filter(user=user).values_list("track_id", flat=True)
    ids = Track.objects.exclude(pk__in=saved).values_list("spotify_id", flat=True)[:count]
    return [f"spotify:track:{spotify_id}" for spotify_id in ids]


def uris_in(playlist: Playlist) -> list[str]:
    return [
        f"spotify:track:{spotify_id}"
        for spotify_id in PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("track__spotify_id", flat=True)
    ]


def test_spotipy_reads_a_whole_library(sp, ada, exchanges):
    me = sp.me()  # GET /v1/me/ with spotipy's trailing slash
    assert me["id"] == ada.spotify_id

    playlists = _walk(sp, sp.current_user_playlists(limit=1))
    assert sorted(p["items"]["total"] for p in playlists if p["owner"]["id"] == ada.spotify_id) == [
        3,
        75,
    ]
    biggest = max(playlists, key=lambda p: p["items"]["total"])
    rows = _walk(sp, sp.playlist_items(biggest["id"], limit=20))
    assert len(rows) == 75
    # The seed mixes in rows whose track is gone (item null) and local files, as real lists have.
    tracks = [row["item"] for row in rows if row["item"] and not row["is_local"]]
    assert tracks and all(track["uri"].startswith("spotify:track:") for track in tracks)

    assert len(_walk(sp, sp.current_user_saved_tracks(limit=50))) == 60
    first = sp.current_user_followed_artists(limit=5)
    followed = _walk(sp, first, key="artists")
    total = first["artists"]["total"]
    assert total > 10 and len(followed) == len({artist["id"] for artist in followed}) == total

    played = sp.current_user_recently_played(limit=50)
    assert len(played["items"]) == 50
    assert played["next"] is None  # only the newest ~50 plays are reachable

    # Batch reads are gone in development mode: 403 as Spotify answers, not 404.
    track_id = tracks[0]["id"]
    with pytest.raises(spotipy.SpotifyException) as refused:
        sp.tracks([track_id])
    assert refused.value.http_status == 403
    with pytest.raises(spotipy.SpotifyException) as refused:
        sp.albums([tracks[0]["album"]["id"]])
    assert refused.value.http_status == 403

    exchanges.validate_all()
    assert ("GET", "/me/", 200) in exchanges.calls()
    assert ("GET", "/albums/", 403) in exchanges.calls()


def test_spotipy_writes_land_as_spotify_would_apply_them(sp, ada, exchanges):
    spare = unsaved_tracks(ada, 5)

    sp.current_user_saved_tracks_add(spare[:2])
    assert sp.current_user_saved_tracks_contains(spare[:3]) == [True, True, False]
    sp.current_user_saved_tracks_delete(spare[:1])
    assert sp.current_user_saved_tracks_contains(spare[:2]) == [False, True]

    created = sp.current_user_playlist_create("Contract", public=False, description="by spotipy")
    assert created["owner"]["id"] == ada.spotify_id
    playlist = Playlist.objects.get(spotify_id=created["id"])

    sp.playlist_add_items(created["id"], spare[:3])  # a bare JSON array body
    sp.playlist_add_items(created["id"], spare[3:4], position=0)  # position in the query string
    assert uris_in(playlist) == [spare[3], spare[0], spare[1], spare[2]]

    sp.playlist_reorder_items(created["id"], range_start=0, insert_before=4)
    assert uris_in(playlist) == [spare[0], spare[1], spare[2], spare[3]]

    sp.playlist_remove_all_occurrences_of_items(created["id"], spare[1:2])
    assert uris_in(playlist) == [spare[0], spare[2], spare[3]]

    sp.playlist_replace_items(created["id"], spare[4:5])
    assert uris_in(playlist) == [spare[4]]

    exchanges.validate_all()
    writes = [(m, p, s) for m, p, s in exchanges.calls() if m != "GET"]
    assert [status for *_, status in writes] == [200, 200, 201, 201, 201, 200, 200, 200]
    assert {path for _, path, _ in writes} == {
        "/me/library",
        "/me/playlists",
        f"/playlists/{created['id']}/items",
    }


def test_spotipy_sees_spotify_error_objects(sp, exchanges):
    with pytest.raises(spotipy.SpotifyException) as missing:
        sp.playlist_items("0" * 22)
    assert missing.value.http_status == 404 and missing.value.msg
    with pytest.raises(spotipy.SpotifyException) as bad:
        sp.current_user_saved_tracks(limit=51)
    assert bad.value.http_status == 400
    exchanges.validate_all()


@pytest.fixture
def tk(sandbox_site, library_without_local_files, exchanges, monkeypatch):
    # tekore has no setting for the API address; its module-level prefix is the one way in.
    monkeypatch.setattr(tekore._client.base, "prefix", f"{sandbox_site.url}/sandbox-spotify/v1/")
    http = httpx.Client(event_hooks={"response": [exchanges.on_httpx_response]}, timeout=10)
    yield tekore.Spotify(library_without_local_files, sender=tekore.SyncSender(http))
    http.close()


def test_tekore_reads_and_writes(tk, ada, exchanges):
    # tekore 6.2's models require what development mode no longer sends (a playlist's
    # deprecated `tracks`) and it writes through /playlists/{id}/tracks and /me/tracks, which
    # development mode answers with 403: it works against an extended-mode app, so test that.
    faults.configure(api_mode="extended")
    me = tk.current_user()
    assert me.id == ada.spotify_id

    playlists = list(tk.all_items(tk.followed_playlists(limit=1)))
    biggest = max(playlists, key=lambda p: p.items.total if p.items else p.tracks.total)
    assert biggest.owner.id == ada.spotify_id
    rows = list(tk.all_items(tk.playlist_items(biggest.id, limit=50)))
    assert len(rows) == 75

    assert len(list(tk.all_items(tk.saved_tracks(limit=50)))) == 60
    first = tk.followed_artists(limit=5)
    assert len(list(tk.all_items(first))) == first.total > 10
    assert len(tk.playback_recently_played(limit=50).items) == 50

    created = tk.playlist_create(ada.spotify_id, "Contract", public=False)
    spare = unsaved_tracks(ada, 3)
    tk.playlist_add(created.id, spare[:2])
    tk.playlist_add(created.id, spare[2:], position=0)
    tk.playlist_reorder(created.id, range_start=0, insert_before=3)
    tk.playlist_remove(created.id, spare[1:2])
    assert uris_in(Playlist.objects.get(spotify_id=created.id)) == [spare[0], spare[2]]
    tk.saved_tracks_add([spare[0].rsplit(":", 1)[1]])
    assert tk.saved_tracks_contains([spare[0].rsplit(":", 1)[1]]) == [True]

    exchanges.validate_all()
