from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from spotify import usage

USAGE_DAYS_MAX = 3660


@require_GET
@login_required
def usage_page(request):
    """`?days=N` looks further back than the last week (older days come from the rollups)."""
    raw = request.GET.get("days", "7")
    if not raw.isdigit() or not 1 <= int(raw) <= USAGE_DAYS_MAX:
        return HttpResponseBadRequest(
            f"days must be a whole number from 1 to {USAGE_DAYS_MAX}.", content_type="text/plain"
        )
    days = int(raw)
    return render(request, "spotify/usage.html", {"usage": usage.summary(days), "days": days})
