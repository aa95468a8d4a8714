"""Playlist endpoints: /me/playlists, /playlists/{id}, /playlists/{id}/items (and the removed
/playlists/{id}/tracks, 403 in development mode).

Rules emulated (reference §0.5-0.6, §5): items are readable and writable only by the owner or a
collaborator (403 otherwise; GET /playlists/{id} then simply omits `items`); a removed URI
removes every occurrence; every write — even one that changes nothing — makes a new snapshot_id;
at most 100 URIs per write; items pages at most 50 (a knob can allow the 100 the API was seen
accepting). GET /playlists/{id} embeds the first 50 items (Spotify embeds up to 100; 50 keeps the
embedded page's `next` link valid for /items).
"""

import random

from django.db import transaction
from django.db.models import Count

from sandbox.spotify import faults, fields, mutations, ops
from sandbox.spotify.api import (
    ApiError,
    check_scopes,
    empty,
    int_param,
    json_body,
    limit_offset,
    ok,
    paging,
    requires,
    route,
    user_object,
)
from sandbox.spotify.ids import base62_id, is_base62_id
from sandbox.spotify.models import Playlist, PlaylistFollow, PlaylistItem, SandboxUser
from sandbox.spotify.shapes import Shapes, items_queryset

ITEMS_PAGE_MAX = 50
_new_ids = random.SystemRandom()

READ_SCOPES = ("playlist-read-private", "playlist-read-collaborative")
MODIFY_SCOPES = ("playlist-modify-public", "playlist-modify-private")


def get_playlist(playlist_id: str) -> Playlist:
    if not is_base62_id(playlist_id):
        raise ApiError(400, "Invalid base62 id")
    playlist = Playlist.objects.select_related("owner").filter(spotify_id=playlist_id).first()
    if playlist is None:
        raise ApiError(404, "Resource not found")
    return playlist


def _locked_playlist(playlist_id: str, user) -> Playlist:
    """For writes: the playlist row locked for this transaction, or 403 if not editable."""
    get_playlist(playlist_id)  # 400 / 404 first, as for reads
    playlist = (
        Playlist.objects.select_for_update().select_related("owner").get(spotify_id=playlist_id)
    )
    if not playlist.can_edit(user):
        raise ApiError(403, "Forbidden")
    return playlist


def _items_page(request, shapes: Shapes, playlist: Playlist, *, limit, offset, path, params):
    keys = shapes.item_keys()
    total = PlaylistItem.objects.filter(playlist=playlist).count()
    # Positions are dense (every write keeps them so), so a page is an index range — as cheap at
    # offset 9,950 as at 0, whatever the planner thinks of the joins.
    rows = list(items_queryset(playlist).filter(position__gte=offset, position__lt=offset + limit))
    if len(rows) != max(0, min(limit, total - offset)):
        rows = list(items_queryset(playlist)[offset : offset + limit])  # not dense: never, but safe
    items = [shapes.playlist_item(row, keys) for row in rows]
    return paging(request, items, total=total, limit=limit, offset=offset, path=path, params=params)


def _after_read(playlist: Playlist) -> None:
    """The concurrent-edit fault: someone else edits the playlist between two of our reads."""
    action = faults.note_playlist_read(playlist.spotify_id)
    if action is None:
        return
    with transaction.atomic():
        locked = Playlist.objects.select_for_update().select_related("owner").get(pk=playlist.pk)
        before = locked.snapshot_id
        after, payload = ops.concurrent_edit(locked, action)
        mutations.record_internal(
            locked.owner,
            endpoint=(
                "POST /playlists/{id}/items" if action == "add" else "DELETE /playlists/{id}/items"
            ),
            target_id=locked.spotify_id,
            payload=payload,
            snapshot_before=before,
            snapshot_after=after,
        )


def _removed_in_development_mode() -> None:
    if not faults.extended():
        raise ApiError(403, "Forbidden")


# --- /me/playlists --------------------------------------------------------------------------------


@requires(*READ_SCOPES)
def list_my_playlists(request, user):
    limit, offset = limit_offset(request, max_offset=100_000)
    follows = PlaylistFollow.objects.filter(user=user)
    total = follows.count()
    page = list(
        follows.select_related("playlist__owner").order_by("-followed_at", "-id")[
            offset : offset + limit
        ]
    )
    ids = [follow.playlist_id for follow in page]
    counts = dict(
        PlaylistItem.objects.filter(playlist_id__in=ids)
        .values("playlist_id")
        .annotate(n=Count("id"))
        .values_list("playlist_id", "n")
    )
    shapes = Shapes(request)
    items = [
        shapes.playlist_simple(follow.playlist, items_total=counts.get(follow.playlist_id, 0))
        for follow in page
    ]
    return ok(paging(request, items, total=total, limit=limit, offset=offset))


@requires(*MODIFY_SCOPES)
def create_playlist(request, user):
    body = json_body(request)
    if body.get("public") is False or body.get("collaborative") is True:
        check_scopes(request, frozenset({"playlist-modify-private"}))
    with transaction.atomic():
        playlist = ops.create_playlist(user, body, spotify_id=base62_id(_new_ids))
        mutations.record(
            request,
            user,
            target_id=playlist.spotify_id,
            payload={
                k: body[k] for k in ("name", "public", "collaborative", "description") if k in body
            },
            snapshot_after=playlist.snapshot_id,
            status=201,
        )
    shapes = Shapes(request)
    page = shapes.paging_for(
        f"/playlists/{playlist.spotify_id}/items", [], total=0, limit=ITEMS_PAGE_MAX, offset=0
    )
    return ok(shapes.playlist(playlist, page), status=201)


my_playlists = route(GET=list_my_playlists, POST=create_playlist)


# --- /playlists/{id} ------------------------------------------------------------------------------


def read_playlist(request, user, playlist_id):
    playlist = get_playlist(playlist_id)
    selection = fields.parse(request.GET.get("fields"))
    shapes = Shapes(request)
    page = None
    wanted = fields.wants(selection, "items") or (
        shapes.extended and fields.wants(selection, "tracks")
    )
    if wanted and playlist.can_edit(user):
        page = _items_page(
            request,
            shapes,
            playlist,
            limit=ITEMS_PAGE_MAX,
            offset=0,
            path=f"{shapes.api_path}/playlists/{playlist.spotify_id}/items",
            params={},
        )
    data = fields.apply(shapes.playlist(playlist, page), selection)
    _after_read(playlist)
    return ok(data)


@requires(*MODIFY_SCOPES)
def change_playlist_details(request, user, playlist_id):
    body = json_body(request)
    with transaction.atomic():
        get_playlist(playlist_id)
        playlist = (
            Playlist.objects.select_for_update().select_related("owner").get(spotify_id=playlist_id)
        )
        if playlist.owner_id != user.pk:
            raise ApiError(403, "Forbidden")  # collaborators may edit items, not details
        before = playlist.snapshot_id
        after = ops.change_details(playlist, body)
        mutations.record(
            request,
            user,
            target_id=playlist_id,
            payload={
                k: body[k] for k in ("name", "public", "collaborative", "description") if k in body
            },
            snapshot_before=before,
            snapshot_after=after,
        )
    return empty(200)


playlist_detail = route(GET=read_playlist, PUT=change_playlist_details)


# --- /playlists/{id}/items ------------------------------------------------------------------------


@requires(*READ_SCOPES)
def list_items(request, user, playlist_id):
    playlist = get_playlist(playlist_id)
    if not playlist.can_edit(user):
        raise ApiError(403, "Forbidden")
    limit, offset = limit_offset(request, max_limit=faults.current().playlist_items_max_limit)
    selection = fields.parse(request.GET.get("fields"))
    shapes = Shapes(request)
    page = _items_page(
        request, shapes, playlist, limit=limit, offset=offset, path=request.path, params=None
    )
    data = fields.apply(page, selection)
    _after_read(playlist)
    return ok(data)


def _uris_from(request, body: dict):
    """`uris` from the query string (comma-separated; wins) or the JSON body."""
    if request.GET.get("uris"):
        return [value.strip() for value in request.GET["uris"].split(",")]
    return body.get("uris")


@requires(*MODIFY_SCOPES)
def add_items(request, user, playlist_id):
    body = json_body(request, list_means="uris")
    uris = _uris_from(request, body)
    if not uris:
        raise ApiError(400, "No uris provided")
    if isinstance(uris, list) and len(uris) > ops.MAX_ITEMS_PER_WRITE:
        raise ApiError(400, "You can add a maximum of 100 tracks per request.")
    if "position" in request.GET:
        position = int_param(request, "position", default=0)
    else:
        position = body.get("position")
        if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
            raise ApiError(400, "position must be an integer")
    tracks = ops.resolve_track_uris(uris)
    with transaction.atomic():
        playlist = _locked_playlist(playlist_id, user)
        before = playlist.snapshot_id
        after = ops.add_items(playlist, user, tracks, position)
        payload = {"uris": uris}
        if position is not None:
            payload["position"] = position
        mutations.record(
            request,
            user,
            target_id=playlist_id,
            payload=payload,
            snapshot_before=before,
            snapshot_after=after,
            status=201,
        )
    return ok({"snapshot_id": after}, status=201)


@requires(*MODIFY_SCOPES)
def update_items(request, user, playlist_id):
    body = json_body(request, list_means="uris")
    reorder = any(key in body for key in ("range_start", "insert_before", "range_length"))
    uris = _uris_from(request, body)
    if reorder and uris is not None:
        raise ApiError(400, "Replace and reorder are mutually exclusive")
    if not reorder:
        if uris is None:
            raise ApiError(400, "No uris provided")
        if isinstance(uris, list) and len(uris) > ops.MAX_ITEMS_PER_WRITE:
            raise ApiError(400, "You can add a maximum of 100 tracks per request.")
        tracks = ops.resolve_track_uris(uris)
    with transaction.atomic():
        playlist = _locked_playlist(playlist_id, user)
        before = playlist.snapshot_id
        if reorder:
            payload = {
                "range_start": body.get("range_start"),
                "insert_before": body.get("insert_before"),
                "range_length": body.get("range_length", 1),
            }
            if "snapshot_id" in body:
                payload["snapshot_id"] = body["snapshot_id"]
            after = ops.reorder_items(
                playlist, payload["range_start"], payload["insert_before"], payload["range_length"]
            )
        else:
            payload = {"uris": uris}
            after = ops.replace_items(playlist, user, tracks)
        mutations.record(
            request,
            user,
            target_id=playlist_id,
            payload=payload,
            snapshot_before=before,
            snapshot_after=after,
        )
    return ok({"snapshot_id": after})


def _remove(request, user, playlist_id, *, body_key: str):
    body = json_body(request)
    if body_key not in body:
        raise ApiError(400, "No uris provided")
    uris = ops.validate_removal(body[body_key])
    with transaction.atomic():
        playlist = _locked_playlist(playlist_id, user)
        before = playlist.snapshot_id
        after, _removed = ops.remove_items(playlist, uris)
        payload = {"items": uris}
        if "snapshot_id" in body:
            payload["snapshot_id"] = body["snapshot_id"]
        mutations.record(
            request,
            user,
            target_id=playlist_id,
            payload=payload,
            snapshot_before=before,
            snapshot_after=after,
        )
    return ok({"snapshot_id": after})


@requires(*MODIFY_SCOPES)
def remove_items(request, user, playlist_id):
    return _remove(request, user, playlist_id, body_key="items")


playlist_items = route(GET=list_items, POST=add_items, PUT=update_items, DELETE=remove_items)


# --- /playlists/{id}/tracks: removed in development mode, the old shapes in extended mode ---------


@requires(*READ_SCOPES)
def list_tracks_old(request, user, playlist_id):
    _removed_in_development_mode()
    return list_items(request, user, playlist_id)


@requires(*MODIFY_SCOPES)
def add_tracks_old(request, user, playlist_id):
    _removed_in_development_mode()
    return add_items(request, user, playlist_id)


@requires(*MODIFY_SCOPES)
def update_tracks_old(request, user, playlist_id):
    _removed_in_development_mode()
    return update_items(request, user, playlist_id)


@requires(*MODIFY_SCOPES)
def remove_tracks_old(request, user, playlist_id):
    _removed_in_development_mode()
    return _remove(request, user, playlist_id, body_key="tracks")


playlist_tracks_old = route(
    GET=list_tracks_old, POST=add_tracks_old, PUT=update_tracks_old, DELETE=remove_tracks_old
)


# --- /users/{id} and /users/{id}/playlists: removed in development mode ---------------------------


def _sandbox_user(user_id: str) -> SandboxUser:
    _removed_in_development_mode()
    other = SandboxUser.objects.filter(spotify_id=user_id).first()
    if other is None:
        raise ApiError(404, "Resource not found")
    return other


def read_user(request, user, user_id):
    other = _sandbox_user(user_id)
    data = user_object(other, Shapes(request).api)
    data.pop("account_id")  # a PublicUserObject
    return ok(data)


@requires(*READ_SCOPES)
def list_user_playlists(request, user, user_id):
    other = _sandbox_user(user_id)
    limit, offset = limit_offset(request, max_offset=100_000)
    # Another user's public playlists; one's own list includes the private ones.
    rows = (
        Playlist.objects.filter(owner=other).select_related("owner").order_by("-created_at", "-id")
    )
    if other.pk != user.pk:
        rows = rows.filter(public=True)
    total = rows.count()
    page = list(rows[offset : offset + limit])
    counts = dict(
        PlaylistItem.objects.filter(playlist__in=page)
        .values("playlist_id")
        .annotate(n=Count("id"))
        .values_list("playlist_id", "n")
    )
    shapes = Shapes(request)
    items = [shapes.playlist_simple(p, items_total=counts.get(p.pk, 0)) for p in page]
    return ok(paging(request, items, total=total, limit=limit, offset=offset))


@requires(*MODIFY_SCOPES)
def create_user_playlist(request, user, user_id):
    other = _sandbox_user(user_id)
    if other.pk != user.pk:
        raise ApiError(403, "You cannot create a playlist for another user")
    return create_playlist(request, user)


user_profile = route(GET=read_user)
user_playlists = route(GET=list_user_playlists, POST=create_user_playlist)
