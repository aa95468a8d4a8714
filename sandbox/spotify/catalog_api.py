"""Catalog endpoints: one track / album / artist, an album's tracks, search (limit ≤10 in
development mode), the batch reads (403 in development mode), and the sandbox's cover images.
"""

import hashlib
import re

from django.db.models import Q
from django.http import HttpResponse
from django.views.decorators.cache import cache_control

from sandbox.spotify import faults
from sandbox.spotify.api import ApiError, limit_offset, ok, paging, route
from sandbox.spotify.ids import is_base62_id
from sandbox.spotify.library_api import album_tracks_prefetch, full_album
from sandbox.spotify.models import Album, Artist, TrackArtist
from sandbox.spotify.shapes import Shapes, credits_prefetch, tracks_queryset

BATCH_LIMITS = {"tracks": 50, "artists": 50, "albums": 20}
SEARCH_TYPES = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}


def _valid_id(spotify_id: str) -> str:
    if not is_base62_id(spotify_id):
        raise ApiError(400, "Invalid base62 id")
    return spotify_id


def _albums_queryset():
    return Album.objects.select_related("artist").prefetch_related(album_tracks_prefetch())


# --- One of each ----------------------------------------------------------------------------------


def one_track(request, user, track_id):
    track = tracks_queryset().filter(spotify_id=_valid_id(track_id)).first()
    if track is None:
        raise ApiError(404, "Resource not found")
    return ok(Shapes(request).track(track))


def one_album(request, user, album_id):
    album = _albums_queryset().filter(spotify_id=_valid_id(album_id)).first()
    if album is None:
        raise ApiError(404, "Resource not found")
    return ok(full_album(Shapes(request), album))


def album_tracks(request, user, album_id):
    album = Album.objects.filter(spotify_id=_valid_id(album_id)).first()
    if album is None:
        raise ApiError(404, "Resource not found")
    limit, offset = limit_offset(request)
    tracks = album.tracks.order_by("disc_number", "track_number").prefetch_related(
        credits_prefetch()
    )
    total = tracks.count()
    shapes = Shapes(request)
    items = [shapes.track_simple(track) for track in tracks[offset : offset + limit]]
    return ok(paging(request, items, total=total, limit=limit, offset=offset))


def one_artist(request, user, artist_id):
    artist = Artist.objects.filter(spotify_id=_valid_id(artist_id)).first()
    if artist is None:
        raise ApiError(404, "Resource not found")
    return ok(Shapes(request).artist(artist))


track = route(GET=one_track)
album = route(GET=one_album)
album_tracks_view = route(GET=album_tracks)
artist = route(GET=one_artist)


# --- Batch reads: removed in development mode -----------------------------------------------------


def _batch(kind: str):
    def handler(request, user):
        if not faults.extended():
            raise ApiError(403, "Forbidden")
        raw = request.GET.get("ids")
        if not raw:
            raise ApiError(400, "Missing required parameter: ids")
        ids = [value.strip() for value in raw.split(",")]
        if len(ids) > BATCH_LIMITS[kind]:
            raise ApiError(400, "Too many ids requested")
        for value in ids:
            _valid_id(value)
        shapes = Shapes(request)
        if kind == "tracks":
            found = {
                t.spotify_id: shapes.track(t) for t in tracks_queryset().filter(spotify_id__in=ids)
            }
        elif kind == "albums":
            found = {
                a.spotify_id: full_album(shapes, a)
                for a in _albums_queryset().filter(spotify_id__in=ids)
            }
        else:
            found = {
                a.spotify_id: shapes.artist(a) for a in Artist.objects.filter(spotify_id__in=ids)
            }
        # Unknown ids come back as null in their place, as at Spotify.
        return ok({kind: [found.get(value) for value in ids]})

    return route(GET=handler)


several_tracks = _batch("tracks")
several_artists = _batch("artists")
several_albums = _batch("albums")


# --- Search ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')
FILTERS = {"artist", "track", "album", "isrc", "year", "upc", "genre"}


def parse_query(q: str) -> tuple[list[str], dict[str, str]]:
    """`remaster track:Doxy artist:"Miles Davis"` → (["remaster"], {track: Doxy, artist: …})."""
    words: list[str] = []
    filters: dict[str, str] = {}
    for quoted_field, quoted_value, field, value, phrase, word in _TOKEN.findall(q):
        name = (quoted_field or field).lower()
        if name in FILTERS:
            filters[name] = quoted_value or value
        elif name:
            words.append(f"{quoted_field or field}:{quoted_value or value}")
        else:
            words.append(phrase or word)
    return [w for w in words if w], filters


def _by_artist_name(value: str) -> Q:
    return Q(pk__in=TrackArtist.objects.filter(artist__name__icontains=value).values("track_id"))


def _year(prefix: str, value: str) -> Q:
    if re.fullmatch(r"\d{4}-\d{4}", value):
        start, end = value.split("-")
        return Q(
            **{f"{prefix}release_date__gte": start, f"{prefix}release_date__lt": str(int(end) + 1)}
        )
    return Q(**{f"{prefix}release_date__startswith": value})


def _track_query(words, filters) -> Q:
    query = Q()
    for word in words:
        query &= Q(name__icontains=word) | Q(album__name__icontains=word) | _by_artist_name(word)
    if "artist" in filters:
        query &= _by_artist_name(filters["artist"])
    if "track" in filters:
        query &= Q(name__icontains=filters["track"])
    if "album" in filters:
        query &= Q(album__name__icontains=filters["album"])
    if "isrc" in filters:
        query &= Q(isrc__iexact=filters["isrc"])
    if "year" in filters:
        query &= _year("album__", filters["year"])
    if filters.keys() & {"upc", "genre"}:
        query &= Q(pk__in=[])  # filters that do not apply to tracks in the sandbox
    return query


def _artist_query(words, filters) -> Q:
    query = Q()
    for word in words:
        query &= Q(name__icontains=word)
    if "artist" in filters:
        query &= Q(name__icontains=filters["artist"])
    if filters.keys() - {"artist"}:
        query &= Q(pk__in=[])
    return query


def _album_query(words, filters) -> Q:
    query = Q()
    for word in words:
        query &= Q(name__icontains=word) | Q(artist__name__icontains=word)
    if "artist" in filters:
        query &= Q(artist__name__icontains=filters["artist"])
    if "album" in filters:
        query &= Q(name__icontains=filters["album"])
    if "upc" in filters:
        query &= Q(upc=filters["upc"])
    if "year" in filters:
        query &= _year("", filters["year"])
    if filters.keys() & {"track", "isrc", "genre"}:
        query &= Q(pk__in=[])
    return query


def search(request, user):
    q = request.GET.get("q", "").strip()
    if not q:
        raise ApiError(400, "No search query")
    types = [value.strip() for value in request.GET.get("type", "").split(",") if value.strip()]
    if not types or any(value not in SEARCH_TYPES for value in types):
        raise ApiError(400, "Bad search type field")
    if faults.extended():
        limit, offset = limit_offset(request, max_limit=50, default_limit=20, max_offset=1000)
    else:
        # Development mode since Feb 2026: at most 10 results per type (default 5).
        limit, offset = limit_offset(request, max_limit=10, default_limit=5, max_offset=1000)
    words, filters = parse_query(q)
    shapes = Shapes(request)
    result = {}
    for kind in types:
        if kind == "track":
            rows = tracks_queryset().filter(_track_query(words, filters))
            render = shapes.track
        elif kind == "artist":
            rows = Artist.objects.filter(_artist_query(words, filters))
            render = shapes.artist
        elif kind == "album":
            rows = Album.objects.select_related("artist").filter(_album_query(words, filters))
            render = shapes.album_simple
        else:
            rows, render = None, None  # playlists, shows, episodes, audiobooks: not emulated
        if rows is None:
            total, items = 0, []
        else:
            rows = rows.order_by("-popularity", "pk")
            total = rows.count()
            items = [render(row) for row in rows[offset : offset + limit]]
        result[f"{kind}s"] = paging(request, items, total=total, limit=limit, offset=offset)
    return ok(result)


search_view = route(GET=search)


# --- Cover images (the sandbox's own, so the demo shows artwork without the internet) -------------


@cache_control(max_age=86400, public=True)
def image(request, kind: str, spotify_id: str, size: int):
    digest = hashlib.sha256(f"{kind}:{spotify_id}".encode()).hexdigest()
    hue = int(digest[:4], 16) % 360
    accent = (hue + 40) % 360
    initial = spotify_id[:1].upper()
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 100 100"><rect width="100" height="100" fill="hsl({hue},55%,45%)"/>'
        f'<circle cx="70" cy="30" r="22" fill="hsl({accent},60%,60%)"/>'
        f'<text x="12" y="88" font-family="sans-serif" font-size="28" fill="#fff">{initial}</text>'
        "</svg>"
    )
    return HttpResponse(svg, content_type="image/svg+xml")
