"""Downloads pages: thin views, every object looked up through the person's own rows (an
outsider gets 404), every change a POST (CSRF)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from downloads import engine, throttle
from downloads.client import SlskdClient
from downloads.forms import SlskdSettingsForm
from downloads.models import ACTIVE, Download, DownloadRun, SlskdSettings, Status
from ops.jobs import ACTIVE_STATUSES
from playlists.models import LibraryTrack, Playlist, PlaylistItem, Track

RECENT = 50


def _download_for(request, pk: int) -> Download:
    return get_object_or_404(Download, pk=pk, user=request.user)


def _playlist_for(request, pk: int):
    return get_object_or_404(Playlist, pk=pk, user=request.user)


def _track_for(request, track_id: str):
    """A catalog track, only if it is in this person's library (their playlists or likes)."""
    in_library = (
        LibraryTrack.objects.filter(user=request.user, track_id=track_id).exists()
        or PlaylistItem.objects.filter(playlist__user=request.user, track_id=track_id).exists()
    )
    if not in_library:
        raise Http404("No such track in your library")
    return get_object_or_404(Track.objects.select_related("album"), pk=track_id)


def _back(request, fallback: str):
    """Where a plain (non-htmx) POST returns: the page it came from, if it is ours."""
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


def _downloads_context(request) -> dict:
    mine = Download.objects.filter(user=request.user)
    active = list(mine.filter(status__in=ACTIVE).order_by("priority", "queued_at", "pk")[:200])
    recent = list(
        mine.filter(status__in=[Status.COMPLETED, Status.FAILED, Status.CANCELLED]).order_by(
            "-finished_at"
        )[:RECENT]
    )
    wishlist = list(mine.filter(status=Status.NOT_FOUND).order_by("next_retry_at")[:200])
    return {"active": active, "recent": recent, "wishlist": wishlist, "any_active": bool(active)}


@require_GET
@login_required
def index(request):
    context = _downloads_context(request)
    if request.htmx and request.GET.get("part") == "lists":
        return render(request, "downloads/index.html#lists", context)

    slskd = SlskdSettings.for_user(request.user)
    runs = DownloadRun.objects.filter(user=request.user).order_by("-created_at")[:5]
    context.update(
        playlists=Playlist.objects.filter(user=request.user).only("pk", "name")[:200],
        runs=runs,
        usage=throttle.usage(SlskdClient(slskd.endpoint()).instance_key),
        slskd=slskd,
        ladder=_ladder_text(slskd),
    )
    return render(request, "downloads/index.html", context)


def _ladder_text(slskd: SlskdSettings) -> str:
    try:
        return str(slskd.ladder())
    except ValueError:
        return "(your ladder cannot be read; fix it in settings)"


@require_GET
@login_required
def detail(request, pk: int):
    download = _download_for(request, pk)
    template = "downloads/detail.html#status" if request.htmx else "downloads/detail.html"
    return render(request, template, {"download": download, "now": clock.now()})


@require_POST
@login_required
def cancel(request, pk: int):
    download = _download_for(request, pk)
    if engine.cancel(download):
        messages.info(request, f"Cancelled {download.artist} – {download.title}.")
    else:
        messages.warning(request, "That download has already finished.")
    return _back(request, "downloads:index")


@require_POST
@login_required
def retry(request, pk: int):
    download = _download_for(request, pk)
    if engine.retry_now(download):
        messages.info(request, f"Searching again for {download.artist} – {download.title}.")
    else:
        messages.warning(request, "That download is already on its way, or already done.")
    return _back(request, "downloads:index")


@require_POST
@login_required
def download_track(request, track_id: str):
    track = _track_for(request, track_id)
    outcome = engine.request_download(request.user, engine.wanted_from_track(track), track=track)
    if request.htmx:
        return render(
            request,
            "downloads/_track_button.html#badge",
            {"track": track, "download": outcome.download, "message": outcome.message},
        )
    messages.info(request, outcome.message)
    return _back(request, "downloads:index")


def _track_rows(request, playlist) -> list[dict]:
    """The playlist's tracks in order, each with this person's latest download of it."""
    items = (
        playlist.items.filter(track__isnull=False)
        .select_related("track__album")
        .order_by("position")
    )
    keys = [f"track:{item.track_id}" for item in items]
    latest: dict[str, Download] = {}
    best: dict[str, Download] = {}
    for download in Download.objects.filter(user=request.user, wanted_key__in=keys).order_by(
        "created_at"
    ):
        latest[download.wanted_key] = download
        if download.status == Status.COMPLETED:
            best[download.wanted_key] = download
    rows = []
    for item in items:
        key = f"track:{item.track_id}"
        rows.append(
            {"item": item, "track": item.track, "download": best.get(key) or latest.get(key)}
        )
    return rows


@require_GET
@login_required
def playlist(request, pk: int):
    found = _playlist_for(request, pk)
    rows = _track_rows(request, found)
    missing = sum(
        1 for row in rows if not (row["download"] and row["download"].status == Status.COMPLETED)
    )
    runs = DownloadRun.objects.filter(user=request.user, playlist=found).order_by("-created_at")
    context = {
        "playlist": found,
        "rows": rows,
        "missing": missing,
        "run": runs.first(),
        "any_active": any(row["download"] and row["download"].is_active for row in rows),
    }
    if request.htmx and request.GET.get("part") == "tracks":
        return render(request, "downloads/playlist.html#tracks", context)
    return render(request, "downloads/playlist.html", context)


@require_POST
@login_required
def download_missing(request, pk: int):
    found = _playlist_for(request, pk)
    running = DownloadRun.objects.filter(
        user=request.user, playlist=found, status__in=ACTIVE_STATUSES
    ).first()
    if running is None:
        engine.start_playlist_run(request.user, found)
        messages.info(request, f"Looking for the missing tracks of {found.name}.")
    else:
        messages.info(request, "Already looking for this playlist's missing tracks.")
    return redirect("downloads:playlist", pk=found.pk)


@require_GET
@login_required
def run_progress(request, pk: int):
    run = get_object_or_404(DownloadRun, pk=pk, user=request.user)
    return render(
        request,
        "ops/progress.html",
        {"job": run, "poll_url": request.path},
    )


@require_http_methods(["GET", "POST"])
@login_required
def settings_page(request):
    slskd = SlskdSettings.for_user(request.user)
    form = SlskdSettingsForm(request.POST or None, instance=slskd, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "slskd settings saved.")
        return redirect("downloads:settings")
    return render(
        request,
        "downloads/settings.html",
        {"form": form, "slskd": slskd, "endpoint": slskd.endpoint(), "ladder": _ladder_text(slskd)},
    )


@require_POST
@login_required
def test_connection(request):
    """Runs the checks at once (a person is waiting): reach, key, version, Soulseek login."""
    slskd = SlskdSettings.for_user(request.user)
    report = SlskdClient(slskd.endpoint()).test_connection()
    SlskdSettings.objects.filter(pk=slskd.pk).update(
        last_test_at=clock.now(), last_test_ok=report.ok, last_version=report.version[:40]
    )
    context = {"report": report, "endpoint": slskd.endpoint()}
    if request.htmx:
        return render(request, "downloads/settings.html#test-result", context)
    if report.ok:
        messages.success(request, f"Connected to slskd {report.version}.")
    else:
        failed = next((step for step in report.steps if not step[1]), ("?", False, ""))
        messages.warning(request, f"Connection test failed at “{failed[0]}”: {failed[2]}")
    return redirect("downloads:settings")
