"""Blocklists as files people can share: JSON and CSV, export and import.

JSON::

    {"format": "tunekeeper-blocklist", "format_version": 1, "name": "No crooners", "version": 3,
     "description": "...", "entries": [{"kind": "artist", "spotify_id": "…22 chars…",
     "name": "…", "include_featured": false, "note": "…"}]}

CSV: one entry per row with the list's name and version on every row::

    list_name,list_version,kind,spotify_id,name,include_featured,note

Community lists are read too: the `artist,id` CSV (spotify-ai-blocker's) and a JSON array of
artist ids, URIs or objects with an id (romiem/ai-bands' artists.json); every entry an artist.

An import is parsed and validated whole first (bounded size, every row checked, problems named
by row), then kept as a `BlocklistImport` until the person confirms it. Re-importing a list with
the same name shows what changed (added, removed, changed entries; newer or older version).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from django.db import transaction

from core import clock, params, spreadsheet
from enforcement.blocklist import OWN_LIST_NAME, SPOTIFY_ID, parse_references
from enforcement.models import (
    BlockEntry,
    Blocklist,
    BlocklistImport,
    EntryKind,
    EntrySource,
    ImportStatus,
)

FORMAT = "tunekeeper-blocklist"
FORMAT_VERSION = 1
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ENTRIES = 20_000
MAX_PROBLEMS_SHOWN = 10
CSV_COLUMNS = [
    "list_name",
    "list_version",
    "kind",
    "spotify_id",
    "name",
    "include_featured",
    "note",
]
TRUE_WORDS = {"1", "true", "yes", "y"}
FALSE_WORDS = {"0", "false", "no", "n", ""}


class InvalidImport(Exception):
    """The file cannot be imported; the message says why in words a person understands."""


# --- export -------------------------------------------------------------------------------------


def _entry_dict(entry: BlockEntry) -> dict:
    return {
        "kind": entry.kind,
        "spotify_id": entry.spotify_id,
        "name": entry.name,
        "include_featured": entry.include_featured,
        "note": entry.note,
    }


def export_json(blocklist: Blocklist) -> str:
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": blocklist.name,
        "version": blocklist.version,
        "description": blocklist.description,
        "exported_at": clock.now().isoformat(timespec="seconds"),
        "entries": [_entry_dict(e) for e in blocklist.entries.order_by("kind", "name", "id")],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def export_csv(blocklist: Blocklist) -> str:
    out = io.StringIO()
    writer = spreadsheet.writer(out)  # no cell runs as a formula in a spreadsheet
    writer.writerow(CSV_COLUMNS)
    for entry in blocklist.entries.order_by("kind", "name", "id"):
        writer.writerow(
            [
                blocklist.name,
                blocklist.version,
                entry.kind,
                entry.spotify_id,
                entry.name,
                "true" if entry.include_featured else "false",
                entry.note,
            ]
        )
    return out.getvalue()


def export_filename(blocklist: Blocklist, extension: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in blocklist.name).strip("-")
    return f"{safe or 'blocklist'}-v{blocklist.version}.{extension}"


# --- parsing ------------------------------------------------------------------------------------


@dataclass
class ParsedList:
    name: str
    version: int
    description: str = ""
    entries: list[dict] = field(default_factory=list)


def _version(value, where: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidImport(f"{where}: the version must be a whole number, not {value!r}") from None
    if not 1 <= number <= 1_000_000:
        raise InvalidImport(f"{where}: the version must be between 1 and 1000000")
    return number


def _name(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidImport(f"{where}: the list needs a name")
    name = value.replace("\x00", "").strip()
    if len(name) > 100:
        raise InvalidImport(f"{where}: the list's name is longer than 100 characters")
    return name


def _flag(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value if value is not None else "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidImport(f"{where}: include_featured must be true or false, not {value!r}")


def _clean(value) -> str:
    """Text as stored: a JSON "\\u0000" decodes to a NUL, which PostgreSQL cannot store."""
    return str(value or "").replace("\x00", "")


def _entry(raw: dict, where: str, problems: list[str]) -> dict | None:
    kind = str(raw.get("kind") or "").strip().lower()
    spotify_id = str(raw.get("spotify_id") or raw.get("uri") or "").strip()
    if not SPOTIFY_ID.match(spotify_id):
        references, _ = parse_references(spotify_id)
        if len(references) == 1:  # a link or URI where an id was expected
            kind = kind or references[0].kind
            spotify_id = references[0].spotify_id
    if kind not in EntryKind.values:
        problems.append(f"{where}: kind must be artist, album or track, not {kind or 'empty'!r}")
        return None
    if not SPOTIFY_ID.match(spotify_id):
        problems.append(f"{where}: {spotify_id[:60]!r} is not a Spotify id (22 letters/digits)")
        return None
    try:
        featured = _flag(raw.get("include_featured"), where)
    except InvalidImport as error:
        problems.append(str(error))
        return None
    return {
        "kind": kind,
        "spotify_id": spotify_id,
        "name": _clean(raw.get("name"))[:500],
        "include_featured": featured and kind == EntryKind.ARTIST,
        "note": _clean(raw.get("note"))[:2000],
    }


def _finish(parsed: ParsedList, rows: list[tuple[str, dict]]) -> ParsedList:
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    if len(rows) > MAX_ENTRIES:
        raise InvalidImport(f"the file has {len(rows)} entries; at most {MAX_ENTRIES} are allowed")
    for where, raw in rows:
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected an object with kind and spotify_id")
            continue
        entry = _entry(raw, where, problems)
        if entry is None:
            continue
        key = (entry["kind"], entry["spotify_id"])
        if key not in seen:  # a repeated entry counts once
            seen.add(key)
            parsed.entries.append(entry)
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        raise InvalidImport(f"{shown}{f'; and {more} more problems' if more > 0 else ''}")
    return parsed


MAX_JSON_DEPTH = 8  # a blocklist file is an object holding a list of flat objects (depth 3)


def _community_entry(raw) -> dict:
    """An entry of a community list: a bare artist id or URI, or an object naming one."""
    if isinstance(raw, str):
        return {"kind": "artist", "spotify_id": raw}
    if not isinstance(raw, dict):
        return {}
    spotify_id = raw.get("spotify_id") or raw.get("id") or raw.get("uri") or ""
    name = raw.get("name") or raw.get("artist") or ""
    return {
        "kind": raw.get("kind") or "artist",
        "spotify_id": str(spotify_id),
        "name": str(name),
    }


def parse_community_json(document: list, default_name: str) -> ParsedList:
    """A JSON array of artist ids or objects (romiem/ai-bands' artists.json and the like)."""
    parsed = ParsedList(name=_name(default_name, "the file"), version=1)
    rows = [
        (f"entry {number}", _community_entry(raw))
        for number, raw in enumerate(document[: MAX_ENTRIES + 1], start=1)
    ]
    return _finish(parsed, rows)


def parse_json(text: str, default_name: str = "Imported list") -> ParsedList:
    try:
        document = json.loads(text)
    except RecursionError:
        raise InvalidImport(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise InvalidImport(
            f"this is not valid JSON (line {error.lineno}, column {error.colno})"
        ) from None
    if params.json_depth(document, limit=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise InvalidImport(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(document, list):
        return parse_community_json(document, default_name)
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        raise InvalidImport('expected a JSON object with an "entries" list')
    if document.get("format", FORMAT) != FORMAT:
        raise InvalidImport(f"this is not a Tunekeeper blocklist (format {document['format']!r})")
    parsed = ParsedList(
        name=_name(document.get("name"), "the file"),
        version=_version(document.get("version", 1), "the file"),
        description=_clean(document.get("description"))[:2000],
    )
    rows = [(f"entry {number}", raw) for number, raw in enumerate(document["entries"], start=1)]
    return _finish(parsed, rows)


def parse_csv(text: str, default_name: str) -> ParsedList:
    reader = csv.DictReader(io.StringIO(text))
    columns = {(c or "").strip().lower() for c in reader.fieldnames or []}
    if "id" in columns and not {"kind", "spotify_id"} & columns:
        return parse_artist_id_csv(reader, default_name)
    if not {"kind", "spotify_id"} <= columns:
        raise InvalidImport(
            "the CSV needs a header row with kind and spotify_id (Tunekeeper's own lists) or "
            "artist and id (community lists such as spotify-ai-blocker's)"
        )
    rows = []
    names: set[str] = set()
    versions: set[str] = set()
    try:
        for number, row in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): spreadsheet.restore(v or "") for k, v in row.items()}
            if not any(value.strip() for value in row.values()):
                continue
            names.add(row.get("list_name", "").strip())
            versions.add(row.get("list_version", "").strip())
            rows.append((f"line {number}", row))
            if len(rows) > MAX_ENTRIES:
                break
    except csv.Error as error:
        raise InvalidImport(f"the CSV cannot be read: {error}") from None
    names.discard("")
    versions.discard("")
    if len(names) > 1 or len(versions) > 1:
        raise InvalidImport("every row must carry the same list_name and list_version")
    parsed = ParsedList(
        name=_name(names.pop() if names else default_name, "the file"),
        version=_version(versions.pop() if versions else 1, "the file"),
    )
    return _finish(parsed, rows)


def parse_artist_id_csv(reader: csv.DictReader, default_name: str) -> ParsedList:
    """The community `artist,id` CSV (spotify-ai-blocker's, updated daily): one artist a row,
    its name and its Spotify id."""
    rows = []
    try:
        for number, row in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            if not any(row.values()):
                continue
            rows.append(
                (
                    f"line {number}",
                    {
                        "kind": "artist",
                        "spotify_id": row.get("id", ""),
                        "name": row.get("artist", ""),
                    },
                )
            )
            if len(rows) > MAX_ENTRIES:
                break
    except csv.Error as error:
        raise InvalidImport(f"the CSV cannot be read: {error}") from None
    return _finish(ParsedList(name=_name(default_name, "the file"), version=1), rows)


def parse_upload(file_name: str, data: bytes) -> ParsedList:
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidImport(f"the file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    if not data.strip():
        raise InvalidImport("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidImport("the file is not UTF-8 text") from None
    if "\x00" in text:
        raise InvalidImport("the file holds NUL characters: it is binary, not a CSV or JSON list")
    lower = file_name.lower()
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "Imported list"
    if lower.endswith(".json") or (
        not lower.endswith(".csv") and text.lstrip().startswith(("{", "["))
    ):
        return parse_json(text, stem[:100])
    return parse_csv(text, stem[:100])


# --- staging, comparing, applying ---------------------------------------------------------------


def _target(user, name: str) -> Blocklist | None:
    return Blocklist.objects.filter(user=user, name=name, imported=True).first()


def stage_import(user, file_name: str, data: bytes) -> BlocklistImport:
    """Parse and keep an upload for review; raises InvalidImport with the reason."""
    parsed = parse_upload(file_name, data)
    name = parsed.name
    if (
        name == OWN_LIST_NAME
        or Blocklist.objects.filter(user=user, name=name, imported=False).exists()
    ):
        name = f"{name} (imported)"[:100]
    return BlocklistImport.objects.create(
        user=user,
        file_name=file_name[:255],
        name=name,
        version=parsed.version,
        description=parsed.description,
        entries=parsed.entries,
        target=_target(user, name),
    )


@dataclass
class ImportDiff:
    added: list[dict]
    removed: list[BlockEntry]
    changed: list[tuple[BlockEntry, dict]]
    unchanged: int
    version_change: str  # new / newer / same / older


def diff(staged: BlocklistImport) -> ImportDiff:
    target = staged.target
    if target is not None and target.deleted_at is not None:
        target = None  # deleted since the upload: applying makes a new list
    if target is None:
        return ImportDiff(list(staged.entries), [], [], 0, "new")
    current = {(e.kind, e.spotify_id): e for e in target.entries.all()}
    incoming = {(e["kind"], e["spotify_id"]): e for e in staged.entries}
    added = [incoming[key] for key in incoming if key not in current]
    removed = [current[key] for key in current if key not in incoming]
    changed = []
    unchanged = 0
    for key, entry in incoming.items():
        existing = current.get(key)
        if existing is None:
            continue
        if (existing.name, existing.include_featured, existing.note) != (
            entry["name"],
            entry["include_featured"],
            entry["note"],
        ):
            changed.append((existing, entry))
        else:
            unchanged += 1
    if staged.version > target.version:
        version_change = "newer"
    elif staged.version == target.version:
        version_change = "same"
    else:
        version_change = "older"
    return ImportDiff(added, removed, changed, unchanged, version_change)


def apply_import(staged: BlocklistImport) -> Blocklist:
    """Make the list what the file says (entries added, removed, updated); once."""
    with transaction.atomic():
        locked = BlocklistImport.objects.select_for_update().get(pk=staged.pk)
        if locked.status != ImportStatus.PENDING:
            raise InvalidImport("this import was already applied or discarded")
        now = clock.now()
        blocklist, _ = Blocklist.objects.update_or_create(
            user=staged.user,
            name=staged.name,
            defaults={
                "imported": True,
                "version": staged.version,
                "description": staged.description,
                "imported_from": staged.file_name,
                "updated_at": now,
            },
        )
        staged.target = blocklist
        changes = diff(staged)
        BlockEntry.objects.filter(pk__in=[e.pk for e in changes.removed]).delete()
        for existing, entry in changes.changed:
            BlockEntry.objects.filter(pk=existing.pk).update(
                name=entry["name"], include_featured=entry["include_featured"], note=entry["note"]
            )
        BlockEntry.objects.bulk_create(
            [
                BlockEntry(blocklist=blocklist, source=EntrySource.IMPORT, created_at=now, **e)
                for e in changes.added
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        BlocklistImport.objects.filter(pk=staged.pk).update(
            status=ImportStatus.APPLIED, target=blocklist
        )
    return blocklist
