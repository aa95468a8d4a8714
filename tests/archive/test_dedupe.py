"""The same play from two sources is stored once; a genuine repeat is kept."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from archive import dedupe
from archive.importer import create_job, run_import_job
from archive.models import PlayEvent, PlaySource
from archive.plays import NewPlay, store
from archive.tasks import claim
from tests.archive.factories import (
    account_record,
    extended_record,
    json_upload,
    make_track,
    make_user,
    track_id,
)

T0 = datetime(2025, 5, 10, 18, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_a_play_within_30_seconds_of_a_stored_one_is_the_same_play():
    stored = [("a", T0, False)]
    assert dedupe.new_plays(stored, [("a", T0 + 30 * S, False)]) == []
    assert dedupe.new_plays(stored, [("a", T0 - 30 * S, False)]) == []
    assert dedupe.new_plays(stored, [("a", T0 + 31 * S, False)]) == [0]
    assert dedupe.new_plays(stored, [("b", T0, False)]) == [0]


def test_a_stored_play_absorbs_only_one_incoming_play():
    # The same song twice in a row: the first is stored, both arrive from the export.
    stored = [("a", T0, False)]
    incoming = [("a", T0 + 2 * S, False), ("a", T0 + 3 * S, False)]
    assert dedupe.new_plays(stored, incoming) == [1]


def test_minute_precision_plays_match_anywhere_in_their_minute():
    # Account data says 18:00 for a play that ended at 18:00:59.
    stored = [("a", T0 + 59 * S, False)]
    assert dedupe.new_plays(stored, [("a", T0, True)]) == []
    # "17:59" is [17:59:00, 18:00:00): 59 s before the stored play, too far.
    assert dedupe.new_plays(stored, [("a", T0 - 60 * S, True)]) == [0]
    assert dedupe.new_plays([("a", T0 + 20 * S, False)], [("a", T0 - 60 * S, True)]) == []


pytestmark = pytest.mark.django_db


def _poll(user, plays):
    with transaction.atomic():
        return store(
            user.pk,
            [
                NewPlay(track_id=tid, played_at=at, source=PlaySource.POLL, duration_ms=200_000)
                for tid, at in plays
            ],
        )


def _import(user, name, records):
    job = claim(create_job(user, [json_upload(name, records)]).pk)
    run_import_job(job)
    job.refresh_from_db()
    return job


def test_export_overlapping_polled_plays_adds_only_what_polling_missed():
    user = make_user()
    a, b = make_track(1), make_track(2)
    _poll(user, [(a, T0), (b, T0 + 200 * S), (a, T0 + 400 * S)])
    records = [
        extended_record(1, T0 + 2 * S),  # the polled play, a couple of seconds off
        extended_record(2, T0 + 199 * S),
        extended_record(1, T0 + 401 * S),  # a genuine repeat of track 1, also polled
        extended_record(1, T0 + 600 * S),  # a third play of track 1 that polling missed
        extended_record(3, T0 - 600 * S),  # before polling started
    ]
    job = _import(user, "Streaming_History_Audio_2025.json", records)

    totals = job.totals()
    assert (totals["imported"], totals["duplicates"]) == (2, 3)
    plays_of_a = PlayEvent.objects.filter(user=user, track_id=a).order_by("played_at")
    assert [p.source for p in plays_of_a] == [PlaySource.POLL, PlaySource.POLL, "extended"]
    assert PlayEvent.objects.filter(user=user).count() == 5


def test_polled_plays_after_an_import_are_not_stored_twice_but_repeats_are():
    user = make_user()
    make_track(1)
    _import(user, "endsong_0.json", [extended_record(1, T0)])
    stored = _poll(user, [(track_id(1), T0 + 5 * S), (track_id(1), T0 + 230 * S)])
    assert [p.played_at for p in stored] == [T0 + 230 * S]
    assert PlayEvent.objects.filter(user=user).count() == 2


def test_importing_the_same_export_twice_imports_nothing_the_second_time():
    user = make_user()
    records = [extended_record(n % 2, T0 + n * 200 * S) for n in range(6)]
    _import(user, "endsong_0.json", records)
    second = _import(user, "endsong_0.json", records)
    assert second.totals()["imported"] == 0
    assert second.totals()["duplicates"] == 6
    assert PlayEvent.objects.count() == 6


def test_account_data_overlapping_extended_history_is_recognised():
    user = make_user()
    _import(user, "endsong_0.json", [extended_record(1, T0 + 42 * S)])  # ended 18:00:42
    job = _import(
        user,
        "StreamingHistory_music_0.json",
        [
            account_record("Artist", "Song 1", T0),  # "18:00": the same play
            account_record("Artist", "Song 1", T0 + 240 * S),  # the next one: new
        ],
    )
    assert (job.totals()["imported"], job.totals()["duplicates"]) == (1, 1)
    assert PlayEvent.objects.filter(source=PlaySource.ACCOUNT).count() == 1
