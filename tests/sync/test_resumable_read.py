"""Resumable reads: a base read (sync) or a playlist read (library refresh) cut off by the
sandbox's daily quota goes on from the next page when the snapshot is unchanged, and starts
again from the first page when it changed. The sandbox's request log says which pages were
read and how often."""

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from ops.jobs import JobStatus
from playlists.models import Playlist, PlaylistItem, PlaylistReadPage
from playlists.refresh import refresh_library
from sandbox.spotify import faults
from sandbox.spotify.seed import seed_playlist
from spotify import state
from spotify.errors import Paused
from spotify.models import ApiCall
from sync.engine import run_sync, sync_base
from sync.models import SyncEvent
from sync.preview import wanted_uris
from tests.sync.conftest import add_to, make_base, make_child, unused_tracks, uris_of

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = 600  # 12 pages of 50


# The sandbox's request log of earlier quota windows (forget_counters() clears the log).
EARLIER: list[dict] = []


@pytest.fixture(autouse=True)
def _earlier_windows():
    EARLIER.clear()
    yield
    EARLIER.clear()


def item_offsets(spotify_id: str) -> Counter:
    """How often each page (by offset) of the playlist's items was answered with a 200."""
    pages = Counter()
    for entry in [*EARLIER, *faults.requests()]:
        if entry["status"] != 200 or f"/playlists/{spotify_id}/items" not in entry["path"]:
            continue
        query = parse_qs(urlsplit(entry["path"]).query)
        pages[int(query.get("offset", ["0"])[0])] += 1
    return pages


def new_quota_window(fake_clock) -> None:
    """Spotify's next day: the sandbox forgets the spent quota, our pause is over."""
    faults.configure(daily_quota=None)
    EARLIER.extend(faults.requests())
    faults.forget_counters()
    fake_clock.advance(2 * 3600)
    state.clear_pause()


def resume(event: SyncEvent) -> SyncEvent:
    """What the resume sweep and the worker do with a paused sync whose pause is over."""
    SyncEvent.objects.filter(pk=event.pk).update(status=JobStatus.QUEUED)
    event.refresh_from_db()
    assert event.claim()
    run_sync(event)
    event.refresh_from_db()
    return event


@pytest.fixture
def big_base(ada, ada_sandbox):
    playlist = seed_playlist(ada_sandbox, items=ITEMS, tracks=ITEMS + 100, name="Big")
    base = make_base(ada, playlist)
    child = make_child(base, "All", dedupe=False)
    return playlist, base, child


def test_a_quota_paused_base_read_goes_on_from_the_next_page(fake_clock, big_base):
    playlist, base, child = big_base
    # One snapshot check and five pages fit in the window: the read stops after 250 items.
    faults.configure(daily_quota=6, quota_retry_after=3600, access_token_seconds=86400)

    event, _ = sync_base(base)

    assert event.status == JobStatus.PAUSED, event.error
    assert sorted(item_offsets(playlist.spotify_id)) == [0, 50, 100, 150, 200]
    checkpoint = PlaylistReadPage.objects.get(playlist__spotify_id=playlist.spotify_id)
    assert checkpoint.offset == 0 and len(checkpoint.rows) == 250
    assert not PlaylistItem.objects.filter(playlist__spotify_id=playlist.spotify_id).exists()

    new_quota_window(fake_clock)
    event = resume(event)

    assert event.status == JobStatus.COMPLETED, event.error
    read = item_offsets(playlist.spotify_id)
    assert sorted(read) == list(range(0, ITEMS, 50))
    assert set(read.values()) == {1}, f"pages read twice: {read}"
    mirrored = Playlist.objects.get(spotify_id=playlist.spotify_id)
    assert mirrored.item_count == ITEMS
    assert list(
        PlaylistItem.objects.filter(playlist=mirrored)
        .order_by("position")
        .values_list("uri", flat=True)
    ) == uris_of(playlist.spotify_id)
    assert not PlaylistReadPage.objects.exists()  # the checkpoint went with the completed read
    child.refresh_from_db()
    assert uris_of(child.spotify_id) == wanted_uris(child) == uris_of(playlist.spotify_id)


def test_a_base_changed_during_the_pause_is_read_again_from_the_start(fake_clock, big_base):
    playlist, base, child = big_base
    faults.configure(daily_quota=6, quota_retry_after=3600, access_token_seconds=86400)
    event, _ = sync_base(base)
    assert event.status == JobStatus.PAUSED
    assert PlaylistReadPage.objects.exists()

    add_to(playlist, unused_tracks(playlist, 10), position=0)  # a new snapshot, items shifted
    new_quota_window(fake_clock)
    event = resume(event)

    assert event.status == JobStatus.COMPLETED, event.error
    read = item_offsets(playlist.spotify_id)
    assert read[0] == 2  # the first page again: the old pages belong to another snapshot
    assert sorted(read) == list(range(0, ITEMS + 10, 50))
    child.refresh_from_db()
    assert uris_of(child.spotify_id) == uris_of(playlist.spotify_id)  # nothing stale kept
    assert not PlaylistReadPage.objects.exists()


def test_a_quota_paused_sync_costs_about_what_a_clean_one_does(fake_clock, big_base, ada):
    playlist, base, child = big_base
    faults.configure(daily_quota=5, quota_retry_after=3600, access_token_seconds=86400)
    event, _ = sync_base(base)
    windows = 1
    while event.status == JobStatus.PAUSED:
        new_quota_window(fake_clock)
        faults.configure(daily_quota=5, quota_retry_after=3600)
        event = resume(event)
        windows += 1
        assert windows < 40, "the sync does not get anywhere"
    assert event.status == JobStatus.COMPLETED, event.error
    assert windows > 3  # the read really was cut off several times
    child.refresh_from_db()
    assert uris_of(child.spotify_id) == uris_of(playlist.spotify_id)

    paused_calls = ApiCall.objects.filter(job_id=event.ledger_job_id, status=200).count()
    clean = seed_playlist(
        faults_user(ada), items=ITEMS, tracks=ITEMS + 100, name="Clean", rng_seed=1
    )
    faults.configure(daily_quota=None)
    state.clear_pause()
    clean_base = make_base(ada, clean)
    make_child(clean_base, "All", dedupe=False)
    clean_event, _ = sync_base(clean_base)
    assert clean_event.status == JobStatus.COMPLETED
    clean_calls = ApiCall.objects.filter(job_id=clean_event.ledger_job_id).count()
    # Each window costs at most the one snapshot check: no page is read twice.
    assert paused_calls <= clean_calls + windows, (paused_calls, clean_calls, windows)


def faults_user(user):
    from sandbox.spotify.models import SandboxUser

    return SandboxUser.objects.get(spotify_id=user.socialaccount_set.get().extra_data["id"])


def test_a_quota_paused_library_refresh_goes_on_from_the_next_page(fake_clock, ada, ada_sandbox):
    playlist = seed_playlist(ada_sandbox, items=ITEMS, tracks=ITEMS + 100, name="Long")
    faults.configure(daily_quota=8, quota_retry_after=3600, access_token_seconds=86400)

    with pytest.raises(Paused):
        refresh_library(ada)

    first = item_offsets(playlist.spotify_id)
    assert first and max(first) < ITEMS - 50  # cut off part-way through its items
    assert PlaylistReadPage.objects.filter(playlist__spotify_id=playlist.spotify_id).exists()

    new_quota_window(fake_clock)
    refresh_library(ada)

    read = item_offsets(playlist.spotify_id)
    assert sorted(read) == list(range(0, ITEMS, 50))
    assert set(read.values()) == {1}, f"pages read twice: {read}"
    mirrored = Playlist.objects.get(user=ada, spotify_id=playlist.spotify_id)
    assert mirrored.up_to_date and mirrored.item_count == ITEMS
    assert not PlaylistReadPage.objects.exists()
