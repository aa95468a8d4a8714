"""The Library pages. Thin: read the request, call a domain function, render.

Every view that takes an id resolves it through an ownership helper (`playlists.library`), so
another user's playlist, track or job is a 404. HTMX requests get the named partial of the
same template the full page uses.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ops.jobs import announce_if_finished
from playlists import library
from playlists.enrichment import accept_review, reject_review, start_enrichment
from playlists.genres import ATTRIBUTION, ATTRIBUTION_URL
from playlists.models import (
    Enrichment,
    LibraryRefresh,
    LikedSong,
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
