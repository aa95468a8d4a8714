import tempfile

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive.models import HistoryProfile, PollRun
from config import account_data
from config import dashboard as dashboard_data
from ops import health
from ops.jobs import ACTIVE_STATUSES
from playlists.models import LibraryRefresh
from spotify.models import UserSeat


@require_GET
def landing(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "landing.html", {"free_seats": UserSeat.free_count()})


@require_GET
@login_required
def dashboard(request):
    since = dashboard_data.last_visit(request.session)
    return render(
        request,
        "dashboard.html",
        {
            "board": dashboard_data.build(request.user, since),
            "zone": _zone(request.user),
            **_getting_started(request),
        },
    )


def _zone(user):
    return HistoryProfile.for_user(user.pk).zone


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


# --- Settings ------------------------------------------------------------------------------------


@require_GET
@login_required
def settings_home(request):
    """One place for the person's settings: API tokens, time zone, Spotify, their data."""
    from allauth.socialaccount.models import SocialAccount

    from archive.forms import TimeZoneForm
    from spotify.models import Connection

    profile = HistoryProfile.for_user(request.user.pk)
    account = SocialAccount.objects.filter(user=request.user, provider="spotify").first()
    connection = Connection.objects.filter(user=request.user).first()
    context = {
        "time_zone_form": TimeZoneForm(
            initial={"time_zone": profile.time_zone, "week_start": profile.week_start}
        ),
        "profile": profile,
        "spotify_account": account,
        "spotify_connected": account is not None
        and account.socialtoken_set.exists()
        and not (connection and connection.needs_reconnect),
        "token_count": request.user.api_tokens.count(),
    }
    return render(request, "settings/home.html", context)


@require_POST
@login_required
def settings_disconnect(request):
    account_data.disconnect_spotify(request.user)
    messages.success(
        request,
        "Spotify disconnected: Tunekeeper's tokens are deleted and background jobs wait. "
        "Reconnect any time; to withdraw access on Spotify's side too, remove the app on your "
        "Spotify account page.",
    )
    return redirect("settings_home")


@require_POST
@login_required
def settings_export(request):
    """Download my data: a zip of every row Tunekeeper holds about the person."""
    # A temporary file, not memory: a long history makes a big zip. FileResponse closes it.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    account_data.export_zip(request.user, spool)
    spool.seek(0)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"tunekeeper-{stamp}.zip",
        content_type="application/zip",
    )


@require_http_methods(["GET", "POST"])
@login_required
def settings_delete(request):
    """Delete my data: a confirmation page listing what goes; the POST must repeat the name."""
    counts = [
        (model._meta.verbose_name_plural, rows.count())
        for model, rows in account_data.owned(request.user)
    ]
    counts = [(name, n) for name, n in counts if n]
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() != request.user.get_username():
            error = "Type your user name exactly as shown to confirm."
        else:
            account_data.delete_everything(request.user)
            logout(request)
            messages.success(request, "Your data is deleted and you are signed out.")
            return redirect("landing")
    return render(
        request,
        "settings/delete.html",
        {"counts": counts, "error": error},
        status=400 if error else 200,
    )
