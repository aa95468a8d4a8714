"""What the Library page shows: one user's playlists, counts, genre coverage and a filtered,
paged track table. Plain functions over the mirror; views only pass request data in.

The track table starts from the user's LibraryTrack rows (one per track, indexed on user) and
joins the catalog by primary key, so filtering 50,000 tracks touches one user's rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from core.text import fold
from playlists.models import (
    EnrichmentStatus,
    FollowedArtist,
    LibraryRefresh,
    LibraryState,
    LibraryTrack,
    LikedSong,
    Playlist,
    PlaylistItem,
    SavedAlbum,
    TrackEnrichment,
    TrackGenre,
)

PAGE_SIZE = 50
SORTS = {
    "added": ("-first_added_at", "track_id"),
    "title": ("track__name", "track_id"),
    "artist": ("track__artist_names", "track__name", "track_id"),
    "year": ("year", "track__name", "track_id"),
    "-year": ("-year", "track__name", "track_id"),
    "duration": ("track__duration_ms", "track_id"),
}


class TrackFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    genre = forms.CharField(required=False, max_length=100)
    year_from = forms.IntegerField(required=False, min_value=1000, max_value=2999)
    year_to = forms.IntegerField(required=False, min_value=1000, max_value=2999)
    explicit = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("yes", "Explicit"), ("no", "Clean")]
    )
    liked = forms.BooleanField(required=False, label="Liked songs only")
    playlist = forms.IntegerField(required=False, min_value=1)
    no_genre = forms.BooleanField(required=False, label="Without genres")
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS])
    page = forms.IntegerField(required=False, min_value=1)


@dataclass
class Overview:
    playlists: int
    tracks: int
    liked: int
    saved_albums: int
    followed_artists: int
    with_genres: int
    to_review: int
    refreshed_at: object

    @property
    def genre_coverage(self) -> int:
        return round(self.with_genres * 100 / self.tracks) if self.tracks else 0


def _has_genres():
    return Exists(TrackGenre.objects.filter(track_id=OuterRef("track_id")))


def overview(user) -> Overview:
    rows = LibraryTrack.objects.filter(user=user)
    counts = rows.aggregate(
        tracks=Count("pk"),
        with_genres=Count("pk", filter=Q(_has_genres())),
    )
    state = LibraryState.objects.filter(user=user).first()
    return Overview(
        playlists=Playlist.objects.filter(user=user).count(),
        tracks=counts["tracks"],
        liked=LikedSong.objects.filter(user=user).count(),
        saved_albums=SavedAlbum.objects.filter(user=user).count(),
        followed_artists=FollowedArtist.objects.filter(user=user).count(),
        with_genres=counts["with_genres"],
        to_review=review_queue(user).count(),
        refreshed_at=state.refreshed_at if state else None,
    )


def genre_choices(user, limit: int = 200) -> list[tuple[str, int]]:
    """The genres in the user's library with their track counts, most common first."""
    return list(
        TrackGenre.objects.filter(
            track__library_rows__user=user,
        )
        .values_list("genre__name")
        .annotate(tracks=Count("track_id"))
        .order_by("-tracks", "genre__name")[:limit]
    )


def track_rows(user, filters: dict):
    sort = filters.get("sort") or "added"
    rows = LibraryTrack.objects.filter(user=user)
    # The effective year joins the album for every row: only when asked for, so the count of
    # an unfiltered table stays an index-only count of the user's rows.
    if filters.get("year_from") or filters.get("year_to") or sort in ("year", "-year"):
        rows = rows.annotate(year=Coalesce("track__original_year", "track__album__release_year"))
    for word in fold(filters.get("q") or "").split()[:8]:
        rows = rows.filter(track__search_text__contains=word)
    if filters.get("genre"):
        rows = rows.filter(
            Exists(
                TrackGenre.objects.filter(
                    track_id=OuterRef("track_id"), genre__name=filters["genre"]
                )
            )
        )
    if filters.get("year_from"):
        rows = rows.filter(year__gte=filters["year_from"])
    if filters.get("year_to"):
        rows = rows.filter(year__lte=filters["year_to"])
    if filters.get("explicit") == "yes":
        rows = rows.filter(track__explicit=True)
    elif filters.get("explicit") == "no":
        rows = rows.filter(track__explicit=False)
    if filters.get("liked"):
        rows = rows.filter(liked=True)
    if filters.get("playlist"):
        rows = rows.filter(
            Exists(
                PlaylistItem.objects.filter(
                    track_id=OuterRef("track_id"),
                    playlist_id=filters["playlist"],
                    playlist__user=user,
                )
            )
        )
    if filters.get("no_genre"):
        rows = rows.filter(~_has_genres())
    return rows.order_by(*SORTS.get(sort, SORTS["added"]))


def track_page(user, filters: dict):
    rows = track_rows(user, filters)
    # Page over primary keys only (no catalog columns dragged through a deep OFFSET), then
    # load the 50 rows of the page with their track and album.
    paginator = Paginator(rows.select_related(None).values_list("pk", flat=True), PAGE_SIZE)
    page = paginator.get_page(filters.get("page") or 1)
    pks = list(page.object_list)
    loaded = rows.select_related("track__album").in_bulk(pks)
    page.object_list = [loaded[pk] for pk in pks]
    ids = [row.track_id for row in page.object_list]
    genres: dict[str, list[str]] = {}
    for track_id, name in (
        TrackGenre.objects.filter(track_id__in=ids)
        .order_by("track_id", "-weight")
        .values_list("track_id", "genre__name")
    ):
        genres.setdefault(track_id, []).append(name)
    for row in page.object_list:
        row.genre_names = genres.get(row.track_id, [])
    return page


def review_queue(user):
    return (
        TrackEnrichment.objects.filter(
            status=EnrichmentStatus.REVIEW, track__library_rows__user=user
        )
        .select_related("track", "recording")
        .order_by("-confidence", "track__name")
    )


# --- ownership: every object view goes through one of these -----------------------------------


def playlist_for_user(user, pk: int) -> Playlist:
    return get_object_or_404(Playlist, pk=pk, user=user)


def library_row_for_user(user, track_id: str) -> LibraryTrack:
    """The user's row for a track: a track outside the user's library is a 404 for them."""
    return get_object_or_404(
        LibraryTrack.objects.select_related("track"), user=user, track_id=track_id
    )


def active_refresh(user) -> LibraryRefresh | None:
    return LibraryRefresh.objects.filter(user=user).order_by("-created_at").first()
