"""The sandbox's Web API (`/sandbox-spotify/v1/…`), in Spotify's shapes and status codes."""

from functools import wraps

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from spotify.emulator.models import IssuedToken


def api_error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": {"status": status, "message": message, **extra}}, status=status)


def bearer(view):
    """Authenticate the request's Bearer token; the view gets the token's sandbox user."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return api_error(401, "No token provided")
        issued = IssuedToken.objects.select_related("user").filter(access_token=header[7:]).first()
        if issued is None or issued.revoked:
            return api_error(401, "Invalid access token")
        if issued.expires_at <= timezone.now():
            return api_error(401, "The access token expired")
        request.sandbox_token = issued
        return view(request, issued.user, *args, **kwargs)

    return wrapper


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
        return api_error(405, "Method not allowed")
    base_url = request.build_absolute_uri("/sandbox-spotify/v1").rstrip("/")
    return JsonResponse(user_object(user, base_url))
