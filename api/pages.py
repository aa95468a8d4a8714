"""The settings page where people create and revoke their API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api.models import ApiToken, Scope
from ops import confirm


@never_cache
@require_GET
@login_required
def tokens(request):
    return render(
        request,
        "api/tokens.html",
        {"tokens": ApiToken.objects.filter(user=request.user), "scopes": Scope.choices},
    )


@never_cache  # the response shows the new token: no browser or proxy may keep a copy
@require_POST
@login_required
def create_token(request):
    name = request.POST.get("name", "").strip()
    scope = request.POST.get("scope", Scope.READ)
    if not name or scope not in Scope.values:
        messages.error(request, "Give the token a name and pick read or read-write.")
        return redirect("api_tokens")
    token, raw = ApiToken.create(request.user, name, scope)
    # Shown once, on this response only: the database keeps just the hash.
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user),
            "scopes": Scope.choices,
            "new_token": raw,
            "new_token_name": token.name,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    if not confirm.is_confirmed(request):
        last_used = (
            f"It was last used {token.last_used_at:%d %b %Y %H:%M} UTC."
            if token.last_used_at
            else "It has never been used."
        )
        return confirm.confirm_page(
            request,
            question=f"Revoke the token “{token.name}” ({token.prefix}…)?",
            details=[
                "Every script or tool using it gets 401 from then on.",
                last_used,
            ],
            undo="A revoked token cannot be turned back on; you can create a new one.",
            button="Revoke token",
            cancel_url=reverse("api_tokens"),
        )
    token.revoke()
    messages.success(request, f"Revoked “{token.name}”. Scripts using it now get 401.")
    return redirect("api_tokens")
