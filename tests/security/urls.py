"""Walk the URL configuration, so security tests cover every view, including future ones."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Prefixes whose views are not Tunekeeper's own pages: Django admin (staff only, its own
# checks), allauth's account views, the sandboxes (they play third parties), static files.
FOREIGN_PREFIXES = (
    "admin/",
    "accounts/",
    "sandbox-spotify/",
    "sandbox-slskd/",
    "sandbox-musicbrainz/",
    "static/",
)
PUBLIC_NAMES = {"landing", "healthz", "waitlist", "favicon"}


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # e.g. "library/playlists/<int:pk>/"
    params: tuple[str, ...]


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            for child in _walk(pattern.url_patterns, route):
                yield Route(namespace + child.name if child.name else "", child.route, child.params)
        elif isinstance(pattern, URLPattern):
            params = (
                tuple(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else ()
            )
            yield Route(pattern.name or "", route, params)


def own_routes() -> list[Route]:
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.route.startswith(FOREIGN_PREFIXES) and not route.route.startswith("api/")
    ]
