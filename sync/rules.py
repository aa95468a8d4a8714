"""Rules: a tree of groups (ALL / ANY / NONE) and conditions, stored as JSON on a child.

    {"kind": "group", "match": "all", "rules": [
        {"kind": "condition", "field": "year", "op": "gte", "value": 1990, "mod": "original"},
        {"kind": "group", "match": "none", "rules": [
            {"kind": "condition", "field": "explicit", "op": "is", "value": true}]}]}

Group logic: ALL matches when every rule matches (an empty ALL matches everything), ANY when at
least one does (an empty ANY matches nothing), NONE when no rule does.

Every condition compiles to one *literal*: a numeric range over a key (year, duration, added,
popularity), a boolean, a single-valued category (primary artist, album, ISRC country), a
multi-valued category (any credited artist, genre, playlist), or a text test. The same literal
drives matching (`compile_rules`), the preview's "why" (`explain`) and the check for rules that
can never match (`never_matches`), so the three cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from core.text import fold

MAX_DEPTH = 4
MAX_CONDITIONS = 40
DNF_TERM_LIMIT = 512  # past this the never-match check gives up (and says nothing)
ROOT = "r"

MATCHES = {"all": "ALL", "any": "ANY", "none": "NONE"}
NUMERIC_OPS = {
    "eq": "=",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "between": "between",
}
DATE_OPS = {"since": "on or after", "before": "before", "between": "between", "within": "within"}
# Windows for "plays": all time, or the last N days (the key of TrackFacts.play_windows).
PLAY_WINDOWS = {
    "all": "all time",
    "7": "in the last 7 days",
    "30": "in the last 30 days",
    "90": "in the last 90 days",
    "365": "in the last 365 days",
}


@dataclass(frozen=True)
class FieldSpec:
    label: str
    ops: dict[str, str]  # op → label
    kind: str  # range / bool / one / many / text
    mods: dict[str, str] | None = None  # modifier → label (artist credit, year basis, genre source)
    extended_only: bool = False
    hint: str = ""


FIELDS: dict[str, FieldSpec] = {
    "artist": FieldSpec(
        "Artist",
        {"is": "is"},
        "many",
        {"any": "any credited artist", "primary": "primary artist only"},
    ),
    "album": FieldSpec(
        "Album", {"is": "is", "contains": "contains", "regex": "matches regex"}, "one"
    ),
    "title": FieldSpec("Title", {"contains": "contains", "regex": "matches regex"}, "text"),
    "genre": FieldSpec(
        "Genre",
        {"is": "is"},
        "many",
        {"musicbrainz": "MusicBrainz", "spotify": "Spotify (extended mode)"},
    ),
    "year": FieldSpec(
        "Year",
        NUMERIC_OPS,
        "range",
        {"original": "original year", "album": "album release year"},
        hint="e.g. 1994",
    ),
    "decade": FieldSpec(
        "Decade",
        {"is": "is"},
        "range",
        {"original": "original year", "album": "album release year"},
        hint="e.g. 1990",
    ),
    "duration": FieldSpec(
        "Duration",
        {k: v for k, v in NUMERIC_OPS.items() if k != "eq"},
        "range",
        hint="seconds or m:ss",
    ),
    "explicit": FieldSpec("Explicit", {"is": "is"}, "bool"),
    "added": FieldSpec("Added to the base", DATE_OPS, "range", hint="YYYY-MM-DD, or days"),
    "isrc_country": FieldSpec("ISRC country", {"is": "is"}, "one", hint="two letters, e.g. GB"),
    "in_playlist": FieldSpec("In playlist", {"is": "is"}, "many"),
    "liked": FieldSpec("Liked", {"is": "is"}, "bool"),
    "popularity": FieldSpec(
        "Popularity", NUMERIC_OPS, "range", extended_only=True, hint="0 to 100"
    ),
    # From the listening archive (archive/): every play Tunekeeper polled or imported.
    "plays": FieldSpec("Plays", NUMERIC_OPS, "range", dict(PLAY_WINDOWS), hint="times played"),
    "last_played": FieldSpec("Last played", DATE_OPS, "range", hint="YYYY-MM-DD, or days"),
    "first_played": FieldSpec("First played", DATE_OPS, "range", hint="YYYY-MM-DD, or days"),
    "never_played": FieldSpec("Never played", {"is": "is"}, "bool"),
    "skips": FieldSpec("Skips", NUMERIC_OPS, "range", hint="times skipped (data export)"),
    "skip_share": FieldSpec("Skip share", NUMERIC_OPS, "range", hint="percent of plays, 0-100"),
    "listening_minutes": FieldSpec("Listening time", NUMERIC_OPS, "range", hint="minutes"),
}
HISTORY_FIELDS = frozenset(
    {"plays", "last_played", "first_played", "never_played", "skips", "skip_share",
     "listening_minutes"}
)  # fmt: skip
DATE_FIELDS = {"added": "added", "last_played": "last played", "first_played": "first played"}

# Values a numeric key can take; anything outside can never match.
UNIVERSE = {
    "duration": (0, None),
    "popularity": (0, 100),
    "plays": (0, None),
    "skips": (0, None),
    "skip_share": (0, 100),
    "listening_minutes": (0, None),
}
# Keys whose value can be unknown for a track (no MusicBrainz year, no added date, …).
NEVER_MISSING = {
    "duration", "explicit", "liked", "plays", "skips", "listening_minutes", "never_played"
}  # fmt: skip


class RuleError(ValueError):
    """Rules that cannot be used; `errors` maps a node path ("r.0.1") to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))
        self.errors = errors


# --- the facts a rule looks at --------------------------------------------------------------------


@dataclass(slots=True)
class TrackFacts:
    """One base track as the rules see it (built in bulk by sync.facts)."""

    id: str
    position: int  # first position in the base
    added_at: datetime | None
    name: str
    album_name: str
    artist_names: tuple[str, ...]  # as credited, primary first
    artist_ids: tuple[str, ...]
    genres: frozenset[str]  # MusicBrainz (lower case)
    spotify_genres: frozenset[str]  # extended mode only
    original_year: int | None  # MusicBrainz, else None
    album_year: int | None
    duration_ms: int
    explicit: bool
    isrc: str
    popularity: int | None
    liked: bool = False
    playlists: frozenset[str] = frozenset()  # the user's other playlists holding it
    occurrences: int = 1  # how often the base holds it
    # From the listening archive, loaded only when a rule or the order asks (sync.facts).
    plays: int = 0
    play_windows: dict[int, int] | None = None  # days → plays in the last N days
    listening_ms: int = 0
    first_played_at: datetime | None = None
    last_played_at: datetime | None = None
    skips: int = 0
    # Folded copies for matching, computed when a rule first asks (a history-only child over a
    # big base never needs them) and kept for the other children of the same sync.
    _album_folded: str | None = None
    _artists_folded: tuple[str, ...] | None = None

    @property
    def album_folded(self) -> str:
        if self._album_folded is None:
            self._album_folded = fold(self.album_name)
        return self._album_folded

    @property
    def artists_folded(self) -> tuple[str, ...]:
        if self._artists_folded is None:
            self._artists_folded = tuple(fold(name) for name in self.artist_names)
        return self._artists_folded

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"

    @property
    def year(self) -> int | None:
        return self.original_year or self.album_year

    @property
    def primary_artist(self) -> str:
        return self.artist_ids[0] if self.artist_ids else ""


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


# Getter per literal key: what a track's value is for it.
GETTERS: dict[str, Callable[[TrackFacts], object]] = {
    "year:original": lambda f: f.original_year or f.album_year,
    "year:album": lambda f: f.album_year,
    "duration": lambda f: f.duration_ms // 1000,
    "added": lambda f: _epoch(f.added_at),
    "popularity": lambda f: f.popularity,
    "explicit": lambda f: f.explicit,
    "liked": lambda f: f.liked,
    "artist:primary": lambda f: f.artists_folded[0] if f.artists_folded else None,
    "artist:any": lambda f: f.artists_folded,
    "album": lambda f: f.album_folded,
    "isrc_country": lambda f: f.isrc[:2] if len(f.isrc) >= 2 else None,
    "genre:musicbrainz": lambda f: f.genres,
    "genre:spotify": lambda f: f.spotify_genres,
    "in_playlist": lambda f: f.playlists,
    "title": lambda f: f.name,
    "album_text": lambda f: f.album_name,
    "plays:all": lambda f: f.plays,
    **{
        f"plays:{days}": (lambda f, days=int(days): (f.play_windows or {}).get(days, 0))
        for days in PLAY_WINDOWS
        if days != "all"
    },
    "last_played": lambda f: _epoch(f.last_played_at),
    "first_played": lambda f: _epoch(f.first_played_at),
    "never_played": lambda f: f.plays == 0,
    "skips": lambda f: f.skips,
    "skip_share": lambda f: round(100 * f.skips / f.plays) if f.plays else None,
    "listening_minutes": lambda f: f.listening_ms // 60_000,
}


# --- literals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    kind: str  # range / bool / one / many / contains / regex / false
    key: str
    label: str
    lo: int | None = None
    hi: int | None = None
    value: object = None

    def test(self) -> Callable[[TrackFacts], bool]:
        get = GETTERS.get(self.key)
        if self.kind == "false":
            return lambda f: False
        if self.kind == "range":
            lo, hi = self.lo, self.hi

            def in_range(f):
                v = get(f)
                return v is not None and (lo is None or v >= lo) and (hi is None or v <= hi)

            return in_range
        if self.kind in ("bool", "one"):
            wanted = self.value
            return lambda f: get(f) == wanted
        if self.kind == "many":
            wanted = self.value
            return lambda f: wanted in get(f)
        if self.kind == "contains":
            needle = self.value
            return lambda f: needle in fold(get(f) or "")
        if self.kind == "regex":
            pattern = re.compile(self.value, re.IGNORECASE)
            return lambda f: pattern.search(get(f) or "") is not None
        raise ValueError(f"unknown literal kind {self.kind}")


def _day_start(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _parse_int(raw, what: str) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"{what} must be a whole number")
    if isinstance(raw, int):
        return raw
    text = str(raw or "").strip()
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{what} must be a whole number")
    return int(text)


def _parse_seconds(raw) -> int:
    """Seconds, or m:ss."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw or "").strip()
    match = re.fullmatch(r"(\d+):([0-5]\d)", text)
    if match:
        return int(match[1]) * 60 + int(match[2])
    return _parse_int(text, "Duration")


def _parse_date(raw) -> date:
    text = str(raw or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("Dates are written YYYY-MM-DD") from None


def _parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw or "").strip().lower()
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0", "off"):
        return False
    raise ValueError("Choose yes or no")


def _range(op: str, a: int, b: int | None) -> tuple[int | None, int | None]:
    if op == "eq":
        return a, a
    if op == "lt":
        return None, a - 1
    if op == "lte":
        return None, a
    if op == "gt":
        return a + 1, None
    if op == "gte":
        return a, None
    if op == "between":
        low, high = sorted((a, b if b is not None else a))
        return low, high
    raise ValueError(f"unknown comparison {op}")


def normalise_condition(node: dict, *, extended: bool) -> dict:
    """A condition with typed values; raises ValueError with a message a person understands."""
    field = node.get("field")
    spec = FIELDS.get(field)
    if spec is None:
        raise ValueError("Choose what to compare")
    if spec.extended_only and not extended:
        raise ValueError(f"{spec.label} needs Spotify extended mode (SPOTIFY_API_MODE=extended)")
    op = node.get("op") or next(iter(spec.ops))
    if op not in spec.ops:
        raise ValueError(f"{spec.label} cannot be compared with {op!r}")
    out: dict = {"kind": "condition", "field": field, "op": op}
    if spec.mods:
        mod = node.get("mod") or next(iter(spec.mods))
        if mod not in spec.mods:
            raise ValueError(f"Unknown option {mod!r} for {spec.label}")
        if field == "genre" and mod == "spotify" and not extended:
            raise ValueError("Spotify's own genres need extended mode; use MusicBrainz genres")
        out["mod"] = mod
    raw, raw2 = node.get("value"), node.get("value2")
    if field in ("year", "popularity", "plays", "skips", "skip_share", "listening_minutes"):
        out["value"] = _parse_int(raw, spec.label)
        if op == "between":
            out["value2"] = _parse_int(raw2, spec.label)
            if out["value2"] < out["value"]:
                raise ValueError(
                    f"'Between {out['value']} and {out['value2']}' is reversed: "
                    "put the smaller number first"
                )
        if field != "year" and out["value"] < 0:
            raise ValueError(f"{spec.label} cannot be negative")
    elif field == "decade":
        text = str(raw or "").strip().rstrip("sS")
        decade = _parse_int(text, "Decade")
        if decade < 100:  # "90s"
            decade += 1900
        if decade % 10:
            raise ValueError("A decade starts at a year ending in 0, e.g. 1990")
        out["value"] = decade
    elif field == "duration":
        out["value"] = _parse_seconds(raw)
        if op == "between":
            out["value2"] = _parse_seconds(raw2)
    elif field in DATE_FIELDS:
        if op == "within":
            days = _parse_int(raw, "Days")
            if days < 0:
                raise ValueError("Days must be 0 or more")
            out["value"] = days
        else:
            out["value"] = _parse_date(raw).isoformat()
            if op == "between":
                out["value2"] = _parse_date(raw2).isoformat()
                if out["value2"] < out["value"]:
                    raise ValueError("The dates of 'between' are reversed: put the earlier first")
    elif spec.kind == "bool":
        out["value"] = _parse_bool(raw)
    elif field == "isrc_country":
        text = str(raw or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", text):
            raise ValueError("An ISRC country is two letters, e.g. GB")
        out["value"] = text
    else:
        text = str(raw or "").strip()
        if not text and not (field in ("title", "album") and op == "contains"):
            raise ValueError(f"Enter a value for {spec.label.lower()}")
        if op == "regex":
            try:
                re.compile(text)
            except re.error as error:
                raise ValueError(f"Not a valid regular expression: {error}") from None
        out["value"] = text[:200]
        if field == "in_playlist" and node.get("label"):
            out["label"] = str(node["label"])[:200]
    return out


def literal_for(cond: dict, *, now: datetime) -> Literal:
    """The literal a (normalised) condition stands for."""
    field, op, value, mod = cond["field"], cond["op"], cond.get("value"), cond.get("mod")
    label = describe(cond)
    if field in ("year", "popularity", "duration", "plays", "skips", "skip_share") or (
        field == "listening_minutes"
    ):
        key = f"{field}:{mod}" if field in ("year", "plays") else field
        lo, hi = _range(op, value, cond.get("value2"))
        return Literal("range", key, label, lo=lo, hi=hi)
    if field == "decade":
        return Literal("range", f"year:{mod}", label, lo=value, hi=value + 9)
    if field in DATE_FIELDS:
        if op == "within":
            return Literal("range", field, label, lo=int(now.timestamp()) - value * 86400)
        start = _day_start(date.fromisoformat(value))
        if op == "since":
            return Literal("range", field, label, lo=start)
        if op == "before":
            return Literal("range", field, label, hi=start - 1)
        end = _day_start(date.fromisoformat(cond["value2"]))
        low, high = sorted((start, end))
        return Literal("range", field, label, lo=low, hi=high + 86399)
    if field in ("explicit", "liked", "never_played"):
        return Literal("bool", field, label, value=bool(value))
    if field == "isrc_country":
        return Literal("one", field, label, value=value)
    if field == "artist":
        kind = "one" if mod == "primary" else "many"
        return Literal(kind, f"artist:{mod}", label, value=fold(value))
    if field == "genre":
        return Literal("many", f"genre:{mod}", label, value=value.strip().lower())
    if field == "in_playlist":
        return Literal("many", "in_playlist", label, value=value)
    if field == "album" and op == "is":
        return Literal("one", "album", label, value=fold(value))
    text_key = "title" if field == "title" else "album_text"
    if op == "contains":
        return Literal("contains", text_key, label, value=fold(value))
    return Literal("regex", text_key, label, value=value)


def describe(cond: dict) -> str:
    """ "original year ≥ 1990", "artist is Nina Simone (primary)", for people."""
    spec = FIELDS[cond["field"]]
    field, op, value = cond["field"], cond["op"], cond.get("value")
    name = spec.label.lower()
    if field in ("year", "decade"):
        name = spec.mods[cond.get("mod", "original")] if field == "year" else "decade"
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if field == "decade":
        value = f"{value}s"
    if field == "duration":
        value = f"{value // 60}:{value % 60:02d}"
    if field == "in_playlist":
        value = cond.get("label") or value
    if op == "between":
        value2 = cond.get("value2")
        if field == "duration":
            value2 = f"{value2 // 60}:{value2 % 60:02d}"
        return f"{name} between {value} and {value2}"
    if field == "plays":
        window = PLAY_WINDOWS[cond.get("mod", "all")]
        if op == "between":
            return f"played {value} to {cond.get('value2')} times {window}"
        return f"played {spec.ops[op]} {value} times {window}"
    if field == "listening_minutes":
        name = "listening time (minutes)"
    if op == "within":
        return f"{DATE_FIELDS[field]} in the last {value} days"
    text = f"{name} {spec.ops[op]} {value}"
    if field == "artist" and cond.get("mod") == "primary":
        text += " (primary)"
    if field == "genre":
        text += " (Spotify)" if cond.get("mod") == "spotify" else " (MusicBrainz)"
    return text


# --- validation -----------------------------------------------------------------------------------


def normalise(tree: dict, *, extended: bool = False) -> dict:
    """Check and type a rule tree; raises RuleError with every problem found, by path."""
    errors: dict[str, str] = {}
    count = 0

    def walk(node, path: str, depth: int):
        nonlocal count
        if not isinstance(node, dict):
            errors[path] = "Not a rule"
            return None
        if node.get("kind") == "group":
            match = node.get("match", "all")
            if match not in MATCHES:
                errors[path] = "A group matches ALL, ANY or NONE of its rules"
                match = "all"
            if depth >= MAX_DEPTH:
                errors[path] = f"Groups nest at most {MAX_DEPTH} deep"
                return None
            children = node.get("rules") or []
            if not isinstance(children, list):
                errors[path] = "Not a rule list"
                return None
            out = []
            for index, child in enumerate(children):
                result = walk(child, f"{path}.{index}", depth + 1)
                if result is not None:
                    out.append(result)
            return {"kind": "group", "match": match, "rules": out}
        count += 1
        try:
            return normalise_condition(node, extended=extended)
        except ValueError as error:
            errors[path] = str(error)
            return None

    result = walk(tree, ROOT, 0)
    if result is not None and result.get("kind") != "group":
        result = {"kind": "group", "match": "all", "rules": [result]}
    if count > MAX_CONDITIONS:
        errors[ROOT] = f"At most {MAX_CONDITIONS} conditions"
    if errors:
        raise RuleError(errors)
    return result


# --- matching -------------------------------------------------------------------------------------


def compile_rules(tree: dict, *, now: datetime) -> Callable[[TrackFacts], bool]:
    """A predicate over TrackFacts for a normalised tree."""
    if tree["kind"] == "condition":
        return literal_for(tree, now=now).test()
    parts = [compile_rules(child, now=now) for child in tree["rules"]]
    match = tree["match"]
    if match == "all":
        return lambda f: all(part(f) for part in parts)
    if match == "any":
        return lambda f: any(part(f) for part in parts)
    return lambda f: not any(part(f) for part in parts)


def explain(tree: dict, facts: TrackFacts, *, now: datetime) -> tuple[bool, list[str]]:
    """Whether the track matches, and why: the conditions that decided it."""
    if tree["kind"] == "condition":
        matched = literal_for(tree, now=now).test()(facts)
        return matched, [describe(tree)] if matched else []
    results = [explain(child, facts, now=now) for child in tree["rules"]]
    match = tree["match"]
    if match == "all":
        ok = all(r[0] for r in results)
        return ok, [reason for r in results for reason in r[1]] if ok else []
    if match == "any":
        reasons = [reason for r in results if r[0] for reason in r[1]]
        return any(r[0] for r in results), reasons
    ok = not any(r[0] for r in results)
    return ok, [f"not ({_summary(child)})" for child in tree["rules"]] if ok else []


def _summary(node: dict) -> str:
    if node["kind"] == "condition":
        return describe(node)
    inner = ", ".join(_summary(child) for child in node["rules"])
    return f"{MATCHES[node['match']]} of: {inner}"


# --- rules that can never match -------------------------------------------------------------------


class _TooBig(Exception):
    pass


FALSE = Literal("false", "", "nothing")


def _dnf(node: dict, negate: bool, now: datetime) -> list[tuple]:
    """Disjunctive normal form: a list of terms, each a tuple of (literal, positive) pairs.
    Terms that are already contradictory are dropped as they appear, which keeps it small."""
    if node["kind"] == "condition":
        return [((literal_for(node, now=now), not negate),)]
    children = node["rules"]
    match = node["match"]
    # NONE = ALL of the negated rules; a negation swaps ALL and ANY (De Morgan):
    # ALL → AND, ANY → OR, NONE → AND of NOTs; NOT ALL → OR of NOTs, NOT ANY → AND of NOTs,
    # NOT NONE → OR.
    conjunction = (match == "any") == negate
    child_negate = negate != (match == "none")
    if conjunction:
        terms: list[tuple] = [()]
        for child in children:
            child_terms = _dnf(child, child_negate, now)
            if len(terms) * len(child_terms) > DNF_TERM_LIMIT * 4:
                raise _TooBig
            terms = [a + b for a in terms for b in child_terms if _satisfiable(a + b)]
            if len(terms) > DNF_TERM_LIMIT:
                raise _TooBig
            if not terms:
                return []
        return terms
    terms = []
    for child in children:
        terms += _dnf(child, child_negate, now)
        if len(terms) > DNF_TERM_LIMIT:
            raise _TooBig
    return terms


def _intersect(intervals, lo, hi):
    out = []
    for a, b in intervals:
        low = lo if a is None else (a if lo is None else max(a, lo))
        high = hi if b is None else (b if hi is None else min(b, hi))
        if low is None or high is None or low <= high:
            out.append((low, high))
    return out


def _complement(lo, hi) -> list[tuple]:
    parts = []
    if lo is not None:
        parts.append((None, lo - 1))
    if hi is not None:
        parts.append((hi + 1, None))
    return parts


def _satisfiable(term: tuple) -> bool:
    ranges: dict[str, tuple[list, bool]] = {}
    bools: dict[str, set] = {}
    ones: dict[str, tuple[set, set]] = {}
    manys: dict[str, tuple[set, set]] = {}
    texts: dict[str, tuple[set, set]] = {}
    regexes: dict[str, tuple[set, set]] = {}
    for literal, positive in term:
        kind, key = literal.kind, literal.key
        if kind == "false":
            if positive:
                return False
            continue
        if kind == "range":
            root = key.split(":")[0]
            if key not in ranges:
                low, high = UNIVERSE.get(root, (None, None))
                ranges[key] = ([(low, high)], root not in NEVER_MISSING)
            intervals, missing = ranges[key]
            if positive:
                intervals, missing = _intersect(intervals, literal.lo, literal.hi), False
            else:
                intervals = [
                    part
                    for lo, hi in _complement(literal.lo, literal.hi)
                    for part in _intersect(intervals, lo, hi)
                ]
            if not intervals and not missing:
                return False
            ranges[key] = (intervals, missing)
        elif kind == "bool":
            possible = bools.setdefault(key, {True, False})
            possible &= {literal.value if positive else not literal.value}
            if not possible:
                return False
        else:
            table = {"one": ones, "many": manys, "contains": texts, "regex": regexes}[kind]
            wanted, refused = table.setdefault(key, (set(), set()))
            (wanted if positive else refused).add(literal.value)
            if wanted & refused:
                return False
            if kind == "one" and len(wanted) > 1:
                return False  # one value cannot equal two different things
            if kind == "contains" and (
                "" in refused or any(no in yes for no in refused for yes in wanted)
            ):
                return False
    return True


def never_matches(tree: dict, *, now: datetime | None = None) -> str | None:
    """A reason when no track whatsoever could match the (normalised) rules; else None.

    Sound, not complete: when it answers, it is right; contradictions it does not model (or
    trees too large to expand) pass. "No track of *this* base matches" is the preview's job.
    """
    now = now or datetime.now(UTC)
    try:
        terms = _dnf(tree, False, now)
    except _TooBig:
        return None
    if terms:
        return None
    if tree["kind"] == "group" and tree["match"] == "any" and not tree["rules"]:
        return "An empty ANY group matches nothing: add a rule to it, or make it ALL."
    return (
        "These rules can never match any track: some conditions contradict each other "
        "(for example a year both before and after a date, or a value both required and "
        "excluded)."
    )


def conditions_in(tree: dict):
    if tree["kind"] == "condition":
        yield tree
        return
    for child in tree["rules"]:
        yield from conditions_in(child)


def uses_field(tree: dict, field: str) -> bool:
    return any(cond["field"] == field for cond in conditions_in(tree))


def history_needs(trees) -> tuple[bool, set[int], bool, bool]:
    """What rules ask of the listening archive: (anything at all, windows in days, skips,
    first or last play dates)."""
    windows: set[int] = set()
    used = skips = dates = False
    for tree in trees:
        for cond in conditions_in(tree):
            if cond["field"] not in HISTORY_FIELDS:
                continue
            used = True
            if cond["field"] == "plays" and cond.get("mod", "all") != "all":
                windows.add(int(cond["mod"]))
            skips = skips or cond["field"] in ("skips", "skip_share")
            dates = dates or cond["field"] in ("first_played", "last_played")
    return used, windows, skips, dates
