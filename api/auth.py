"""Authentication, scopes, rate limits and the error shape of the JSON API.

A request authenticates with `Authorization: Bearer tk_…`. A session cookie is accepted for
reads only: writes need a token, so no page of another site can make a logged-in browser
write through the API (the API is CSRF-exempt because it never trusts cookies for writes).
"""

from __future__ import annotations

from functools import wraps

from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from api.models import ApiToken, hash_token
from core.params import BadParameter

REQUESTS_PER_MINUTE = 120


def error(status: int, code: str, message: str, **extra) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)
    return response


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> JsonResponse:
        return error(self.status, self.code, self.message, **self.extra)


def _bearer_token(request) -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(header[7:].strip()))
        .first()
    )
    if token is None or not token.active:
        raise ApiError(401, "invalid_token", "This API token is unknown or revoked.")
    return token


def _rate_limit(token: ApiToken) -> None:
    window = timezone.now().strftime("%Y%m%d%H%M")
    key = f"api:rate:{token.pk}:{window}"
    if cache.add(key, 1, timeout=120):
        return
    if cache.incr(key) > REQUESTS_PER_MINUTE:
        retry_after = 60 - timezone.now().second
        raise ApiError(
            429,
            "rate_limited",
            f"At most {REQUESTS_PER_MINUTE} requests a minute per token.",
            retry_after=retry_after,
        )


# The largest real body (a rollback's item list) is a few KB; anything far larger is refused
# from its Content-Length, before a byte is read, as JSON like every other API error.
MAX_BODY_BYTES = 256 * 1024


def _check_body_size(request) -> None:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    if not (raw.isascii() and raw.isdigit()):
        raise ApiError(400, "bad_request", "Content-Length must be a number of bytes.")
    if int(raw) > MAX_BODY_BYTES:
        raise ApiError(
            413, "too_large", f"The body may be at most {MAX_BODY_BYTES // 1024} KB of JSON."
        )


def api_view(*, write: bool = False, methods: tuple[str, ...] = ("GET",)):
    """Wrap a view: method check, authentication, scope, rate limit, JSON errors."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
                _check_body_size(request)
                token = _bearer_token(request)
                if token is not None:
                    if write and not token.can_write:
                        raise ApiError(403, "read_only_token", "This token may only read.")
                    _rate_limit(token)
                    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
                    request.user = token.user
                elif request.user.is_authenticated and not write:
                    pass  # a logged-in browser may read
                elif write and request.user.is_authenticated:
                    raise ApiError(
                        401, "token_required", "Writes need an API token (Authorization: Bearer …)."
                    )
                else:
                    raise ApiError(
                        401, "not_authenticated", "Send an API token: Authorization: Bearer …"
                    )
                return view(request, *args, **kwargs)
            except BadParameter as bad:
                return error(bad.status, "bad_request", str(bad))
            except RequestDataTooBig:
                return error(413, "too_large", "The body is larger than this API accepts.")
            except ApiError as failure:
                response = failure.response()
                if failure.status == 429:
                    response["Retry-After"] = str(failure.extra.get("retry_after", 60))
                return response

        return wrapper

    return decorate
