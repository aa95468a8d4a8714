"""Library endpoints: liked songs, saved albums, followed artists, the unified /me/library
(≤40 URIs, mixed types), recently played, and the deprecated per-type writes (403 in
development mode, working in extended mode).
"""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Prefetch

from sandbox.spotify import faults, mutations, ops
from sandbox.spotify.api import (
    ApiError,
    absolute_url,
    check_scopes,
    empty,
    int_param,
    json_body,
    limit_offset,
    ok,
    paging,
    requires,
    route,
)
from sandbox.spotify.ids import is_base62_id
from sandbox.spotify.models import (
    FollowedArtist,
    Play,
    SavedAlbum,
    SavedTrack,
    Track,
)
from sandbox.spotify.shapes import Shapes, credits_prefetch, iso

ALBUM_TRACKS_EMBEDDED = 50
MAX_DEPRECATED_IDS = 50
RECENTLY_PLAYED_REACHABLE = 50


def _removed_in_development_mode() -> None:
    if not faults.extended():
        raise ApiError(403, "Forbidden")


def album_tracks_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}tracks",
        queryset=Track.objects.order_by("disc_number", "track_number").prefetch_related(
            credits_prefetch()
        ),
        to_attr="ordered_tracks",
    )


def full_album(shapes: Shapes, album) -> dict:
    tracks = album.ordered_tracks
    return shapes.album(album, tracks[:ALBUM_TRACKS_EMBEDDED], tracks_total=len(tracks))


# --- Liked songs and saved albums -----------------------------------------------------------------


@requires("user-library-read")
def saved_tracks(request, user):
    limit, offset = limit_offset(request)
    rows = SavedTrack.objects.filter(user=user)
    total = rows.count()
    page = (
        rows.order_by("-added_at", "-id")
        .select_related("track__album__artist")
        .prefetch_related(credits_prefetch("track__"))[offset : offset + limit]
    )
    shapes = Shapes(request)
    items = [{"added_at": iso(row.added_at), "track": shapes.track(row.track)} for row in page]
    return ok(paging(request, items, total=total, limit=limit, offset=offset))


@requires("user-library-read")
def saved_albums(request, user):
    limit, offset = limit_offset(request)
    rows = SavedAlbum.objects.filter(user=user)
    total = rows.count()
    page = (
        rows.order_by("-added_at", "-id")
        .select_related("album__artist")
        .prefetch_related(album_tracks_prefetch("album__"))[offset : offset + limit]
    )
    shapes = Shapes(request)
    items = [
        {"added_at": iso(row.added_at), "album": full_album(shapes, row.album)} for row in page
    ]
    return ok(paging(request, items, total=total, limit=limit, offset=offset))


def _deprecated_ids(request) -> list[str]:
    raw = request.GET.get("ids")
    ids = [value.strip() for value in raw.split(",")] if raw else json_body(request).get("ids")
    if not ids or not isinstance(ids, list):
        raise ApiError(400, "Missing required parameter: ids")
    if len(ids) > MAX_DEPRECATED_IDS:
        raise ApiError(400, "Too many ids requested")
    if not all(isinstance(value, str) and is_base62_id(value) for value in ids):
        raise ApiError(400, "Invalid base62 id")
    return ids


def _deprecated_library_write(request, user, kind: str, *, status: int):
    """PUT/DELETE /me/tracks, /me/albums, /me/following: 403 in development mode."""
    _removed_in_development_mode()
    timestamped = None
    if kind == "track" and request.method == "PUT":
        timestamped = json_body(request).get("timestamped_ids")
    ids = _timestamped_ids(timestamped) if timestamped is not None else _deprecated_ids(request)
    parsed = [(kind, spotify_id) for spotify_id in ids]
    with transaction.atomic():
        if request.method == "PUT":
            ops.save_to_library(user, parsed)
            if timestamped is not None:
                _restore_added_at(user, timestamped)
        else:
            ops.remove_from_library(user, parsed)
        payload = {"ids": ids}
        if timestamped is not None:
            payload["timestamped_ids"] = timestamped
        mutations.record(request, user, payload=payload, status=status)
    return empty(status)


def _timestamped_ids(entries) -> list[str]:
    if not isinstance(entries, list) or not entries:
        raise ApiError(400, "timestamped_ids must be a non-empty list")
    if len(entries) > MAX_DEPRECATED_IDS:
        raise ApiError(400, "Too many ids requested")
    ids = []
    for entry in entries:
        if not isinstance(entry, dict) or not is_base62_id(entry.get("id", "")):
            raise ApiError(400, "Invalid base62 id")
        try:
            datetime.fromisoformat(str(entry.get("added_at", "")).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, "Invalid added_at timestamp") from None
        ids.append(entry["id"])
    return ids


def _restore_added_at(user, entries) -> None:
    for entry in entries:
        moment = datetime.fromisoformat(entry["added_at"].replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        SavedTrack.objects.filter(user=user, track__spotify_id=entry["id"]).update(added_at=moment)


@requires("user-library-modify")
def save_tracks_old(request, user):
    return _deprecated_library_write(request, user, "track", status=200)


@requires("user-library-modify")
def save_albums_old(request, user):
    return _deprecated_library_write(request, user, "album", status=200)


me_tracks = route(GET=saved_tracks, PUT=save_tracks_old, DELETE=save_tracks_old)
me_albums = route(GET=saved_albums, PUT=save_albums_old, DELETE=save_albums_old)


def _deprecated_contains(kind: str):
    @requires("user-library-read", "user-follow-read")
    def contains(request, user):
        _removed_in_development_mode()
        ids = _deprecated_ids(request)
        return ok(ops.library_contains(user, [(kind, spotify_id) for spotify_id in ids]))

    return route(GET=contains)


me_tracks_contains = _deprecated_contains("track")
me_albums_contains = _deprecated_contains("album")
me_following_contains = _deprecated_contains("artist")


# --- Followed artists (cursor paging) -------------------------------------------------------------


@requires("user-follow-read")
def followed_artists(request, user):
    if request.GET.get("type") != "artist":
        raise ApiError(400, "Bad or missing type parameter. Only 'artist' is supported")
    limit = int_param(request, "limit", default=20, minimum=1, maximum=50)
    after = request.GET.get("after") or None
    if after is not None and not is_base62_id(after):
        raise ApiError(400, "Invalid base62 id")
    rows = FollowedArtist.objects.filter(user=user).select_related("artist")
    total = rows.count()
    # Ordered by artist id, so `after` (the last id of the previous page) is a stable cursor.
    if after is not None:
        rows = rows.filter(artist__spotify_id__gt=after)
    page = list(rows.order_by("artist__spotify_id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    shapes = Shapes(request)
    last = page[-1].artist.spotify_id if page else None
    params = {"type": "artist", "limit": limit}
    return ok(
        {
            "artists": {
                "href": absolute_url(request, request.path, {**params, "after": after}),
                "items": [shapes.artist(row.artist) for row in page],
                "limit": limit,
                "next": absolute_url(request, request.path, {**params, "after": last})
                if more
                else None,
                "cursors": {"after": last if more else None},
                "total": total,
            }
        }
    )


@requires("user-follow-modify")
def follow_old(request, user):
    if request.GET.get("type") not in ("artist", "user"):
        raise ApiError(400, "Bad or missing type parameter")
    if request.GET.get("type") == "user":
        _removed_in_development_mode()
        raise ApiError(400, "Following users is not emulated by the sandbox")
    return _deprecated_library_write(request, user, "artist", status=204)


me_following = route(GET=followed_artists, PUT=follow_old, DELETE=follow_old)


# --- /me/library ----------------------------------------------------------------------------------


def _library_uris(request, *, contains: bool):
    return ops.parse_library_uris(
        request.GET.get("uris"),
        contains=contains,
        artists_allowed=faults.current().library_artist_uris,
    )


def save_library(request, user):
    parsed = _library_uris(request, contains=False)
    check_each_scope(request, ops.library_scopes_needed(parsed, write=True))
    with transaction.atomic():
        ops.save_to_library(user, parsed)
        mutations.record(request, user, payload={"uris": request.GET["uris"].split(",")})
    return empty(200)


def remove_library(request, user):
    parsed = _library_uris(request, contains=False)
    check_each_scope(request, ops.library_scopes_needed(parsed, write=True))
    with transaction.atomic():
        ops.remove_from_library(user, parsed)
        mutations.record(request, user, payload={"uris": request.GET["uris"].split(",")})
    return empty(200)


def library_contains(request, user):
    parsed = _library_uris(request, contains=True)
    check_each_scope(request, ops.library_scopes_needed(parsed, write=False))
    return ok(ops.library_contains(user, parsed))


def check_each_scope(request, needed: set[str]) -> None:
    """/me/library needs the scope of every URI type in the request."""
    for scope in needed:
        check_scopes(request, frozenset({scope}))


me_library = route(PUT=save_library, DELETE=remove_library)
me_library_contains = route(GET=library_contains)


# --- Recently played ------------------------------------------------------------------------------


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@requires("user-read-recently-played")
def recently_played(request, user):
    limit = int_param(request, "limit", default=20, minimum=1, maximum=50)
    if request.GET.get("after") and request.GET.get("before"):
        raise ApiError(400, "Only one of after and before may be given")
    after = int_param(request, "after", default=-1, minimum=0) if "after" in request.GET else None
    before = int_param(request, "before", default=0, minimum=0) if "before" in request.GET else None
    # Spotify keeps only the newest ~50 plays reachable; cursors cannot go further back.
    reachable = list(
        Play.objects.filter(user=user)
        .order_by("-played_at", "-id")
        .select_related("track__album__artist")
        .prefetch_related(credits_prefetch("track__"))[:RECENTLY_PLAYED_REACHABLE]
    )
    if after is not None:
        newer = [play for play in reachable if _ms(play.played_at) > after]
        if faults.current().recently_played_after == "oldest":
            page = newer[-limit:]
        else:
            page = newer[:limit]
    elif before is not None:
        page = [play for play in reachable if _ms(play.played_at) < before][:limit]
    else:
        page = reachable[:limit]
    shapes = Shapes(request)
    cursors = None
    next_url = None
    if page:
        cursors = {"after": str(_ms(page[0].played_at)), "before": str(_ms(page[-1].played_at))}
        if reachable.index(page[-1]) < len(reachable) - 1:
            next_url = absolute_url(
                request, request.path, {"before": cursors["before"], "limit": limit}
            )
    return ok(
        {
            "href": absolute_url(request, request.path, dict(request.GET.items())),
            "items": [shapes.play(play) for play in page],
            "limit": limit,
            "next": next_url,
            "cursors": cursors,
        }
    )


me_recently_played = route(GET=recently_played)
