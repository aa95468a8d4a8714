from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from archive.models import PollRun
from ops import health
from ops.jobs import ACTIVE_STATUSES
from playlists.models import LibraryRefresh
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
    return render(request, "dashboard.html", {"sections": SECTIONS, **_getting_started(request)})


def _getting_started(request) -> dict:
    """The first library refresh and history check a new connection starts by itself, shown
    while the refresh runs so a new person sees their library arriving."""
    refresh = LibraryRefresh.objects.filter(user=request.user, status__in=ACTIVE_STATUSES).first()
    if refresh is None:
        return {}
    return {
        "first_refresh": refresh,
        "first_refresh_poll_url": reverse("library_job", args=["refresh", refresh.pk]),
        "last_history_check": PollRun.objects.filter(user=request.user).first(),
    }


@require_GET
def waitlist(request):
    return render(request, "waitlist.html")


@require_GET
def healthz(request):
    """For load balancers: database, Redis, broker and beat, and nothing private."""
    healthy, report = health.health()
    return JsonResponse(report, status=200 if healthy else 503)
