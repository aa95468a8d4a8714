"""The sandbox's Web API plumbing (`/sandbox-spotify/v1/…`): Bearer auth, Spotify's error body,
the fault pipeline, scopes, query-parameter bounds and paging objects.

Views raise ApiError for any Spotify error; `bearer` turns it into
`{"error": {"status": N, "message": "..."}}` with the status code.
"""

import json
import re
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from core import clock
from sandbox.spotify import faults
from sandbox.spotify.models import IssuedToken


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> JsonResponse:
        return api_error(self.status, self.message, **self.extra)


def api_error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": {"status": status, "message": message, **extra}}, status=status)


def endpoint_template(request) -> str:
    """`GET /playlists/{id}/items`: the method plus the route with ids replaced, without /v1."""
    match = request.resolver_match
    # The route includes the prefix this URLconf is mounted under ("sandbox-spotify/v1/…").
    route = match.route if match is not None else ""
    if "v1/" not in route or "^" in route:
        path = "/" + request.path.split("/v1/", 1)[-1]
    else:
        path = "/" + re.sub(r"<[^>]+>", "{id}", route.split("v1/", 1)[1])
    return f"{request.method} {path}"


def _authenticate(request) -> IssuedToken:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "No token provided")
    issued = IssuedToken.objects.select_related("user").filter(access_token=header[7:]).first()
    if issued is None or issued.revoked:
        raise ApiError(401, "Invalid access token")
    if issued.expires_at <= clock.now():
        raise ApiError(401, "The access token expired")
    return issued


def bearer(view):
    """Authenticate the Bearer token, run the fault knobs, then the view with the token's
    sandbox user. Every request (refused or not) lands in faults.requests()."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        endpoint = endpoint_template(request)
        request.sandbox_endpoint = endpoint
        issued = None

        def call() -> HttpResponse:
            try:
                return view(request, issued.user, *args, **kwargs)
            except ApiError as error:
                return error.response()

        try:
            issued = _authenticate(request)
            request.sandbox_token = issued
            response = faults.run(
                client_id=issued.client_id, method=request.method, endpoint=endpoint, call=call
            )
        except ApiError as error:
            response = error.response()
        faults.record_request(
            method=request.method,
            endpoint=endpoint,
            path=request.get_full_path(),
            status=response.status_code,
            client_id=issued.client_id if issued else "",
            user=issued.user.spotify_id if issued else "",
        )
        return response

    return wrapper


def requires(*scopes: str):
    """The token needs at least one of these scopes (Spotify answers 403 otherwise)."""

    def decorate(handler):
        handler.scopes = frozenset(scopes)
        return handler

    return decorate


def check_scopes(request, needed: frozenset[str]) -> None:
    if needed and not (needed & request.sandbox_token.scopes):
        raise ApiError(403, "Insufficient client scope")


def route(**handlers):
    """One view for a path, dispatching on the method: route(GET=list_items, POST=add_items)."""

    @bearer
    def view(request, user, *args, **kwargs):
        handler = handlers.get(request.method)
        if handler is None:
            raise ApiError(405, "Method not allowed")
        check_scopes(request, getattr(handler, "scopes", frozenset()))
        return handler(request, user, *args, **kwargs)

    return view


def json_body(request, *, list_means: str | None = None) -> dict:
    """The JSON object body. `list_means`: Spotify also takes a bare JSON array there, meaning
    that key (`POST /playlists/{id}/items` with `["spotify:track:…"]`, as spotipy sends it)."""
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        raise ApiError(400, "Error parsing JSON.") from None
    if list_means is not None and isinstance(body, list):
        return {list_means: body}
    if not isinstance(body, dict):
        raise ApiError(400, "Error parsing JSON.")
    return body


def int_param(
    request, name: str, *, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid {name}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise ApiError(400, f"Invalid {name}")
    return value


def limit_offset(
    request, *, max_limit: int = 50, default_limit: int = 20, max_offset: int | None = None
) -> tuple[int, int]:
    limit = int_param(request, "limit", default=default_limit, minimum=1, maximum=max_limit)
    offset = int_param(request, "offset", default=0, minimum=0, maximum=max_offset)
    return limit, offset


def api_base(request) -> str:
    """Absolute URL of this API's /v1, as the client reached it."""
    prefix = request.path.split("/v1/", 1)[0] + "/v1"
    return request.build_absolute_uri(prefix)


def absolute_url(request, path: str, params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None}, safe=",:")
    base = request.build_absolute_uri(path)
    return f"{base}?{query}" if query else base


def paging(
    request, items: list, *, total: int, limit: int, offset: int, path=None, params=None
) -> dict:
    """Spotify's paging object; next/previous are absolute URLs built from the request."""
    path = path or request.path
    base_params = dict(request.GET.items()) if params is None else dict(params)

    def url(at: int) -> str:
        return absolute_url(request, path, {**base_params, "offset": at, "limit": limit})

    return {
        "href": url(offset),
        "items": items,
        "limit": limit,
        "next": url(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": url(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }


def ok(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False)


def empty(status: int = 200) -> HttpResponse:
    return HttpResponse(status=status)


def user_object(user, base_url: str) -> dict:
    # Development mode: no email, country, product, followers or explicit_content.
    return {
        "id": user.spotify_id,
        "account_id": user.account_id,
        "display_name": user.display_name,
        "type": "user",
        "uri": user.uri,
        "href": f"{base_url}/users/{user.spotify_id}",
        "external_urls": {"spotify": f"https://open.spotify.com/user/{user.spotify_id}"},
        "images": [],
    }


@bearer
def me(request, user):
    if request.method != "GET":
        raise ApiError(405, "Method not allowed")
    return JsonResponse(user_object(user, api_base(request)))


@csrf_exempt
def not_found(request, *args, **kwargs):
    # Spotify serves `/v1/me/` and `/v1/albums/?ids=` as `/v1/me` and `/v1/albums` (spotipy
    # sends the trailing slash on several calls), so try the path without it first.
    if request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info.rstrip("/"))
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            request.resolver_match = match
            return match.func(request, *match.args, **match.kwargs)
    return api_error(404, "Service not found")
