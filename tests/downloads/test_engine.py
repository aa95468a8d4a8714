"""The download engine end to end against the sandbox slskd, with a simulated worker and a
FakeClock: search, choose, enqueue, poll, complete — and the throttle, the wishlist, retries,
timeouts and the never-twice rule."""

import itertools
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings

from downloads import engine, matching, tasks, throttle
from downloads.models import Download, DownloadRun, Priority, SlskdSettings, Status
from ops.jobs import JobStatus
from tests.downloads.conftest import publish

pytestmark = pytest.mark.django_db

NINA = matching.Wanted("Nina Simone", "Feeling Good", "I Put a Spell on You", 173)
SHARED_BY = ("flac_hoarder", "cd_ripper", "mp3_collector", "bootlegger", "dj_pool", "mislabeled")


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create(username="ada")


def publish_nina(**kwargs):
    kwargs.setdefault("peers", SHARED_BY)
    return publish(
        "Nina Simone", "Feeling Good", album="I Put a Spell on You", duration_s=173, **kwargs
    )


def test_a_track_is_searched_chosen_downloaded_and_explained(slskd, worker, ada):
    publish_nina()
    outcome = engine.request_download(ada, NINA)
    assert outcome.created and outcome.download.status == Status.QUEUED

    worker.run()

    download = Download.objects.get(pk=outcome.download.pk)
    assert download.status == Status.COMPLETED
    assert (download.chosen["username"], download.quality_label) == ("flac_hoarder", "FLAC 24/96")
    assert download.percent == 100 and download.bytes_transferred == download.size > 0
    assert "from a complete album folder (10 tracks)" in download.chosen_reasons
    assert download.rejected["wrong length"] == 1 and download.rejected["live version"] == 1
    assert download.searches_made == 1
    assert slskd.all_searches() == []  # read, then deleted from slskd (reference §4.4)


def test_a_200_track_playlist_never_searches_faster_than_the_gate(
    slskd, worker, ada, make_track, make_playlist
):
    tracks = []
    for n in range(200):
        track = make_track(f"Artist {n:03d}", f"Song number {n:03d}", f"Album {n:03d}", 200)
        tracks.append(track)
        if n % 20 != 7:  # ten tracks nobody shares: they cost extra query variants
            publish(
                f"Artist {n:03d}",
                f"Song number {n:03d}",
                album=f"Album {n:03d}",
                duration_s=200,
                peers=("mp3_collector", "dj_pool"),
            )
    playlist = make_playlist(ada, tracks)

    run = engine.start_playlist_run(ada, playlist)
    worker.run()

    log = [when for when, _ in slskd.search_log()]
    window = timedelta(seconds=220)
    busiest = max(sum(1 for other in log if start <= other < start + window) for start in log)
    assert busiest <= throttle.MAX_SEARCHES <= 34
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(log)]
    assert min(gaps) >= throttle.MIN_GAP_SECONDS
    assert slskd.peak_running() == 1
    assert slskd.banned_until() is None  # the sandbox bans like Soulseek: >34 in 220 s

    run.refresh_from_db()
    assert run.status == JobStatus.COMPLETED and (run.done, run.total) == (200, 200)
    statuses = list(Download.objects.filter(run=run).values_list("status", flat=True))
    assert statuses.count(Status.COMPLETED) == 190
    assert statuses.count(Status.NOT_FOUND) == 10
    # Every track was searched; the unshared ones with each query variant in turn.
    assert len(log) == 190 + 10 * len(matching.queries(engine.wanted_from_track(tracks[7])))
    assert (log[-1] - log[0]).total_seconds() >= (len(log) / throttle.MAX_SEARCHES - 1) * 220


def test_a_track_nobody_shares_goes_on_the_wishlist_and_is_retried(slskd, worker, ada, fake_clock):
    assert settings.CELERY_BEAT_SCHEDULE["downloads-sweep"]["task"] == "downloads.tasks.sweep"
    publish_nina(available_from=fake_clock.now() + timedelta(minutes=150))
    download = engine.request_download(ada, NINA).download

    worker.run()
    download.refresh_from_db()
    assert download.status == Status.NOT_FOUND
    assert download.searches_made == len(matching.queries(NINA))
    first_retry = download.next_retry_at
    assert first_retry - fake_clock.now() == timedelta(hours=1)

    fake_clock.advance(3600)
    assert tasks.sweep()["requeued"] == 1
    download.refresh_from_db()
    assert (download.status, download.priority) == (Status.QUEUED, Priority.WISHLIST)
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.NOT_FOUND and download.wishlist_rounds == 2
    assert download.next_retry_at - fake_clock.now() == timedelta(hours=2)

    fake_clock.advance(2 * 3600)
    tasks.sweep()
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.COMPLETED  # someone shared it meanwhile


def test_the_sweep_leaves_wishlist_entries_alone_until_their_time(slskd, worker, ada, fake_clock):
    download = engine.request_download(ada, NINA).download
    worker.run()
    fake_clock.advance(3000)
    assert tasks.sweep()["requeued"] == 0
    assert Download.objects.get(pk=download.pk).status == Status.NOT_FOUND


def test_a_completed_track_is_not_downloaded_again(slskd, worker, ada):
    publish_nina()
    first = engine.request_download(ada, NINA).download
    worker.run()
    searches = len(slskd.search_log())

    again = engine.request_download(ada, NINA)

    assert not again.created and again.download.pk == first.pk
    assert again.message == "Already downloaded as FLAC 24/96, the top of your ladder."
    worker.run()
    assert len(slskd.search_log()) == searches
    assert Download.objects.filter(user=ada).count() == 1


def test_an_upgrade_only_takes_a_better_file(slskd, worker, ada):
    publish_nina(peers=("mp3_collector", "dj_pool"))
    first = engine.request_download(ada, NINA).download
    worker.run()
    first.refresh_from_db()
    assert first.quality_label == "MP3 320"

    # Nothing better is shared: the same MP3 is not fetched again; the track waits.
    retry = engine.request_download(ada, NINA)
    assert retry.created and retry.download.below_rung == 2  # MP3 320: rung 3 of "best"
    worker.run()
    retry.download.refresh_from_db()
    assert retry.download.status == Status.NOT_FOUND
    assert retry.download.rejected["not better than the copy you have"] == 1
    assert len(slskd.user_transfers("mp3_collector")) == 1

    publish_nina(peers=("mp3_collector", "cd_ripper"))
    engine.retry_now(retry.download)
    worker.run()
    retry.download.refresh_from_db()
    assert (retry.download.status, retry.download.quality_label) == (
        Status.COMPLETED,
        "FLAC 16/44.1",
    )


def test_a_refusing_peer_is_left_for_the_next_candidate(slskd, worker, ada):
    publish_nina()
    slskd.configure(reject_users={"flac_hoarder"})
    download = engine.request_download(ada, NINA).download
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.COMPLETED
    assert download.chosen["username"] == "cd_ripper"
    assert [pair[0] for pair in download.tried] == ["cd_ripper", "flac_hoarder"]
    assert "Completed, Rejected" in download.error


def test_a_stalled_transfer_is_cancelled_after_ten_minutes(slskd, worker, ada, fake_clock):
    publish_nina()
    slskd.configure(stall_users={"flac_hoarder"})
    download = engine.request_download(ada, NINA).download
    started = fake_clock.now()
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.COMPLETED and download.chosen["username"] == "cd_ripper"
    assert fake_clock.now() - started > engine.STALL_TIMEOUT
    assert "no data arrived for 10 minutes" in download.error
    assert slskd.user_transfers("flac_hoarder") == []  # cancelled and removed in slskd


def test_an_errored_empty_search_pauses_all_searching_for_thirty_minutes(
    slskd, worker, ada, fake_clock
):
    publish_nina()
    slskd.configure(ban_limit=0, ban_seconds=1800)  # the next search trips the server's ban
    download = engine.request_download(ada, NINA).download
    began = fake_clock.now()

    worker.run(until=began + timedelta(minutes=29))
    download.refresh_from_db()
    assert download.status == Status.QUEUED
    assert "possible ban" in download.search_summary
    assert len(slskd.search_log()) == 1  # nothing more while paused
    assert throttle.paused_until(slskd.instance) is not None

    slskd.configure(ban_limit=None)
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.COMPLETED
    second_search = slskd.search_log()[1][0]
    assert second_search - began >= timedelta(seconds=throttle.BAN_PAUSE_SECONDS)


def test_slskd_off_the_network_or_busy_only_delays(slskd, worker, ada, fake_clock):
    publish_nina()
    slskd.configure(logged_in=False)
    download = engine.request_download(ada, NINA).download
    worker.run(until=fake_clock.now() + timedelta(seconds=60))
    download.refresh_from_db()
    assert download.status == Status.QUEUED
    assert "not logged in" in throttle.paused_until(slskd.instance)[1]

    slskd.configure(logged_in=True, busy_next=2)
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.COMPLETED
    assert slskd.knobs().busy_next == 0


def test_a_refused_api_key_fails_with_a_message_to_act_on(slskd, worker, ada):
    publish_nina()
    settings_row = SlskdSettings.for_user(ada)
    settings_row.api_key = "not-the-right-key-at-all"
    settings_row.save()
    download = engine.request_download(ada, NINA).download
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.FAILED
    assert "refused the API key" in download.error
    assert SlskdSettings.objects.get(user=ada).api_key.startswith("enc1:")  # at rest


def test_asking_twice_gives_the_same_download(slskd, worker, ada):
    first = engine.request_download(ada, NINA)
    second = engine.request_download(ada, NINA)
    assert first.created and not second.created
    assert second.download.pk == first.download.pk
    assert Download.objects.filter(user=ada).count() == 1


def test_a_lost_task_is_rescued_by_the_sweep(slskd, worker, ada, fake_clock):
    publish_nina()
    download = engine.request_download(ada, NINA).download
    worker.run(max_tasks=1)  # the pump: the search starts
    download.refresh_from_db()
    assert download.status == Status.SEARCHING
    worker.queue.clear()  # the worker died with the follow-up task
    fake_clock.advance(300)

    assert tasks.sweep()["rescued"] == 1
    worker.run()
    download.refresh_from_db()
    assert download.status == Status.COMPLETED


def test_cancel_stops_the_transfer_in_slskd(slskd, worker, ada, fake_clock):
    publish_nina(peers=("slow_hires",))
    download = engine.request_download(ada, NINA).download
    worker.run(until=fake_clock.now() + timedelta(seconds=30))
    download.refresh_from_db()
    assert download.status == Status.DOWNLOADING
    assert engine.cancel(download)
    assert Download.objects.get(pk=download.pk).status == Status.CANCELLED
    assert slskd.user_transfers("slow_hires") == []
    worker.run()
    assert Download.objects.get(pk=download.pk).status == Status.CANCELLED


def test_a_playlist_run_skips_what_is_downloaded_or_on_its_way(
    slskd, worker, ada, make_track, make_playlist
):
    have, queued, missing = (
        make_track("Nina Simone", "Feeling Good", seconds=173),
        make_track("Nina Simone", "Sinnerman", seconds=600),
        make_track("Nina Simone", "Lilac Wine", seconds=240),
    )
    Download.objects.create(
        user=ada,
        track=have,
        wanted_key=f"track:{have.pk}",
        instance=slskd.instance,
        artist="Nina Simone",
        title="Feeling Good",
        ladder="flac 24",
        status=Status.COMPLETED,
        quality_key=124096,
        quality_label="FLAC 24/96",
    )
    engine.request_download(ada, engine.wanted_from_track(queued), track=queued)
    playlist = make_playlist(ada, [have, queued, missing, missing])

    assert [t.pk for t in engine.missing_tracks(ada, playlist)] == [queued.pk, missing.pk]
    run = engine.start_playlist_run(ada, playlist)
    worker.run()
    run = DownloadRun.objects.get(pk=run.pk)
    assert (run.total, run.skipped) == (1, 1)
    assert run.status == JobStatus.COMPLETED
    assert Download.objects.get(run=run).title == "Lilac Wine"


def test_the_search_queue_serves_people_before_the_wishlist(slskd, worker, ada, fake_clock):
    for n in range(3):
        publish("Artist", f"Song {n}", duration_s=200, peers=("mp3_collector",))
    wish = engine.request_download(
        ada, matching.Wanted("Artist", "Song 0", duration_s=200), priority=Priority.WISHLIST
    ).download
    fake_clock.advance(1)
    asked = engine.request_download(ada, matching.Wanted("Artist", "Song 1", duration_s=200))
    assert engine.next_in_queue(slskd.instance).pk == asked.download.pk
    worker.run()
    assert [text for _, text in slskd.search_log()] == ["artist song", "artist song"]
    assert (
        Download.objects.get(pk=asked.download.pk).finished_at
        < Download.objects.get(pk=wish.pk).finished_at
    )


def test_downloads_do_not_leak_between_slskd_instances(slskd, worker, ada, django_user_model):
    other = django_user_model.objects.create(username="grace")
    SlskdSettings.objects.create(user=other, base_url="http://elsewhere.invalid:5030")
    mine = engine.request_download(ada, NINA).download
    theirs = engine.request_download(other, NINA).download
    assert mine.instance == slskd.instance != theirs.instance
    assert engine.next_in_queue(slskd.instance).pk == mine.pk
    assert engine.next_in_queue(theirs.instance).pk == theirs.pk


def test_downloads_step_on_with_redis_unreachable(slskd, worker, ada):
    """Nothing of a download's progress lives in the cache: a Redis that is restarting slows
    nothing down and loses nothing."""
    publish_nina()
    dead = "redis://127.0.0.1:1/0"  # nothing listens there
    redis_gone = override_settings(
        REDIS_URL=dead,
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
        },
    )

    with redis_gone:
        outcome = engine.request_download(ada, NINA)
        worker.run()

    download = Download.objects.get(pk=outcome.download.pk)
    assert download.status == Status.COMPLETED
    assert download.chosen["username"] == "flac_hoarder"


def test_a_step_held_by_another_worker_is_not_taken_twice_and_is_rescued_after_its_lease(
    slskd, worker, ada, fake_clock
):
    publish_nina()
    pk = engine.request_download(ada, NINA).download.pk
    worker.run(stop=lambda: Download.objects.get(pk=pk).status == Status.SEARCHING)
    assert engine._take_step_lease(pk)  # a worker is mid-step (and then dies)
    before = Download.objects.get(pk=pk)

    engine.advance(pk)  # a second delivery of the step steps aside
    worker.run()  # everything else queued meanwhile steps aside too

    after = Download.objects.get(pk=pk)
    assert (after.status, after.searches_made) == (Status.SEARCHING, before.searches_made)

    fake_clock.advance((engine.STEP_LEASE + engine.RESCUE_AFTER).total_seconds())
    tasks.sweep()  # beat: the overdue step is sent again, and the lease has run out
    worker.run()

    assert Download.objects.get(pk=pk).status == Status.COMPLETED
