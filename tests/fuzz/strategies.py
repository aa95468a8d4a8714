"""Hypothesis strategies for hostile request values and hostile upload files."""

from __future__ import annotations

import io
import json
import zipfile

from hypothesis import strategies as st

# Values that broke something once, or break parsers in general.
NASTY = [
    "",
    " ",
    "²",  # isdigit() but not int()
    "١٢٣",  # Arabic-Indic digits: int() takes them
    "𝟙𝟚",
    "0",
    "-1",
    "00000000000000000000001",
    "9" * 30,
    str(2**63),
    str(-(2**63) - 1),
    "1e400",
    "inf",
    "-inf",
    "nan",
    "3000000000",
    "0x10",
    "1_000",
    "abc",
    "\x00",
    "a\x00b",
    "\ufeff1",
    "\u202e1",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2024-02-30",
    "-2024-01-01",
    "2024-01-01T00:00:00+99:00",
    "r.²",
    "r.0.0.0.0.0.0.0.0.0",
    "remove:r.99999999999999999999",
    "add-group:r." + ".".join(["0"] * 50),
    "playlist:" + "x" * 300,
    "x" * 10_000,
    "[" * 5000,
    json.dumps({"a": [1, 2, {"b": None}]}),
]

hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.characters(categories=["Nd", "No"]).map(lambda c: c * 3),
    st.integers(min_value=1, max_value=20_000).map(lambda n: "[" * n + "]" * n),
)


def nested_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@st.composite
def hostile_file(draw) -> bytes:
    """A file of the kinds that broke parsers: deep nesting, many members, long lines,
    binary, NULs, huge numbers."""
    kind = draw(
        st.sampled_from(
            ["deep", "deep_object", "members", "long_line", "binary", "nul", "numbers", "text"]
        )
    )
    if kind == "deep":
        depth = draw(st.integers(min_value=10, max_value=20_000))
        return b"[" * depth + b"]" * depth
    if kind == "deep_object":
        return b"[" + nested_json(draw(st.integers(min_value=10, max_value=5_000))) + b"]"
    if kind == "members":
        count = draw(st.integers(min_value=1, max_value=300))
        body = draw(st.sampled_from([b"[]", b"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", b"\x00"]))
        return zip_of({f"Streaming_History_Audio_{n}.json": body for n in range(count)})
    if kind == "long_line":
        return b"A - " + b"x" * draw(st.integers(min_value=1, max_value=300_000)) + b"\n"
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=4096))
    if kind == "nul":
        return b"Artist - Title\n" * draw(st.integers(0, 500)) + b"\x00" + b"more\n"
    if kind == "numbers":
        number = draw(st.sampled_from([b"1e400", b"-1", b"3000000000", b"99999999999999999999"]))
        return (
            b'[{"ts": "2024-01-01T00:00:00Z", "ms_played": '
            + number
            + b', "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC"}]'
        )
    return draw(st.text(max_size=2000)).encode("utf-8", "surrogatepass")
