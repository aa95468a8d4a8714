"""Rule semantics: the group logic (property-based), every condition, validation, and the
check for rules that can never match (sound: when it flags, nothing matches)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.rules import (
    RuleError,
    TrackFacts,
    compile_rules,
    explain,
    never_matches,
    normalise,
)

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def facts(**overrides) -> TrackFacts:
    values = {
        "id": "t1",
        "position": 0,
        "added_at": NOW - timedelta(days=3),
        "name": "Sinnerman",
        "album_name": "Pastel Blues",
        "artist_names": ("Nina Simone",),
        "artist_ids": ("nina",),
        "genres": frozenset({"jazz"}),
        "spotify_genres": frozenset(),
        "original_year": None,
        "album_year": 1965,
        "duration_ms": 622_000,
        "explicit": False,
        "isrc": "USPR16500001",
        "popularity": None,
    }
    values.update(overrides)
    return TrackFacts(**values)


def cond(field, op, value, **extra):
    return {"kind": "condition", "field": field, "op": op, "value": value, **extra}


def group(match, *rules):
    return {"kind": "group", "match": match, "rules": list(rules)}


def matches(tree, track, extended=False, *, validate=True) -> bool:
    # Generated trees are typed already and may nest deeper than the editor allows.
    if validate:
        tree = normalise(tree, extended=extended)
    result = compile_rules(tree, now=NOW)(track)
    assert explain(tree, track, now=NOW)[0] == result  # the preview's "why" agrees
    return result


# --- group logic, property-based ----------------------------------------------------------------

# Leaves whose truth for a track the test knows independently of the engine.
LEAVES = [
    (cond("explicit", "is", True), lambda f: f.explicit),
    (cond("liked", "is", True), lambda f: f.liked),
    (
        cond("year", "gte", 1990, mod="album"),
        lambda f: f.album_year is not None and f.album_year >= 1990,
    ),
    (cond("title", "contains", "love"), lambda f: "love" in f.name.lower()),
    (
        cond("artist", "is", "Nina Simone", mod="primary"),
        lambda f: f.artist_names[:1] == ("Nina Simone",),
    ),
]

leaf = st.sampled_from(range(len(LEAVES)))
trees = st.recursive(
    leaf,
    lambda children: st.tuples(
        st.sampled_from(["all", "any", "none"]), st.lists(children, max_size=4)
    ),
    max_leaves=12,
)
tracks = st.builds(
    lambda explicit, liked, year, title, artist: facts(
        explicit=explicit,
        liked=liked,
        album_year=year,
        name=title,
        artist_names=(artist,),
        artist_ids=(artist.lower(),),
    ),
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.integers(1950, 2026)),
    st.sampled_from(["Love Song", "Hate", "lovely", "Other"]),
    st.sampled_from(["Nina Simone", "Massive Attack"]),
)


def to_rule(node):
    if isinstance(node, int):
        return LEAVES[node][0]
    match, children = node
    return group(match, *(to_rule(child) for child in children))


def reference(node, track) -> bool:
    if isinstance(node, int):
        return LEAVES[node][1](track)
    match, children = node
    results = [reference(child, track) for child in children]
    if match == "all":
        return all(results)
    if match == "any":
        return any(results)
    return not any(results)


@settings(max_examples=300, deadline=None)
@given(trees, tracks)
def test_groups_combine_rules_as_all_any_and_none(node, track):
    tree = to_rule(node)
    if not isinstance(node, tuple):
        tree = group("all", tree)
    assert matches(tree, track, validate=False) == reference(node, track)


@settings(max_examples=200, deadline=None)
@given(st.lists(leaf, min_size=1, max_size=5), tracks)
def test_none_of_rules_is_all_of_their_negations(indices, track):
    rules = [LEAVES[i][0] for i in indices]
    as_none = group("none", *rules)
    as_all_of_nones = group("all", *(group("none", rule) for rule in rules))
    as_not_any = group("none", group("any", *rules))
    assert (
        matches(as_none, track)
        == matches(as_all_of_nones, track)
        == matches(as_not_any, track)
        == (not any(LEAVES[i][1](track) for i in indices))
    )


# --- rules that can never match: sound ----------------------------------------------------------

SMALL_LEAVES = [
    cond("year", "gte", 2000, mod="album"),
    cond("year", "lt", 1990, mod="album"),
    cond("year", "between", 1990, value2=1999, mod="album"),
    cond("decade", "is", 1990, mod="album"),
    cond("explicit", "is", True),
    cond("explicit", "is", False),
    cond("artist", "is", "A", mod="primary"),
    cond("artist", "is", "B", mod="primary"),
    cond("artist", "is", "A", mod="any"),
    cond("title", "contains", "love"),
    cond("title", "contains", "lovely"),
    cond("isrc_country", "is", "GB"),
    cond("duration", "lt", 0),
]
# Every track the small leaves can tell apart.
UNIVERSE = [
    facts(
        album_year=year,
        explicit=explicit,
        artist_names=artists,
        artist_ids=tuple(a.lower() for a in artists),
        name=title,
        isrc=isrc,
    )
    for year, explicit, artists, title, isrc in itertools.product(
        [None, 1985, 1989, 1990, 1995, 1999, 2000, 2010],
        [True, False],
        [(), ("A",), ("B",), ("A", "B"), ("B", "A"), ("C",)],
        ["love", "lovely day", "other"],
        ["GBXXX0000001", "USXXX0000001", ""],
    )
]
small_trees = st.recursive(
    st.sampled_from(range(len(SMALL_LEAVES))),
    lambda children: st.tuples(
        st.sampled_from(["all", "any", "none"]), st.lists(children, max_size=4)
    ),
    max_leaves=8,
)


def to_small_rule(node):
    if isinstance(node, int):
        return SMALL_LEAVES[node]
    match, children = node
    return group(match, *(to_small_rule(child) for child in children))


@settings(max_examples=400, deadline=None)
@given(small_trees)
def test_a_rule_flagged_as_never_matching_matches_no_track(node):
    tree = to_small_rule(node)
    if not isinstance(node, tuple):
        tree = group("all", tree)
    predicate = compile_rules(tree, now=NOW)
    if never_matches(tree, now=NOW):
        assert not any(predicate(track) for track in UNIVERSE)


@pytest.mark.parametrize(
    "tree",
    [
        group("all", cond("year", "gte", 2000, mod="album"), cond("year", "lt", 1990, mod="album")),
        group("all", cond("explicit", "is", True), group("none", cond("explicit", "is", True))),
        group(
            "all",
            cond("decade", "is", 1980, mod="original"),
            cond("decade", "is", 1990, mod="original"),
        ),
        group(
            "all",
            cond("artist", "is", "A", mod="primary"),
            cond("artist", "is", "B", mod="primary"),
        ),
        group(
            "all",
            cond("title", "contains", "lovely"),
            group("none", cond("title", "contains", "love")),
        ),
        group("all", cond("duration", "lt", 0)),
        group("any"),
        group("all", group("any")),
        group("none", group("all")),
        group("all", cond("added", "within", 7), cond("added", "before", "2020-01-01")),
    ],
)
def test_contradictions_are_flagged(tree):
    assert never_matches(normalise(tree), now=NOW)


@pytest.mark.parametrize(
    "tree",
    [
        group("all"),
        group("none"),
        group("any", cond("year", "gte", 2000, mod="album"), cond("year", "lt", 1990, mod="album")),
        group(
            "all", cond("year", "gte", 2000, mod="album"), cond("year", "lt", 1990, mod="original")
        ),
        group("all", cond("artist", "is", "A"), cond("artist", "is", "B")),  # any credited: both
        group("none", cond("year", "gte", 2000, mod="album")),  # also tracks with no year
    ],
)
def test_satisfiable_rules_are_not_flagged(tree):
    assert never_matches(normalise(tree), now=NOW) is None


# --- each condition ----------------------------------------------------------------------------


def test_artist_matches_any_credit_or_only_the_primary():
    track = facts(artist_names=("Massive Attack", "Elizabeth Fraser"))
    assert matches(group("all", cond("artist", "is", "elizabeth fraser")), track)
    assert not matches(group("all", cond("artist", "is", "Elizabeth Fraser", mod="primary")), track)
    assert matches(group("all", cond("artist", "is", "Massive Attack", mod="primary")), track)


def test_text_matching_ignores_case_and_accents():
    track = facts(name="Café del Mar", album_name="Ibiza Mix")
    assert matches(group("all", cond("title", "contains", "CAFE")), track)
    assert matches(group("all", cond("title", "regex", r"^caf.\s+del")), track)
    assert matches(group("all", cond("album", "contains", "ibiza")), track)
    assert matches(group("all", cond("album", "is", "ibiza mix")), track)
    assert not matches(group("all", cond("album", "is", "ibiza")), track)


def test_years_use_the_original_year_when_known_else_the_album_year():
    remaster = facts(original_year=1971, album_year=2011)
    assert matches(group("all", cond("decade", "is", "70s", mod="original")), remaster)
    assert matches(group("all", cond("year", "eq", 2011, mod="album")), remaster)
    unknown = facts(original_year=None, album_year=1999)
    assert matches(group("all", cond("year", "lte", 1999, mod="original")), unknown)
    assert not matches(group("all", cond("year", "gte", 1990, mod="album")), facts(album_year=None))


def test_duration_takes_seconds_or_minutes_and_seconds():
    track = facts(duration_ms=215_000)
    assert matches(group("all", cond("duration", "lt", "3:40")), track)
    assert matches(group("all", cond("duration", "between", 200, value2="3:40")), track)
    assert not matches(group("all", cond("duration", "gt", 215)), track)


def test_added_by_absolute_dates_and_in_the_last_days():
    track = facts(added_at=datetime(2026, 4, 20, 23, tzinfo=UTC))
    assert matches(group("all", cond("added", "within", 14)), track)
    assert not matches(group("all", cond("added", "within", 7)), track)
    assert matches(group("all", cond("added", "since", "2026-04-20")), track)
    assert not matches(group("all", cond("added", "before", "2026-04-20")), track)
    assert matches(group("all", cond("added", "between", "2026-04-20", value2="2026-04-20")), track)
    assert not matches(group("all", cond("added", "within", 30)), facts(added_at=None))


def test_genre_isrc_country_explicit_liked_and_playlists():
    track = facts(
        genres=frozenset({"jazz", "soul"}),
        isrc="GBAYE0000001",
        explicit=True,
        liked=True,
        playlists=frozenset({"pl1"}),
    )
    assert matches(group("all", cond("genre", "is", "Soul")), track)
    assert not matches(group("all", cond("genre", "is", "rock")), track)
    assert matches(group("all", cond("isrc_country", "is", "gb")), track)
    assert matches(group("all", cond("explicit", "is", "yes"), cond("liked", "is", "yes")), track)
    assert matches(group("all", cond("in_playlist", "is", "pl1")), track)
    assert not matches(group("all", cond("in_playlist", "is", "pl2")), track)


def test_popularity_and_spotify_genres_need_extended_mode():
    with pytest.raises(RuleError) as refused:
        normalise(group("all", cond("popularity", "gte", 50)), extended=False)
    assert "extended mode" in refused.value.errors["r.0"]
    with pytest.raises(RuleError):
        normalise(group("all", cond("genre", "is", "jazz", mod="spotify")), extended=False)
    track = facts(popularity=70, spotify_genres=frozenset({"vocal jazz"}))
    assert matches(group("all", cond("popularity", "gte", 50)), track, extended=True)
    assert matches(
        group("all", cond("genre", "is", "vocal jazz", mod="spotify")), track, extended=True
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (cond("year", "gte", "soon", mod="album"), "whole number"),
        (cond("title", "regex", "(unclosed"), "regular expression"),
        (cond("decade", "is", 1995), "ending in 0"),
        (cond("added", "since", "yesterday"), "YYYY-MM-DD"),
        (cond("isrc_country", "is", "GBR"), "two letters"),
        (cond("explicit", "is", "maybe"), "yes or no"),
        (cond("artist", "is", ""), "Enter a value"),
        ({"kind": "condition", "field": "mood", "op": "is", "value": "sad"}, "Choose what"),
    ],
)
def test_bad_values_are_refused_with_a_message_at_their_path(rule, message):
    with pytest.raises(RuleError) as refused:
        normalise(group("all", cond("explicit", "is", True), rule))
    assert list(refused.value.errors) == ["r.1"]
    assert message in refused.value.errors["r.1"]


def test_groups_nest_at_most_four_deep():
    deep = group("all", group("all", group("all", group("all", group("all")))))
    with pytest.raises(RuleError):
        normalise(deep)
