"""A sync under trouble: a worker killed after a write chunk, a write whose answer is lost, a
child edited by someone else between our read and our write, a quota pause, a deleted child,
twenty simultaneous triggers, and syncs whose worker died."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from core import clock
from ops.jobs import JobStatus
from sandbox.spotify import faults, mutations
from sandbox.spotify import models as sandbox
from spotify import http
from sync.engine import run_sync, sync_base
from sync.locks import start_sync
from sync.models import ChildPlaylist, ExternalEdit, Outcome, SyncEvent
from tests.sync.conftest import add_to, make_base, make_child, remove_from, unused_tracks, uris_of

pytestmark = pytest.mark.django_db(transaction=True)


class Killed(BaseException):
    """The process died: no except clause of the engine sees it (as with SIGKILL)."""


@pytest.fixture
def synced(ada, base_playlist):
    """A base with one child holding every base item, synced once."""
    base = make_base(ada, base_playlist)
    child = make_child(base, "All", dedupe=False)
    event, _ = sync_base(base)
    assert event.status == JobStatus.COMPLETED, event.error
    child.refresh_from_db()
    return base, child


def child_writes(child) -> list[dict]:
    return [m for m in mutations.log(include_sandbox=False) if m["target_id"] == child.spotify_id]


def kill_after_writes(monkeypatch, count: int) -> None:
    real = http.call
    done = {"writes": 0}

    def call(context, method, endpoint, path, **kwargs):
        answer = real(context, method, endpoint, path, **kwargs)
        if method != "GET":
            done["writes"] += 1
            if done["writes"] == count:
                raise Killed  # the write landed; its answer never reaches the checkpoint
        return answer

    monkeypatch.setattr(http, "call", call)


def test_a_worker_killed_after_a_write_chunk_is_followed_by_a_sync_that_converges(
    synced, base_playlist, monkeypatch
):
    base, child = synced
    new = unused_tracks(base_playlist, 250)
    remove_from(base_playlist, uris_of(base_playlist.spotify_id)[:20])
    add_to(base_playlist, new)  # the child needs 1 DELETE + 3 POSTs
    before = len(child_writes(child))

    kill_after_writes(monkeypatch, 2)
    with pytest.raises(Killed):
        sync_base(base)
    monkeypatch.undo()
    dead = SyncEvent.objects.get(base=base, status=JobStatus.RUNNING)
    child.refresh_from_db()
    assert child.pending_op["op"] == "add"  # landed on Spotify, not checkpointed here

    # The dead run still holds the lock; once its heartbeat is older than a sync's limit, the
    # next runner takes it over (ops.jobs' claim) and goes on from its checkpoint.
    assert start_sync(base, enqueue=False) == (dead, False)
    assert SyncEvent.claim_for_worker(dead.pk) is None  # silent, but not for long enough yet
    silent_since = clock.now() - SyncEvent.lost_after() - timedelta(seconds=1)
    SyncEvent.objects.filter(pk=dead.pk).update(heartbeat_at=silent_since)
    event = SyncEvent.claim_for_worker(dead.pk)
    assert event == dead and event.status == JobStatus.RUNNING

    result = run_sync(event)
    event.refresh_from_db()

    assert event.status == JobStatus.COMPLETED, event.error
    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    assert mutations.duplicates() == []  # no chunk was sent twice
    writes = child_writes(child)[before:]
    assert [w["endpoint"] for w in writes] == [
        "DELETE /playlists/{id}/items",
        "POST /playlists/{id}/items",  # killed after this one
        "POST /playlists/{id}/items",
        "POST /playlists/{id}/items",
    ]
    assert result.children[str(child.pk)].write_calls == 2  # only what was still missing


def test_a_write_whose_answer_is_lost_is_checked_not_resent(synced, base_playlist):
    base, child = synced
    add_to(base_playlist, unused_tracks(base_playlist, 150))
    faults.fail_next(502, only=("POST /playlists/{id}/items",), after_apply=True)

    event, result = sync_base(base)

    assert event.status == JobStatus.COMPLETED, event.error
    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    assert mutations.duplicates() == []
    # It looked (a snapshot check and a read of the child) instead of sending it again.
    assert result.calls_by_endpoint["POST /playlists/{id}/items"] == 2


def test_a_create_whose_answer_is_lost_finds_its_playlist_instead_of_making_another(
    ada, base_playlist
):
    base = make_base(ada, base_playlist)
    child = make_child(base, "All of it")
    faults.fail_next(502, only=("POST /me/playlists",), after_apply=True)

    failed, _ = sync_base(base)
    assert failed.status == JobStatus.FAILED
    assert "Retry" in failed.error

    event, _ = sync_base(base)
    assert event.status == JobStatus.COMPLETED, event.error
    child.refresh_from_db()
    assert (
        sandbox.Playlist.objects.filter(name="All of it", owner__spotify_id="adalovelace").count()
        == 1
    )
    assert len(uris_of(child.spotify_id)) == len(set(uris_of(base_playlist.spotify_id)))


@pytest.mark.parametrize("setting", [ExternalEdit.OVERWRITE, ExternalEdit.STOP])
def test_a_child_edited_between_our_read_and_our_write(synced, base_playlist, setting):
    base, child = synced
    ChildPlaylist.objects.filter(pk=child.pk).update(on_external_edit=setting)
    held = len(child.synced_uris)
    add_to(base_playlist, unused_tracks(base_playlist, 30))
    # Someone appends a track right after our snapshot check of the child, before our writes.
    faults.concurrent_edit(child.spotify_id, after_reads=1, action="add")

    event, result = sync_base(base)

    assert event.status == JobStatus.COMPLETED, event.error
    child.refresh_from_db()
    report = result.children[str(child.pk)]
    foreign = [m for m in mutations.log() if m["client_id"] == mutations.CONCURRENT_EDITOR]
    assert len(foreign) == 1
    foreign_uri = foreign[0]["payload"]["uris"][0]
    if setting == ExternalEdit.OVERWRITE:
        assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
        assert "overwritten" in report.note
        assert child.attention == ""
    else:
        wanted = uris_of(base_playlist.spotify_id)
        # Their track landed at the end before our 30 were appended after it.
        assert uris_of(child.spotify_id) == [*wanted[:held], foreign_uri, *wanted[held:]]
        assert report.outcome == Outcome.STOPPED
        assert "while the sync was writing" in child.attention
        assert "Edited outside Tunekeeper" in event.warnings
        # Until someone decides, later syncs leave it alone (and spend nothing on it).
        _, again = sync_base(base)
        assert again.calls == 1
        ChildPlaylist.objects.filter(pk=child.pk).update(overwrite_once=True)
        sync_base(base)
        assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
        child.refresh_from_db()
        assert child.attention == "" and not child.overwrite_once


@pytest.mark.parametrize("setting", [ExternalEdit.OVERWRITE, ExternalEdit.STOP])
def test_a_child_edited_between_syncs_is_seen_by_its_snapshot(synced, base_playlist, setting):
    base, child = synced
    ChildPlaylist.objects.filter(pk=child.pk).update(on_external_edit=setting)
    child_playlist = sandbox.Playlist.objects.get(spotify_id=child.spotify_id)
    remove_from(child_playlist, uris_of(child.spotify_id)[:3])  # edited in the Spotify app
    add_to(base_playlist, unused_tracks(base_playlist, 5))
    edited = uris_of(child.spotify_id)

    _, result = sync_base(base)

    report = result.children[str(child.pk)]
    if setting == ExternalEdit.OVERWRITE:
        assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
        assert report.note.startswith("Edited outside Tunekeeper")
    else:
        assert uris_of(child.spotify_id) == edited  # nothing written
        assert report.outcome == Outcome.STOPPED
        assert report.write_calls == 0


def test_a_child_deleted_on_spotify_is_made_again_when_overwriting(synced, base_playlist):
    base, child = synced
    old_id = child.spotify_id
    sandbox.Playlist.objects.filter(spotify_id=old_id).delete()
    add_to(base_playlist, unused_tracks(base_playlist, 1))

    _, result = sync_base(base)

    child.refresh_from_db()
    assert child.spotify_id != old_id
    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    assert "deleted" in result.children[str(child.pk)].note


def test_a_quota_pause_pauses_the_sync_and_it_resumes_from_its_checkpoint(
    fake_clock, synced, base_playlist, monkeypatch
):
    base, child = synced
    add_to(base_playlist, unused_tracks(base_playlist, 250))
    real = http.call
    posts = []

    def call(context, method, endpoint, path, **kwargs):
        answer = real(context, method, endpoint, path, **kwargs)
        if method == "POST":
            posts.append(path)
            if len(posts) == 1:  # after the first chunk, Spotify's daily quota runs out
                faults.fail_next(
                    429,
                    retry_after=86400,
                    body={
                        "error": {"status": 429, "message": "Too many", "reason": "QUOTA_EXCEEDED"}
                    },
                )
        return answer

    monkeypatch.setattr(http, "call", call)

    event, _ = sync_base(base)

    assert event.status == JobStatus.PAUSED
    assert event.paused_until > clock.now()
    assert event.pause_reason
    assert len(uris_of(child.spotify_id)) == len(child.synced_uris) + 100  # one chunk in
    monkeypatch.undo()
    faults.reset()
    fake_clock.advance(25 * 3600)
    SyncEvent.objects.filter(pk=event.pk).update(status=JobStatus.QUEUED)  # the resume sweep
    event.refresh_from_db()
    assert event.claim()
    run_sync(event)

    event.refresh_from_db()
    assert event.status == JobStatus.COMPLETED, event.error
    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    assert mutations.duplicates() == []


def test_twenty_simultaneous_triggers_start_exactly_one_sync(ada, base_playlist, sent_tasks):
    base = make_base(ada, base_playlist)
    sent = sent_tasks
    barrier = threading.Barrier(20)
    results, errors = [], []

    def trigger():
        try:
            barrier.wait()
            results.append(start_sync(base))
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(created for _, created in results) == 1
    assert len({event.pk for event, _ in results}) == 1
    assert SyncEvent.objects.filter(base=base).count() == 1
    assert len(sent) == 1


def test_lost_syncs_are_resent_not_failed_and_live_or_paused_ones_left_alone(ada, base_playlist):
    from celery.signals import worker_ready

    now = clock.now()
    bases = [make_base(ada, base_playlist)]
    for n in range(4):
        bases.append(
            type(bases[0]).objects.create(user=ada, spotify_id=f"other{n}", name=f"Other {n}")
        )
    old = now - SyncEvent.lost_after() - timedelta(minutes=1)
    dead = SyncEvent.objects.create(
        user=ada, base=bases[0], status=JobStatus.RUNNING, heartbeat_at=old
    )
    alive = SyncEvent.objects.create(
        user=ada, base=bases[1], status=JobStatus.RUNNING, heartbeat_at=now - timedelta(seconds=20)
    )
    lost = SyncEvent.objects.create(user=ada, base=bases[2], status=JobStatus.QUEUED)
    SyncEvent.objects.filter(pk=lost.pk).update(created_at=old)
    paused = SyncEvent.objects.create(
        user=ada, base=bases[3], status=JobStatus.PAUSED, heartbeat_at=old, started_at=old
    )

    worker_ready.send(sender=None)  # a worker starting rescues first (ops.jobs)

    statuses = dict(SyncEvent.objects.values_list("pk", "status"))
    assert statuses[dead.pk] == JobStatus.RUNNING and statuses[lost.pk] == JobStatus.QUEUED
    assert statuses[alive.pk] == JobStatus.RUNNING
    assert statuses[paused.pk] == JobStatus.PAUSED
    resent = set(SyncEvent.objects.filter(resent_at__isnull=False).values_list("pk", flat=True))
    assert resent == {dead.pk, lost.pk}  # their tasks were sent again; nothing was failed
    # The re-sent task takes the dead one over; the live one stays its worker's.
    assert SyncEvent.claim_for_worker(dead.pk).worker_losses == 1
    assert SyncEvent.claim_for_worker(alive.pk) is None
    assert SyncEvent.claim_for_worker(lost.pk).status == JobStatus.RUNNING


def test_an_outside_edit_of_an_unchanged_child_waits_for_a_full_check(synced, base_playlist):
    base, child = synced
    child_playlist = sandbox.Playlist.objects.get(spotify_id=child.spotify_id)
    remove_from(child_playlist, uris_of(child.spotify_id)[:2])

    _, quick = sync_base(base)
    assert quick.calls == 1  # nothing in the base changed: the children are not looked at
    _, full = sync_base(base, force=True)

    assert uris_of(child.spotify_id) == uris_of(base_playlist.spotify_id)
    assert full.children[str(child.pk)].note.startswith("Edited outside Tunekeeper")
    assert full.base_read
