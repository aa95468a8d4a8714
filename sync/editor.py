"""The rule editor's form: a rule tree flattened into form fields, and back.

Every node has a path ("r" is the root group, "r.0" its first rule, "r.0.2" the third rule of
that group) and posts its attributes as `rule-<path>-<attr>`: kind, match (groups), field, op,
mod, value, value2 (conditions). Adding or removing a node is a button with
`action=add-condition:<path>`, `add-group:<path>` or `remove:<path>`; the server applies it to
the posted tree and renders the editor again, so the editor works with and without HTMX.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

from sync.rules import FIELDS, MATCHES, MAX_DEPTH, ROOT

PREFIX = "rule-"
ATTRIBUTES = ("kind", "match", "field", "op", "mod", "value", "value2", "label")
NEW_CONDITION = {"kind": "condition", "field": "artist", "op": "is", "mod": "any", "value": ""}
NEW_GROUP = {"kind": "group", "match": "any", "rules": []}


def raw(tree: dict) -> dict:
    """A stored (typed) tree as form strings."""
    if tree.get("kind") == "group":
        return {
            "kind": "group",
            "match": tree.get("match", "all"),
            "rules": [raw(child) for child in tree.get("rules", [])],
        }
    out = {}
    for name in ATTRIBUTES:
        value = tree.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        out[name] = str(value)
    return out


def from_post(data) -> dict:
    """The posted tree (strings, unvalidated). Unknown or orphaned paths are ignored."""
    nodes: dict[str, dict] = {}
    for key in data:
        if key.startswith(PREFIX) and key.endswith("-kind"):
            path = key[len(PREFIX) : -len("-kind")]
            if _well_formed(path):
                node = {name: data.get(f"{PREFIX}{path}-{name}", "") for name in ATTRIBUTES}
                node = {name: value for name, value in node.items() if value != ""}
                if node.get("kind") == "group":
                    node = {"kind": "group", "match": node.get("match", "all"), "rules": []}
                nodes[path] = node
    root = nodes.get(ROOT)
    if root is None or root.get("kind") != "group":
        return {"kind": "group", "match": "all", "rules": []}

    def index(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in path.split(".")[1:])

    for path in sorted(nodes, key=index):
        if path == ROOT:
            continue
        parent = nodes.get(path.rsplit(".", 1)[0])
        if parent is not None and parent.get("kind") == "group":
            parent["rules"].append(nodes[path])
    return root


def _well_formed(path: str) -> bool:
    """ "r", "r.0", "r.0.12": ASCII digits only ("²".isdigit() is true, int("²") fails), and
    no deeper than a valid tree can be, so a page of 500 nested groups is not rendered."""
    parts = path.split(".")
    return (
        parts[0] == ROOT
        and len(parts) <= MAX_DEPTH + 2
        and all(len(part) <= 4 and part.isascii() and part.isdigit() for part in parts[1:])
    )


def _node_at(tree: dict, path: str) -> dict | None:
    if not _well_formed(path):
        return None
    node = tree
    for part in path.split(".")[1:]:
        if node.get("kind") != "group":
            return None
        children = node["rules"]
        if int(part) >= len(children):
            return None
        node = children[int(part)]
    return node


def apply_action(tree: dict, action: str) -> dict:
    """Apply an editor button to the (raw) tree; unknown actions change nothing."""
    verb, _, path = action.partition(":")
    node = _node_at(tree, path) if path else None
    if node is None:
        return tree
    if verb == "add-condition" and node.get("kind") == "group":
        node["rules"].append(dict(NEW_CONDITION))
    elif verb == "add-group" and node.get("kind") == "group":
        node["rules"].append({**NEW_GROUP, "rules": [dict(NEW_CONDITION)]})
    elif verb == "remove" and path != ROOT:
        parent = _node_at(tree, path.rsplit(".", 1)[0])
        index = int(path.rsplit(".", 1)[1])
        if parent is not None and index < len(parent["rules"]):
            del parent["rules"][index]
    return tree


@dataclass
class EditorNode:
    """One node as the template draws it, with its choices and its error."""

    path: str
    kind: str
    depth: int
    match: str = "all"
    field: str = ""
    op: str = ""
    mod: str = ""
    value: str = ""
    value2: str = ""
    label: str = ""
    error: str = ""
    children: list[EditorNode] = dataclass_field(default_factory=list)
    ops: list[tuple[str, str]] = dataclass_field(default_factory=list)
    mods: list[tuple[str, str]] = dataclass_field(default_factory=list)
    hint: str = ""
    value_choices: list[tuple[str, str]] = dataclass_field(default_factory=list)

    @property
    def is_root(self) -> bool:
        return self.path == ROOT

    @property
    def needs_value2(self) -> bool:
        return self.op == "between"


def editor_nodes(
    tree: dict, errors: dict[str, str], *, playlists: list[tuple[str, str]], extended: bool
) -> EditorNode:
    """The raw tree as EditorNodes; an op or option the field lacks falls back to its first."""

    def build(node: dict, path: str, depth: int) -> EditorNode:
        if node.get("kind") == "group":
            match = node.get("match", "all")
            return EditorNode(
                path=path,
                kind="group",
                depth=depth,
                match=match if match in MATCHES else "all",
                error=errors.get(path, ""),
                children=[
                    build(child, f"{path}.{index}", depth + 1)
                    for index, child in enumerate(node.get("rules", []))
                ],
            )
        field_name = node.get("field") if node.get("field") in FIELDS else "artist"
        spec = FIELDS[field_name]
        op = node.get("op") if node.get("op") in spec.ops else next(iter(spec.ops))
        mods = list((spec.mods or {}).items())
        mod = (
            node.get("mod")
            if node.get("mod") in (spec.mods or {})
            else (mods[0][0] if mods else "")
        )
        choices: list[tuple[str, str]] = []
        if spec.kind == "bool":
            choices = [("yes", "yes"), ("no", "no")]
        elif field_name == "in_playlist":
            choices = playlists
        return EditorNode(
            path=path,
            kind="condition",
            depth=depth,
            field=field_name,
            op=op,
            mod=mod,
            value=node.get("value", ""),
            value2=node.get("value2", ""),
            label=node.get("label", ""),
            error=errors.get(path, ""),
            ops=list(spec.ops.items()),
            mods=mods,
            hint=spec.hint,
            value_choices=choices,
        )

    return build(tree, ROOT, 0)


def field_choices(extended: bool) -> list[tuple[str, str, bool]]:
    """(field, label, enabled): extended-only fields are shown, disabled, in development mode."""
    return [(name, spec.label, extended or not spec.extended_only) for name, spec in FIELDS.items()]
