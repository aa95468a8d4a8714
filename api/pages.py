"""The settings page where people create and revoke their API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from api.models import ApiToken, Scope


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


@require_POST
@login_required
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, f"Revoked “{token.name}”. Scripts using it now get 401.")
    return redirect("api_tokens")
