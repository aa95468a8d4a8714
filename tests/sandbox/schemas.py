"""Validate sandbox responses against the component schemas of Spotify's own OpenAPI file.

The file is OpenAPI 3.0, so it is turned into JSON Schema (2020-12) first:
- `nullable: true` becomes "or null";
- `required` loses every property the spec marks `deprecated`: development mode leaves those
  fields out (AlbumBase requires `available_markets`, AlbumObject `genres`/`label`/`popularity`),
  and a separate test checks they are absent there and present in extended mode;
- a property is nullable exactly when the file says so: `nullable: true`, or a description that
  says null ("URL to the next page of items. ( `null` if none)", "Can be `null`", "some very old
  playlists may return `null`");
- a few properties Spotify really sends as null although the file's words do not say so are
  named with their schema (SENT_AS_NULL), each with the evidence.
Local files are not validated here (their ids, hrefs and album fields are null, which no
schema in the file allows); test_playlists checks their shape explicitly.
"""

import os
import re
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from tests.conftest import require_service

# Spotify's own API description, kept beside the project's other references (not vendored here).
# SPOTIFY_OPENAPI points elsewhere if the file lives somewhere else.
# The project's shared/ folder sits beside the repository (as in CI's clone).
_BESIDE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "spotify-openapi.yml"
SPEC = Path(os.environ.get("SPOTIFY_OPENAPI", str(_BESIDE)))
# "Schema.property": Spotify sends null here though the description does not say so.
SENT_AS_NULL = {
    # An empty recently-played page has `"cursors": null` (spotify/web-api #764, #1405).
    "CursorPagingObject.cursors",
    # The last page of followed artists has `"cursors": {"after": null}`.
    "CursorObject.after",
    "CursorObject.before",
    # A play from no context (search, a single track page): `"context": null`.
    "PlayHistoryObject.context",
    # A playlist row whose track is gone from the catalog: `"item": null` and `"track": null`.
    "PlaylistTrackObject.item",
    "PlaylistTrackObject.track",
}
IGNORED_KEYS = {"discriminator", "example", "x-spotify-docs-type", "deprecated", "nullable"}


@cache
def spec() -> dict:
    require_service(SPEC.exists(), f"Spotify's OpenAPI file at {SPEC} (set SPOTIFY_OPENAPI)")
    return yaml.safe_load(SPEC.read_text())


def _or_null(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _resolve(node: dict, schemas: dict) -> dict:
    while "$ref" in node:
        node = schemas[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _declared_properties(node: dict, schemas: dict) -> dict:
    """Properties of a schema including those declared in its allOf parts."""
    node = _resolve(node, schemas)
    found = dict(node.get("properties", {}))
    for part in node.get("allOf", []):
        found.update(_declared_properties(part, schemas))
    return found


def _says_null(node: dict) -> bool:
    return bool(re.search(r"\bnull\b", str(node.get("description", "")), re.IGNORECASE))


def _convert(node, schemas: dict, owner: str = ""):
    """`owner` is the component the node belongs to (for SENT_AS_NULL)."""
    if isinstance(node, list):
        return [_convert(element, schemas, owner) for element in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key in IGNORED_KEYS or key.startswith("x-"):
            continue
        if key == "$ref":
            converted[key] = value
        elif key == "properties":
            converted[key] = {
                name: _or_null(_convert(sub, schemas, owner))
                if _says_null(sub) or f"{owner}.{name}" in SENT_AS_NULL
                else _convert(sub, schemas, owner)
                for name, sub in value.items()
            }
        elif key == "required":
            declared = _declared_properties(node, schemas)
            converted[key] = [
                name for name in value if not declared.get(name, {}).get("deprecated")
            ]
        else:
            converted[key] = _convert(value, schemas, owner)
    if node.get("nullable"):
        return _or_null(converted)
    return converted


@cache
def _components() -> dict:
    schemas = spec()["components"]["schemas"]
    return {name: _convert(schema, schemas, name) for name, schema in schemas.items()}


def response_schema(name: str) -> dict:
    """The JSON schema of components.responses[name] (e.g. "SearchItems", "ManyTracks")."""
    raw = spec()["components"]["responses"][name]["content"]["application/json"]["schema"]
    return _convert(raw, spec()["components"]["schemas"])


def validate(instance, component: str | None = None, *, schema: dict | None = None) -> None:
    """Raise jsonschema.ValidationError unless `instance` matches the named component schema."""
    target = schema if schema is not None else {"$ref": f"#/components/schemas/{component}"}
    root = {**target, "components": {"schemas": _components()}}
    Draft202012Validator(root).validate(instance)


@cache
def known_property_names() -> frozenset[str]:
    """Every property name any schema of the spec declares (catches invented fields)."""
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            names.update(node.get("properties", {}).keys())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec()["components"])
    return frozenset(names)


# Fields Spotify really sends that its description leaves out: a playlist's and a playlist
# row's `primary_color`, a row's `video_thumbnail`, a playlist track's `episode` flag.
SENT_UNDESCRIBED = {"primary_color", "video_thumbnail", "episode"}


def unknown_keys(instance) -> set[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            found.update(
                key
                for key in node
                if key not in known_property_names() and key not in SENT_UNDESCRIBED
            )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(instance)
    return found


def _operation(method: str, path: str) -> tuple[str, dict]:
    """The spec's (path template, operation) for a request path under /v1 ("/me/tracks")."""
    wanted = path.rstrip("/").split("/")
    for template, operations in spec()["paths"].items():
        parts = template.split("/")
        matches = len(parts) == len(wanted) and all(
            part == got or (part.startswith("{") and got)
            for part, got in zip(parts, wanted, strict=True)
        )
        if matches and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in Spotify's API description")


def validate_exchange(method: str, path: str, status: int, body: bytes) -> None:
    """Check one real response against the spec: the status is one the operation documents, and
    the JSON body (if the status has one) matches its schema; error bodies match ErrorObject."""
    import json

    template, operation = _operation(method, path)
    documented = operation["responses"].get(str(status))
    if documented is None and status >= 400:
        # The file lists only some errors per operation; every error has the one error body.
        documented = spec()["components"]["responses"]["BadRequest"]
    assert documented is not None, f"{method} {template} answered {status}, not documented"
    documented = _resolve_response(documented)
    content = documented.get("content", {}).get("application/json")
    if content is None:
        assert not body.strip() or status >= 400, f"{method} {template} {status}: {body[:200]!r}"
        return
    schema = _convert(content["schema"], spec()["components"]["schemas"])
    validate(_without_local_files(json.loads(body)), schema=schema)


def _without_local_files(data):
    """Playlist pages minus local-file rows, which no schema allows (see the module docstring)."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        rows = [row for row in data["items"] if not (isinstance(row, dict) and row.get("is_local"))]
        return {**data, "items": rows}
    return data


def _resolve_response(node: dict) -> dict:
    while "$ref" in node:
        node = spec()["components"]["responses"][node["$ref"].rsplit("/", 1)[-1]]
    return node
