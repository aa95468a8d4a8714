"""Spotify's `fields=` filter for playlist reads.

Grammar: a comma-separated list of names; `a.b` drills into an object, `a(b,c)` selects several
fields inside an object or inside every element of a list, `!name` excludes. Examples:
`snapshot_id`, `items(added_at,item(name,album(name)))`, `items.item.album(!images)`.
"""

from sandbox.spotify.api import ApiError

Selection = dict  # {"include": {name: Selection | None}, "exclude": set[str]}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.at = 0

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def parse_list(self) -> Selection:
        selection: Selection = {"include": {}, "exclude": set()}
        while True:
            self.parse_element(selection)
            if self.peek() != ",":
                return selection
            self.at += 1

    def parse_element(self, selection: Selection) -> None:
        excluded = self.peek() == "!"
        if excluded:
            self.at += 1
        start = self.at
        while self.peek() and self.peek() not in ",().!":
            self.at += 1
        name = self.text[start : self.at].strip()
        if not name:
            raise ApiError(400, "Invalid fields parameter")
        if excluded:
            selection["exclude"].add(name)
            return
        sub = None
        if self.peek() == ".":
            self.at += 1
            sub = {"include": {}, "exclude": set()}
            self.parse_element(sub)
        elif self.peek() == "(":
            self.at += 1
            sub = self.parse_list()
            if self.peek() != ")":
                raise ApiError(400, "Invalid fields parameter")
            self.at += 1
        selection["include"][name] = _merge(selection["include"].get(name, False), sub)


def _merge(existing, new):
    if existing is False:
        return new
    if existing is None or new is None:
        return None  # one mention of the bare name selects the whole field
    merged = {"include": dict(existing["include"]), "exclude": existing["exclude"] | new["exclude"]}
    for name, sub in new["include"].items():
        merged["include"][name] = _merge(merged["include"].get(name, False), sub)
    return merged


def parse(text: str | None) -> Selection | None:
    if not text:
        return None
    parser = _Parser(text)
    selection = parser.parse_list()
    if parser.at != len(text):
        raise ApiError(400, "Invalid fields parameter")
    return selection


def wants(selection: Selection | None, name: str) -> bool:
    """Would this top-level field survive the filter? (Lets views skip expensive work.)"""
    if selection is None:
        return True
    if name in selection["exclude"]:
        return False
    return not selection["include"] or name in selection["include"]


def apply(value, selection: Selection | None):
    if selection is None:
        return value
    if isinstance(value, list):
        return [apply(element, selection) for element in value]
    if not isinstance(value, dict):
        return value
    if selection["include"]:
        kept = {
            name: apply(value[name], sub)
            for name, sub in selection["include"].items()
            if name in value
        }
    else:
        kept = dict(value)
    for name in selection["exclude"]:
        kept.pop(name, None)
    return kept
