from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from ops import health
from spotify.models import UserSeat

# The dashboard's sections; each says "coming soon" until its feature lands.
SECTIONS = {
    "library": (
        "Library",
        "Your playlists, liked songs, saved albums and followed artists, mirrored and enriched.",
    ),
    "sync": ("Sync", "Child playlists rebuilt from a base playlist by rules."),
    "blocklist": (
        "Blocklist",
        "Artists, albums and tracks kept out of your library, with a dry run and an undo.",
    ),
    "history": ("History", "Every play you make, kept forever, with stats."),
    "activity": ("Activity", "Your jobs, Spotify calls and what they cost."),
}


@require_GET
def landing(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "landing.html", {"free_seats": UserSeat.free_count()})


@require_GET
@login_required
def dashboard(request):
    return render(request, "dashboard.html", {"sections": SECTIONS})


@require_GET
def waitlist(request):
    return render(request, "waitlist.html")


@require_GET
def healthz(request):
    """For load balancers: database, Redis, broker and beat, and nothing private."""
    healthy, report = health.health()
    return JsonResponse(report, status=200 if healthy else 503)
