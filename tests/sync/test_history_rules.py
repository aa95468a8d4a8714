"""Rules and orders on what a person actually listens to: plays in a window, last and first
played, never played, skips, listening time; most played / last played / least recently played
orders; the preview naming the history and the archive's gaps; a sync against the sandbox whose
child follows new plays with the base unchanged."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import plays as archive_plays
from archive.models import HistoryProfile, ListeningGap, PlaySource
from sync import rules
from sync.models import ChildPlaylist, Order
from sync.preview import build_preview, wanted_uris
from sync.rules import RuleError, TrackFacts, compile_rules, describe, never_matches, normalise
from tests.sync.factories import catalog_track, mirrored_playlist, owned_base

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # the fake clock's start


def group(*conditions, match="all"):
    return {"kind": "group", "match": match, "rules": list(conditions)}


def cond(field, op, value, **extra):
    return {"kind": "condition", "field": field, "op": op, "value": value, **extra}


def facts(**listening) -> TrackFacts:
    track = TrackFacts(
        id="t", position=0, added_at=None, name="Song", album_name="Album",
        artist_names=("A",), artist_ids=("a",), genres=frozenset(), spotify_genres=frozenset(),
        original_year=None, album_year=2000, duration_ms=200_000, explicit=False, isrc="",
        popularity=None,
    )  # fmt: skip
    for name, value in listening.items():
        setattr(track, name, value)
    return track


# --- the language ---------------------------------------------------------------------------------


def test_history_conditions_read_and_say_what_they_mean():
    tree = normalise(
        group(
            cond("plays", "gte", "3", mod="30"),
            cond("last_played", "within", "14"),
            cond("skip_share", "lt", 50),
            cond("never_played", "is", "no"),
        )
    )
    assert [describe(c) for c in tree["rules"]] == [
        "played ≥ 3 times in the last 30 days",
        "last played in the last 14 days",
        "skip share < 50",
        "never played is no",
    ]
    heavy = facts(plays=9, play_windows={30: 4}, last_played_at=NOW - timedelta(days=2), skips=1)
    stale = facts(plays=9, play_windows={30: 4}, last_played_at=NOW - timedelta(days=20), skips=1)
    predicate = compile_rules(tree, now=NOW)
    assert predicate(heavy) and not predicate(stale)
    assert compile_rules(normalise(group(cond("never_played", "is", True))), now=NOW)(facts())


def test_reversed_betweens_and_negative_counts_are_flagged():
    with pytest.raises(RuleError, match="reversed"):
        normalise(group(cond("plays", "between", 10, value2=2)))
    with pytest.raises(RuleError, match="reversed"):
        normalise(group(cond("last_played", "between", "2026-05-01", value2="2026-01-01")))
    with pytest.raises(RuleError, match="negative"):
        normalise(group(cond("skips", "gte", -1)))
    assert never_matches(normalise(group(cond("plays", "lt", 0))), now=NOW)
    assert never_matches(
        normalise(group(cond("plays", "gt", 5, mod="7"), cond("plays", "lt", 3, mod="7"))), now=NOW
    )
    # Two windows are two different counts: no contradiction.
    assert not never_matches(
        normalise(group(cond("plays", "gt", 5, mod="7"), cond("plays", "lt", 3, mod="30"))),
        now=NOW,
    )


WINDOWS = st.sampled_from(["all", "7", "30", "90", "365"])
OPS = st.sampled_from(["eq", "lt", "lte", "gt", "gte"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(WINDOWS, OPS, st.integers(0, 12)), min_size=1, max_size=3),
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12), st.integers(0, 12)),
        min_size=1,
        max_size=20,
    ),
)
def test_when_never_matches_speaks_no_listening_matches(conditions, counts):
    tree = normalise(group(*(cond("plays", op, n, mod=w) for w, op, n in conditions)))
    predicate = compile_rules(tree, now=NOW)
    tracks = [
        facts(
            plays=total + a + b + c, play_windows={7: a, 30: a + b, 90: a + b + c, 365: a + b + c}
        )
        for a, b, c, total in counts
    ]
    if never_matches(tree, now=NOW):
        assert not any(predicate(track) for track in tracks)
    # And matching is exactly the comparison written, window by window.
    for track in tracks:
        expected = all(
            {
                "eq": lambda v, n: v == n,
                "lt": lambda v, n: v < n,
                "lte": lambda v, n: v <= n,
                "gt": lambda v, n: v > n,
                "gte": lambda v, n: v >= n,
            }[op](track.plays if w == "all" else track.play_windows[int(w)], n)
            for w, op, n in conditions
        )
        assert predicate(track) == expected


# --- from the archive, through the preview --------------------------------------------------------


def listen(user, track, *days_ago, skipped=None):
    with transaction.atomic():
        archive_plays.store(
            user.pk,
            [
                archive_plays.NewPlay(
                    track_id=track.pk,
                    played_at=NOW - timedelta(days=days, minutes=n),
                    source=PlaySource.EXTENDED,
                    ms_played=60_000,
                    duration_ms=200_000,
                    skipped=skipped,
                )
                for n, days in enumerate(days_ago)
            ],
        )


@pytest.fixture
def listened_base(django_user_model, fake_clock):
    ada = django_user_model.objects.create(username="ada")
    HistoryProfile.objects.create(user=ada)
    tracks = [catalog_track(f"Song {n}", isrc=f"USAAA650000{n}") for n in range(5)]
    listen(ada, tracks[0], 1, 2, 3, 40)  # 3 in the last 30 days
    listen(ada, tracks[1], 5, 6, 7, 8, 9)  # 5 in the last 30 days
    listen(ada, tracks[2], 100, 200)  # played, not lately
    listen(ada, tracks[3], 0)  # once, today
    # tracks[4]: never played
    base = owned_base(ada, mirrored_playlist(ada, tracks))
    return ada, base, tracks


@pytest.mark.django_db
def test_top_of_the_last_30_days_orders_by_plays_in_the_window(listened_base):
    ada, base, tracks = listened_base
    child = ChildPlaylist.objects.create(
        base=base,
        name="Top 2 of the last 30 days",
        rules=group(cond("plays", "gte", 1, mod="30")),
        order=Order.MOST_PLAYED_30D,
        limit=2,
    )
    assert wanted_uris(child) == [tracks[1].uri, tracks[0].uri]

    preview = build_preview(child, child.rules)
    assert (preview.matched, preview.size) == (3, 2)
    assert preview.rows[0].why == [
        "played ≥ 1 times in the last 30 days",
        "played 5×, 5× in the last 30 days, last 5 days ago",
    ]
    assert preview.history_note == ""
    ListeningGap.objects.create(
        user=ada, start=NOW - timedelta(days=3), end=NOW - timedelta(days=2), detected_at=NOW
    )
    assert build_preview(child, child.rules).history_note == (
        "1 gap in this window; play counts may be low."
    )


@pytest.mark.django_db
def test_liked_but_not_played_in_a_year_and_the_recency_orders(listened_base):
    _, base, tracks = listened_base
    forgotten = ChildPlaylist.objects.create(
        base=base,
        name="Not played lately",
        rules=group(
            cond("last_played", "within", 30),
            match="none",
        ),
        order=Order.LEAST_RECENT,
    )
    assert wanted_uris(forgotten) == [tracks[4].uri, tracks[2].uri]  # never played first
    recent = ChildPlaylist.objects.create(base=base, name="Recent", order=Order.LAST_PLAYED)
    assert wanted_uris(recent) == [
        t.uri for t in (tracks[3], tracks[0], tracks[1], tracks[2], tracks[4])
    ]
    most = ChildPlaylist.objects.create(base=base, name="Most", order=Order.MOST_PLAYED, limit=1)
    assert wanted_uris(most) == [tracks[1].uri]


@pytest.mark.django_db
def test_first_played_skips_and_listening_time(listened_base):
    ada, base, tracks = listened_base
    listen(ada, tracks[4], 10, 11, 12, 13, skipped=True)
    listen(ada, tracks[4], 14, skipped=False)

    def chosen(*conditions):
        child = ChildPlaylist(base=base, name="x", rules=group(*conditions))
        return wanted_uris(child)

    assert chosen(cond("skip_share", "gte", 80)) == [tracks[4].uri]  # 4 of 5 skipped
    assert chosen(cond("skips", "eq", 0), cond("plays", "gte", 1)) == [t.uri for t in tracks[:4]]
    assert chosen(cond("first_played", "since", (NOW - timedelta(days=20)).date().isoformat())) == [
        tracks[1].uri,
        tracks[3].uri,
        tracks[4].uri,
    ]
    assert chosen(cond("listening_minutes", "gte", 5)) == [tracks[1].uri, tracks[4].uri]


def test_history_needs_come_from_rules_and_orders():
    tree = normalise(group(cond("plays", "gte", 1, mod="7"), cond("skip_share", "lt", 10)))
    assert rules.history_needs([tree]) == (True, {7}, True, False)
    dated = normalise(group(cond("last_played", "within", 30)))
    assert rules.history_needs([dated]) == (True, set(), False, True)
    assert rules.history_needs([normalise(group(cond("explicit", "is", True)))]) == (
        False,
        set(),
        False,
        False,
    )
