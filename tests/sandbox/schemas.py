"""Validate sandbox responses against the component schemas of Spotify's own OpenAPI file.

The file is OpenAPI 3.0, so it is turned into JSON Schema (2020-12) first:
- `nullable: true` becomes "or null";
- `required` loses every property the spec marks `deprecated`: development mode leaves those
  fields out (AlbumBase requires `available_markets`, AlbumObject `genres`/`label`/`popularity`),
  and a separate test checks they are absent there and present in extended mode;
- a few properties that Spotify really sends as null but the spec types as plain strings or
  objects accept null too (RELAXED_NULLS): paging/cursor links at the end of a list, the
  `cursors` of an empty recently-played page, the `item`/`track` of an unavailable playlist
  row, `added_by`/`added_at` of very old rows (the spec's own note), a play's `context`.
Local files are not validated here (their ids, hrefs and album fields are null, which no
schema in the file allows); test_playlists checks their shape explicitly.
"""

import os
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
RELAXED_NULLS = {
    "next",
    "previous",
    "cursors",
    "after",
    "before",
    "item",
    "track",
    "added_by",
    "added_at",
    "context",
    "description",
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


def _convert(node, schemas: dict):
    if isinstance(node, list):
        return [_convert(element, schemas) for element in node]
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
                name: _or_null(_convert(sub, schemas))
                if name in RELAXED_NULLS
                else _convert(sub, schemas)
                for name, sub in value.items()
            }
        elif key == "required":
            declared = _declared_properties(node, schemas)
            converted[key] = [
                name for name in value if not declared.get(name, {}).get("deprecated")
            ]
        else:
            converted[key] = _convert(value, schemas)
    if node.get("nullable"):
        return _or_null(converted)
    return converted


@cache
def _components() -> dict:
    schemas = spec()["components"]["schemas"]
    return {name: _convert(schema, schemas) for name, schema in schemas.items()}


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


def unknown_keys(instance) -> set[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            found.update(key for key in node if key not in known_property_names())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(instance)
    return found
