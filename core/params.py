"""The one way to read ids, whole numbers, dates, choices and text from a request.

Every parser is strict and bounded: ids are ASCII digits only (``"²".isdigit()`` is true, but
``int("²")`` fails, so ``isdigit`` is never the check), numbers have a range, dates are clamped
to years a music archive can hold (year 1 and 9999 overflow time-zone arithmetic), text has a
length and no NUL (PostgreSQL cannot store one). A bad value raises ``BadParameter``, which
``ParameterMiddleware`` turns into a 400 whose words say what to send instead (JSON under
/api/); an id that is not an id raises ``Http404``, as an unknown object would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from django import forms
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.html import escape

# Largest value of a PostgreSQL bigint: an id past it cannot exist, and some lookups overflow.
MAX_ID = 2**63 - 1
# Spotify started in 2006; the oldest export data and the oldest play anyone types in are
# well after 2000. The far end leaves room for "until next year" without reaching 9999.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
DEFAULT_TEXT_LENGTH = 2000

_ASCII_ID = re.compile(r"[0-9]{1,19}")
_ASCII_INT = re.compile(r"-?[0-9]{1,19}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadParameter(ValueError):
    """A request value that cannot be used; `str()` is the sentence shown to the person."""

    status = 400

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def is_id(value) -> bool:
    """True for an ASCII-digit string (or int) that fits an id column."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 1 <= value <= MAX_ID
    return (
        isinstance(value, str)
        and _ASCII_ID.fullmatch(value) is not None
        and 1 <= int(value) <= MAX_ID
    )


def object_id(value, *, what: str = "item") -> int:
    """An id from a URL or form; anything that is not one is a 404, like an unknown object."""
    if not is_id(value):
        raise Http404(f"No such {what}.")
    return int(value)


def optional_id(value, *, name: str) -> int | None:
    """An id that may be left out (``?base=``): empty → None, anything else must be an id."""
    if value in (None, ""):
        return None
    if not is_id(value):
        raise BadParameter(f"{name} must be the number of an item, like 12.")
    return int(value)


def id_list(values: Iterable, *, name: str, limit: int = 10_000) -> list[int]:
    """Ids from a multi-value field (checkboxes); one bad value refuses the lot."""
    values = list(values)
    if len(values) > limit:
        raise BadParameter(f"At most {limit:,} {name} values at once.")
    out = []
    for value in values:
        if not is_id(value):
            raise BadParameter(f"Each {name} must be the number of an item, like 12.")
        out.append(int(value))
    return out


def integer(
    value,
    *,
    name: str,
    minimum: int,
    maximum: int,
    default: int | None = None,
) -> int:
    """A whole number within [minimum, maximum]; empty → default (if one is given)."""
    if value in (None, "") and default is not None:
        return default
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_INT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise BadParameter(f"{name} must be a whole number from {minimum:,} to {maximum:,}.")
    if not minimum <= number <= maximum:
        raise BadParameter(f"{name} must be a whole number from {minimum:,} to {maximum:,}.")
    return number


def clamp_day(value: date, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY) -> date:
    return min(max(value, earliest), latest)


def day(
    value,
    *,
    name: str,
    default: date | None = None,
    earliest: date = EARLIEST_DAY,
    latest: date = LATEST_DAY,
) -> date:
    """A YYYY-MM-DD date, clamped into [earliest, latest] so later arithmetic cannot overflow."""
    if value in (None, ""):
        if default is not None:
            return default
        raise BadParameter(f"{name} needs a date like 2026-11-24.")
    if isinstance(value, date):
        return clamp_day(value, earliest, latest)
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()):
        raise BadParameter(f"{name} must be a date like 2026-11-24.")
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise BadParameter(f"{name} must be a real date like 2026-11-24.") from None
    return clamp_day(parsed, earliest, latest)


def choice(value, choices: Iterable[str], *, name: str, default: str | None = None) -> str:
    """One of a fixed set of words; empty → default (if one is given)."""
    allowed = list(choices)
    if value in (None, "") and default is not None:
        return default
    if isinstance(value, str) and value in allowed:
        return value
    raise BadParameter(f"{name} must be one of: {', '.join(allowed)}.")


def text(value, *, name: str, max_length: int = DEFAULT_TEXT_LENGTH, default: str = "") -> str:
    """Free text: no NUL characters, at most max_length characters (longer is refused)."""
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadParameter(f"{name} must be text.")
    if "\x00" in value:
        raise BadParameter(f"{name} contains a NUL character; remove it and try again.")
    if len(value) > max_length:
        raise BadParameter(f"{name} may be at most {max_length:,} characters long.")
    return value


MAX_JSON_DEPTH = 32


def json_value(raw: bytes | str, *, name: str = "The body", max_depth: int = MAX_JSON_DEPTH):
    """Parsed JSON, refused when it is not JSON or nests deeper than max_depth.

    The C decoder gives up on very deep nesting with RecursionError (cheaply, before building
    much); the walk after it enforces the much smaller depth our data ever has."""
    import json

    try:
        value = json.loads(raw)
    except RecursionError:
        raise BadParameter(f"{name} nests deeper than {max_depth} levels.") from None
    except ValueError:
        raise BadParameter(f"{name} must be JSON.") from None
    if json_depth(value, limit=max_depth) > max_depth:
        raise BadParameter(f"{name} nests deeper than {max_depth} levels.")
    return value


def json_depth(value, *, limit: int) -> int:
    """Nesting depth of a parsed JSON value, iteratively; stops counting past `limit`."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


def has_nul(data: Mapping) -> str | None:
    """The first key of a QueryDict whose name or any value holds a NUL, else None."""
    for key in data:
        if "\x00" in key:
            return key.replace("\x00", "")
        values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
        for value in values:
            if isinstance(value, str) and "\x00" in value:
                return key
    return None


class DayField(forms.DateField):
    """A form date field that only accepts YYYY-MM-DD and clamps it to the sane range."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return clamp_day(value)
        try:
            return day(value, name=self.label or "The date")
        except BadParameter as bad:
            raise forms.ValidationError(str(bad), code="invalid") from None


def bad_request(request, message: str, status: int = 400) -> HttpResponse:
    """The 4xx a person (or a script under /api/) gets for a value it cannot use."""
    if request.path.startswith("/api/"):
        code = {413: "too_large", 404: "not_found"}.get(status, "bad_request")
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>That request cannot be used</title><link rel='stylesheet' "
        "href='/static/css/app.css'></head><body><main class='container'>"
        f"<h1>That request cannot be used</h1><p>{escape(message)}</p>"
        "<p><a href='/dashboard/'>Back to Tunekeeper</a></p></main></body></html>"
    )
    return HttpResponse(page, status=status)


class ParameterMiddleware:
    """Turns BadParameter into a 400 with its words, and refuses NUL characters in any query
    or form field before a view sees them (no page in Tunekeeper stores or searches for one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        key = has_nul(request.GET)
        if key is None and request.method == "POST" and _small_form(request, view):
            key = has_nul(request.POST)
        if key is not None:
            return bad_request(
                request, f"The field “{key}” contains a NUL character; remove it and try again."
            )
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, BadParameter):
            return bad_request(request, str(exception), exception.status)
        return None


def _small_form(request, view) -> bool:
    """Only look at the fields of ordinary forms. Upload views are csrf_exempt so that they
    can refuse an oversized body unread and choose their own upload handlers; reading the
    body here would defeat both, so their fields are left to their forms (whose text fields
    refuse NUL themselves)."""
    if getattr(view, "csrf_exempt", False):
        return False
    kind = request.META.get("CONTENT_TYPE", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return False
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    from django.conf import settings

    return 0 < size <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE


__all__ = [
    "EARLIEST_DAY",
    "LATEST_DAY",
    "MAX_ID",
    "BadParameter",
    "DayField",
    "ParameterMiddleware",
    "bad_request",
    "choice",
    "clamp_day",
    "day",
    "id_list",
    "integer",
    "is_id",
    "json_depth",
    "json_value",
    "object_id",
    "optional_id",
    "text",
]
