"""The Library pages. Thin: read the request, call a domain function, render.

Every view that takes an id resolves it through an ownership helper (`playlists.library`), so
another user's playlist, track or job is a 404. HTMX requests get the named partial of the
same template the full page uses.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ops.jobs import announce_if_finished
from playlists import exports, history, library
from playlists.enrichment import accept_review, reject_review, start_enrichment
from playlists.genres import ATTRIBUTION, ATTRIBUTION_URL
from playlists.models import (
    Enrichment,
    LibraryRefresh,
    LikedSong,
    PlaylistChange,
    PlaylistItem,
    TrackEnrichment,
)
from playlists.refresh import start_refresh

JOB_MODELS = {"refresh": LibraryRefresh, "enrichment": Enrichment}


def _attribution() -> dict:
    return {"attribution": ATTRIBUTION, "attribution_url": ATTRIBUTION_URL}


def _track_table_context(request) -> dict:
    form = library.TrackFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = library.track_page(request.user, filters)
    query = request.GET.copy()
    query.pop("page", None)
    return {"form": form, "page": page, "query": query.urlencode(), **_attribution()}


@require_GET
@login_required
def index(request):
    user = request.user
    latest = {kind: model.objects.filter(user=user).first() for kind, model in JOB_MODELS.items()}
    context = {
        "overview": library.overview(user),
        "reviews": library.review_queue(user)[:5],
        "musicbrainz_ready": bool((settings.MUSICBRAINZ_CONTACT or "").strip()),
        "playlists": user.playlists.all(),
        "genres": library.genre_choices(user),
        "jobs": {
            kind: (job, reverse("library_job", args=[kind, job.pk]))
            for kind, job in latest.items()
            if job is not None
        },
        **_track_table_context(request),
    }
    if request.htmx and request.htmx.target == "track-table":
        return render(request, "playlists/library.html#track-table", context)
    if request.htmx and request.GET.get("part") in ("overview", "playlists"):
        return render(request, f"playlists/library.html#{request.GET['part']}", context)
    return render(request, "playlists/library.html", context)


@require_GET
@login_required
def tracks(request):
    """The track table alone (HTMX: filters, sorting and paging swap only the table)."""
    return render(request, "playlists/library.html#track-table", _track_table_context(request))


@require_POST
@login_required
def refresh(request):
    job, created = start_refresh(request.user, full=request.POST.get("full") == "1")
    if not created:
        messages.info(request, "A refresh is already under way.")
    if request.htmx:
        poll_url = reverse("library_job", args=["refresh", job.pk])
        return render(request, "ops/progress.html", {"job": job, "poll_url": poll_url})
    return redirect("library")


@require_POST
@login_required
def enrich(request):
    job, created = start_enrichment(request.user)
    if not created:
        messages.info(request, "Enrichment is already under way.")
    if request.htmx:
        poll_url = reverse("library_job", args=["enrichment", job.pk])
        return render(request, "ops/progress.html", {"job": job, "poll_url": poll_url})
    return redirect("library")


@require_GET
@login_required
def job_progress(request, kind: str, pk: int):
    model = JOB_MODELS.get(kind)
    if model is None:
        raise Http404
    job = get_object_or_404(model, pk=pk, user=request.user)
    poll_url = reverse("library_job", args=[kind, job.pk])
    response = render(request, "ops/progress.html", {"job": job, "poll_url": poll_url})
    return announce_if_finished(request, response, job)


@require_GET
@login_required
def playlist_detail(request, pk: int):
    playlist = library.playlist_for_user(request.user, pk)
    items = PlaylistItem.objects.filter(playlist=playlist).select_related("track__album")
    page = Paginator(items, 100).get_page(request.GET.get("page"))
    context = {"playlist": playlist, "page": page}
    if request.htmx and request.htmx.target == "items":
        return render(request, "playlists/playlist.html#items", context)
    return render(request, "playlists/playlist.html", context)


@require_GET
@login_required
def track_detail(request, track_id: str):
    row = library.library_row_for_user(request.user, track_id)
    track = row.track
    appearances = (
        PlaylistItem.objects.filter(track=track, playlist__user=request.user)
        .values("playlist_id", "playlist__name")
        .annotate(times=Count("pk"))
        .order_by("playlist__name")
    )
    context = {
        "row": row,
        "track": track,
        "album": track.album,
        "artists": track.artist_links.select_related("artist"),
        "appearances": appearances,
        "liked": LikedSong.objects.filter(user=request.user, track=track).first(),
        "enrichment": TrackEnrichment.objects.filter(track=track)
        .select_related("recording")
        .first(),
        "genres": track.genre_links.select_related("genre"),
        "release_group": track.album.mb_release_group if track.album else None,
        **_attribution(),
    }
    return render(request, "playlists/track.html", context)


@require_GET
@login_required
def review(request):
    return render(
        request,
        "playlists/review.html",
        {"reviews": library.review_queue(request.user)[:200], **_attribution()},
    )


def _decide(request, track_id: str, decide) -> object:
    row = library.library_row_for_user(request.user, track_id)
    enrichment = get_object_or_404(TrackEnrichment, track=row.track)
    decide(enrichment, request.user)
    enrichment.refresh_from_db()
    if request.htmx:
        return render(request, "playlists/review.html#decided", {"item": enrichment})
    return redirect("library_review")


@require_POST
@login_required
def review_accept(request, track_id: str):
    return _decide(request, track_id, accept_review)


@require_POST
@login_required
def review_reject(request, track_id: str):
    return _decide(request, track_id, reject_review)


def _export_format(fmt: str) -> str:
    if fmt not in exports.FORMATS:
        raise Http404
    return fmt


@require_GET
@login_required
def export_playlist(request, pk: int, fmt: str):
    fmt = _export_format(fmt)
    playlist = library.playlist_for_user(request.user, pk)
    return exports.download(
        fmt, playlist.name, exports.playlist_rows(playlist), exports.file_name(playlist.name, fmt)
    )


@require_GET
@login_required
def export_liked(request, fmt: str):
    fmt = _export_format(fmt)
    return exports.download(fmt, "Liked Songs", exports.liked_rows(request.user), f"liked.{fmt}")


@require_GET
@login_required
def export_library(request, fmt: str):
    fmt = _export_format(fmt)
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    exports.library_zip(request.user, fmt, target)
    target.seek(0)
    return FileResponse(
        target,
        as_attachment=True,
        filename=f"spotify_playlists_{fmt}.zip",
        content_type="application/zip",
    )


@require_GET
@login_required
def playlist_history(request, pk: int):
    playlist = library.playlist_for_user(request.user, pk)
    changes = Paginator(playlist.changes.all(), 50).get_page(request.GET.get("page"))
    return render(request, "playlists/history.html", {"playlist": playlist, "changes": changes})


def _change_for(request, pk: int, change_pk: int):
    playlist = library.playlist_for_user(request.user, pk)
    return playlist, get_object_or_404(PlaylistChange, pk=change_pk, playlist=playlist)


@require_GET
@login_required
def playlist_as_of(request, pk: int, change_pk: int):
    playlist, change = _change_for(request, pk, change_pk)
    uris = history.as_of(playlist, change)
    rows = list(exports.uri_rows(uris[:500]))
    return render(
        request,
        "playlists/as_of.html",
        {"playlist": playlist, "change": change, "rows": rows, "count": len(uris)},
    )


@require_GET
@login_required
def playlist_as_of_export(request, pk: int, change_pk: int, fmt: str):
    fmt = _export_format(fmt)
    playlist, change = _change_for(request, pk, change_pk)
    name = f"{playlist.name} (before {change.seen_at:%Y-%m-%d %H:%M})"
    rows = exports.uri_rows(history.as_of(playlist, change))
    return exports.download(fmt, name, rows, exports.file_name(name, fmt))
