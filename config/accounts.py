"""Accounts come from Spotify logins only: allauth's local-account pages are switched off, and
the Django admin's password login goes through allauth's failed-login throttle.

allauth ships password, email and reset views with its account app; Tunekeeper never uses
them (no local signup, no email), and left on they let a user give themselves a password
(and log in without Spotify) and let anyone make the server try to send mail.
"""

from __future__ import annotations

from functools import wraps

from allauth.core import ratelimit
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

# Everything under /accounts/ that is about local passwords, emails or codes (relative to it).
OFF = (
    r"^password/",
    r"^email/",
    r"^confirm-email/",
    r"^signup/",
    r"^reauthenticate/",
    r"^login/code/",
    r"^code/",
    r"^2fa/",
    r"^sessions/",
    r"^inactive/",
)


@csrf_exempt  # it answers 404 to every POST; nothing to protect
def switched_off(request, *args, **kwargs):
    raise Http404("Tunekeeper accounts come from Spotify; there is no password or email here.")


@csrf_exempt
def login_page(request):
    """There is no password login: a POST is 404; a visit goes to the landing page, which has
    the Connect Spotify button (allauth links here from some of its own pages)."""
    if request.method != "GET":
        raise Http404("Log in with Spotify on the landing page.")
    return redirect("landing")


def urlpatterns() -> list:
    return [re_path(pattern, switched_off) for pattern in OFF] + [
        re_path(r"^login/$", login_page),
    ]


def throttled_admin_login(login_view):
    """The admin's login view, with allauth's `login_failed` limit (per IP and per username,
    ACCOUNT_RATE_LIMITS / ACCOUNT_LOGIN_ATTEMPTS_LIMIT): past it, 429 without checking the
    password. Only failures count, so staff who type their password right are never held up."""

    @wraps(login_view)
    def view(request, extra_context=None):
        if request.method != "POST":
            return login_view(request, extra_context)
        key = "admin:" + str(request.POST.get("username", ""))[:150].lower()
        if not ratelimit.consume(request, action="login_failed", key=key, dry_run=True):
            return HttpResponse(
                "Too many failed logins. Wait a few minutes and try again.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
        response = login_view(request, extra_context)
        if not request.user.is_authenticated:
            ratelimit.consume(request, action="login_failed", key=key)
        return response

    return view
