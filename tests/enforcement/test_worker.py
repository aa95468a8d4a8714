"""Enforcement through a real Celery worker against the sandbox: killed workers, 429 and 5xx
storms, lost answers, token expiry, a person editing a playlist meanwhile."""

import random
from functools import partial

import pytest
from django.db import transaction

from bench.worlds.enforcement import expected_after, library_state
from enforcement.executor import arm
from enforcement.models import ActionBatch, ActionChunk, ChunkStatus, ItemStatus
from enforcement.planner import plan
from enforcement.tasks import run_batch_task
from ops.jobs import JobStatus
from sandbox.spotify import mutations, ops
from sandbox.spotify.models import Playlist as SandboxPlaylist
from sandbox.spotify.models import PlaylistItem, Track
from spotify.models import ApiCall
from tests.conftest import silent_long_enough, trials, wait_for
from tests.enforcement.conftest import drive_to_end, kill, make_scene, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

# Small enough to run ten times, big enough for ~20 chunks: 3 library + 16 playlist chunks.
KILL_WORLD = {
    "liked_blocked": 70,
    "albums_blocked": 10,
    "blocked_artists": 20,
    "playlists": [(130, 20)] * 3 + [(40, 10)] * 10,
    "duplicates": True,
}


def writes_for(owner) -> list[dict]:
    return [m for m in mutations.log(include_sandbox=False) if m["user"] == owner.spotify_id]


def repeated_writes(owner) -> list[dict]:
    """This user's writes that Spotify received twice (the log's fingerprint leaves the user
    out, and other trials' users remove the same artists)."""
    seen: set[str] = set()
    repeated = []
    for write in writes_for(owner):
        if write["fingerprint"] in seen:
            repeated.append(write)
        seen.add(write["fingerprint"])
    return repeated


def assert_exactly_as_planned(scene, batch) -> None:
    assert batch.status == JobStatus.COMPLETED, (batch.status, batch.error, batch.step)
    assert batch.failed == 0
    assert library_state(scene.owner) == expected_after(scene.original, scene.world)
    assert repeated_writes(scene.owner) == []
    chunks = ActionChunk.objects.filter(batch=batch)
    assert set(chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    # Every chunk reached Spotify exactly once: one applied write per chunk, no more.
    assert len(writes_for(scene.owner)) == chunks.count()


def kill_point(chunks, boundary: int, mid_chunk: bool) -> bool:
    recorded = chunks.filter(status=ChunkStatus.DONE).count() >= boundary
    return recorded and (not mid_chunk or chunks.filter(status=ChunkStatus.SENDING).exists())


def test_killing_the_worker_at_random_chunk_boundaries_never_sends_a_chunk_twice(
    sandbox_site, spotify_faults, request
):
    # Each call takes a little while, so a kill lands in a chunk's request or between chunks.
    spotify_faults.configure(latency_ms=30)
    rng = random.Random(2026)
    found_sending = 0
    count = trials(request, full=10, quick=2)
    for trial in range(count):
        scene = make_scene(f"killed{trial}", rng_seed=trial, **KILL_WORLD)
        batch, _ = arm(plan(scene.user))
        with worker_process(sandbox_site.url, f"kill{trial}a") as doomed:
            run_batch_task.delay(batch.pk)
            chunks = ActionChunk.objects.filter(batch=batch)
            wait_for(chunks.exists, timeout=90, message="chunks")
            boundary = rng.randint(1, chunks.count() - 2)
            # Odd trials: mid-chunk, its request out (maybe applied, surely not recorded).
            # Even trials: right after a chunk was recorded.
            mid_chunk = bool(trial % 2)
            wait_for(
                partial(kill_point, chunks, boundary, mid_chunk),
                timeout=90,
                interval=0.003,
                message=f"chunk {boundary}",
            )
            kill(doomed)
        found_sending += chunks.filter(status=ChunkStatus.SENDING).count()
        assert ActionBatch.objects.get(pk=batch.pk).status == JobStatus.RUNNING

        silent_long_enough(ActionBatch, batch.pk)
        with worker_process(sandbox_site.url, f"kill{trial}b"):
            # What the broker's redelivery (or ops.jobs' rescue) does: the task comes again; the
            # batch's heartbeat is older than its kind's limit, so the new worker takes it over.
            run_batch_task.delay(batch.pk)
            finished, _ = drive_to_end(batch, timeout=120)

        assert_exactly_as_planned(scene, finished)
    # Every odd kill caught a chunk mid-request; each was reconciled, never re-sent blindly.
    assert found_sending >= count // 2


def _run_with_worker(sandbox_site, scene, *, timeout=180.0):
    batch, _ = arm(plan(scene.user))
    with worker_process(sandbox_site.url, "storm"):
        run_batch_task.delay(batch.pk)
        return drive_to_end(batch, timeout=timeout)


def test_a_429_storm_slows_the_batch_but_nothing_is_lost_or_sent_twice(
    sandbox_site, spotify_faults
):
    scene = make_scene("stormy")
    spotify_faults.configure(storm_rate=0.3, storm_retry_after=1, seed=3)

    batch, _ = _run_with_worker(sandbox_site, scene)

    assert_exactly_as_planned(scene, batch)
    limited = ApiCall.objects.filter(job_id=batch.ledger_job_id, status=429).count()
    assert limited >= 3  # the storm really hit this batch


def test_a_5xx_storm_is_retried_after_checking_what_landed(sandbox_site, spotify_faults):
    scene = make_scene("five-hundreds")
    spotify_faults.configure(server_error_rate=0.3, seed=5)

    batch, _ = _run_with_worker(sandbox_site, scene)

    assert_exactly_as_planned(scene, batch)
    assert ApiCall.objects.filter(job_id=batch.ledger_job_id, status__gte=500).count() >= 3
    assert ActionChunk.objects.filter(batch=batch, attempts__gt=1).exists()


def test_a_lost_answer_is_reconciled_before_any_retry(sandbox_site, spotify_faults):
    """Writes land, then the answer is a 5xx: each is checked (contains / re-read), never
    re-sent; the items are recorded as done-by-checking."""
    scene = make_scene("lost-answers")
    spotify_faults.configure(server_error_rate=0.35, after_apply=True, only=("DELETE",), seed=11)

    batch, _ = _run_with_worker(sandbox_site, scene)

    assert_exactly_as_planned(scene, batch)
    reconciled = ActionChunk.objects.filter(batch=batch, reconciled=True)
    assert reconciled.exists()
    assert all(chunk.attempts == 1 for chunk in reconciled)
    assert ApiCall.objects.filter(job_id=batch.ledger_job_id, method="GET").exists()
    done = batch.items.filter(status=ItemStatus.DONE, after__reconciled=True)
    assert done.count() == sum(len(c.uris) for c in reconciled)


def test_an_access_token_expiring_mid_batch_is_refreshed_and_the_batch_goes_on(
    sandbox_site, spotify_faults
):
    from sandbox.spotify import faults

    scene = make_scene("expiring")
    spotify_faults.configure(latency_ms=40)
    batch, _ = arm(plan(scene.user))
    with worker_process(sandbox_site.url, "expiry"):
        run_batch_task.delay(batch.pk)
        chunks = ActionChunk.objects.filter(batch=batch)
        wait_for(lambda: chunks.filter(status=ChunkStatus.DONE).count() >= 2, timeout=90)
        assert faults.expire_token(user=scene.owner) >= 1
        finished, _ = drive_to_end(batch)

    assert_exactly_as_planned(scene, finished)
    assert ApiCall.objects.filter(job_id=batch.ledger_job_id, status=401).exists()
    assert ApiCall.objects.filter(purpose="auth", status=200).exists()  # the refresh


def test_a_person_editing_a_playlist_during_enforcement_keeps_their_edit(
    sandbox_site, spotify_faults
):
    scene = make_scene("editor", playlists=[(260, 30), (10, 10)])
    spotify_faults.configure(latency_ms=60)
    big = max(scene.world.playlist_blocked, key=lambda p: len(scene.world.playlist_blocked[p]))
    blocked_here = scene.world.playlist_blocked[big]
    dropped = next(u for u in scene.original.playlists[big] if u not in blocked_here)
    playlist = SandboxPlaylist.objects.get(spotify_id=big)
    newcomer = (
        Track.objects.exclude(
            pk__in=PlaylistItem.objects.filter(playlist=playlist).values("track_id")
        )
        .exclude(credits__artist__spotify_id__in=scene.world.blocked_artists)
        .order_by("pk")
        .first()
    )
    batch, _ = arm(plan(scene.user))
    with worker_process(sandbox_site.url, "editor"):
        run_batch_task.delay(batch.pk)
        first = ActionChunk.objects.filter(batch=batch, playlist_spotify_id=big)
        wait_for(lambda: first.filter(status=ChunkStatus.DONE).exists(), timeout=90)
        # Meanwhile, in the Spotify app: a new song at the top, a clean song dropped.
        with transaction.atomic():
            locked = SandboxPlaylist.objects.select_for_update().get(pk=playlist.pk)
            ops.add_items(locked, scene.owner, [newcomer], 0)
            ops.remove_items(locked, [dropped])
        finished, _ = drive_to_end(batch)

    assert finished.status == JobStatus.COMPLETED and finished.failed == 0
    planned = expected_after(scene.original, scene.world).playlists[big]
    assert library_state(scene.owner).playlists[big] == [
        newcomer.uri,
        *[uri for uri in planned if uri != dropped],
    ]
    assert mutations.duplicates() == []
