"""The sandbox's accounts service: authorize (a consent page), token (code + PKCE, refresh)."""

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core import clock
from sandbox.spotify.models import AuthorizationCode, IssuedToken, SandboxUser

SANDBOX_CLIENT_IDS = {"tunekeeper-sandbox"}
CODE_SECONDS = 600


def _redirect_with(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    separator = "&" if "?" in redirect_uri else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode(params)}")


def registered_redirect_uris(request) -> set[str]:
    """The redirect URIs the sandbox client has registered, as a Spotify app lists them: the
    site's own login callback, on SITE_URL and on the host serving this sandbox (which is this
    site, opened as 127.0.0.1 or localhost). Anything else is refused, never redirected to."""
    callback = reverse("spotify_callback")
    return {
        f"{settings.SITE_URL.rstrip('/')}{callback}",
        request.build_absolute_uri(callback),
    }


def _valid_redirect_uri(request, uri: str) -> bool:
    return uri in registered_redirect_uris(request)


@require_http_methods(["GET", "POST"])
def authorize(request):
    params = request.GET if request.method == "GET" else request.POST
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id not in SANDBOX_CLIENT_IDS:
        return HttpResponseBadRequest("INVALID_CLIENT: Invalid client")
    if not _valid_redirect_uri(request, redirect_uri):
        # Spotify's words for it; a page, not a redirect, so the sandbox is no open redirect.
        return HttpResponseBadRequest("INVALID_CLIENT: Invalid redirect URI")
    if params.get("response_type") != "code":
        return _redirect_with(redirect_uri, error="unsupported_response_type")
    state = params.get("state", "")
    challenge = params.get("code_challenge", "")
    if challenge and params.get("code_challenge_method") != "S256":
        return _redirect_with(redirect_uri, error="invalid_request", state=state)

    if request.method == "GET":
        return render(
            request,
            "sandbox/consent.html",
            {
                "users": SandboxUser.objects.all(),
                "scopes": params.get("scope", "").split(),
                "oauth_params": {
                    key: params.get(key, "")
                    for key in (
                        "client_id",
                        "redirect_uri",
                        "response_type",
                        "state",
                        "scope",
                        "code_challenge",
                        "code_challenge_method",
                    )
                },
            },
        )

    if request.POST.get("decision") != "agree":
        return _redirect_with(redirect_uri, error="access_denied", state=state)
    user = SandboxUser.objects.filter(pk=request.POST.get("sandbox_user")).first()
    if user is None:
        return HttpResponseBadRequest("Pick one of the sandbox users")
    code = AuthorizationCode.objects.create(
        code=secrets.token_urlsafe(48),
        user=user,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=params.get("scope", ""),
        code_challenge=challenge,
        expires_at=clock.now() + timedelta(seconds=CODE_SECONDS),
    )
    return _redirect_with(redirect_uri, code=code.code, state=state)


def _error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _client_id(request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            return base64.b64decode(header[6:]).decode().split(":", 1)[0]
        except ValueError:
            return ""
    return request.POST.get("client_id", "")


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge


@csrf_exempt  # server-to-server, as at accounts.spotify.com
@require_POST
def token(request):
    client_id = _client_id(request)
    if client_id not in SANDBOX_CLIENT_IDS:
        return _error("invalid_client", "Invalid client", status=400)
    grant_type = request.POST.get("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(request, client_id)
    if grant_type == "refresh_token":
        return _refresh(request, client_id)
    return _error(
        "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
    )


def _exchange_code(request, client_id: str) -> JsonResponse:
    with transaction.atomic():
        code = (
            AuthorizationCode.objects.select_for_update()
            .filter(code=request.POST.get("code", ""), client_id=client_id)
            .first()
        )
        if code is None or code.used or code.expires_at < clock.now():
            return _error("invalid_grant", "Invalid authorization code")
        if code.redirect_uri != request.POST.get("redirect_uri"):
            return _error("invalid_grant", "Invalid redirect URI")
        if code.code_challenge and not _pkce_matches(
            request.POST.get("code_verifier", ""), code.code_challenge
        ):
            return _error("invalid_grant", "code_verifier was incorrect")
        code.used = True
        code.save(update_fields=["used"])
        issued = IssuedToken.issue(code.user, client_id, code.scope)
    return JsonResponse(issued.as_response())


def _refresh(request, client_id: str) -> JsonResponse:
    with transaction.atomic():
        old = (
            IssuedToken.objects.select_for_update()
            .filter(refresh_token=request.POST.get("refresh_token", ""), client_id=client_id)
            .first()
        )
        if old is None:
            return _error("invalid_grant", "Invalid refresh token")
        if old.revoked or old.refresh_revoked:
            return _error("invalid_grant", "Refresh token revoked")
        if old.refresh_used:
            # PKCE refresh tokens are single use at Spotify; a second use is refused.
            return _error("invalid_grant", "Refresh token revoked")
        old.refresh_used = True
        old.save(update_fields=["refresh_used"])
        issued = IssuedToken.issue(old.user, client_id, old.scope)
    return JsonResponse(issued.as_response())
