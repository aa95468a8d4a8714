"""MusicBrainz's JSON web service as enrichment uses it (reference/musicbrainz-api.md), answered
from the sandbox Spotify's catalog so a demo with no internet gets genres.

The catalog is derived, not stored: an ISRC's recordings, their tags (the sandbox artist's genres)
and release groups (the sandbox album) follow from the track. About one ISRC in eight is unknown
(404, as for many real tracks) and about one in eight has two recordings (a live version too).
MBIDs encode the sandbox row they come from, so a lookup by MBID needs no table.
"""

import hashlib

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from sandbox.musicbrainz import knobs
from sandbox.spotify.models import Album, Artist, Track

HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
GENRES = [
    "afrobeat", "ambient", "blues", "bossa nova", "classical", "country", "disco", "dream pop",
    "drum and bass", "folk", "funk", "hip hop", "house", "indie folk", "indie rock", "jazz",
    "k-pop", "metal", "neo soul", "pop", "post-rock", "punk", "reggae", "rock", "shoegaze",
    "singer-songwriter", "soul", "synthpop", "techno", "trip hop",
]  # fmt: skip
# Tags that are not genres, as real recordings carry (enrichment must drop them).
OTHER_TAGS = ["seen live", "favourite", "british", "00s"]
ISRC_INCS = {"artist-credits", "isrcs", "tags", "releases", "artists", "aliases", "ratings"}
RECORDING_INCS = ISRC_INCS | {"release-groups", "genres", "media"}
RELEASE_GROUP_INCS = {"tags", "genres", "artist-credits", "releases", "ratings"}


def _mbid(kind: int, pk: int, n: int = 0) -> str:
    return f"{pk:08x}-{kind:04x}-4000-8000-{n:012x}"


def _pk(mbid: str, kind: int) -> tuple[int, int] | None:
    parts = mbid.split("-")
    if len(parts) != 5 or parts[1] != f"{kind:04x}":
        return None
    try:
        return int(parts[0], 16), int(parts[4], 16)
    except ValueError:
        return None


RECORDING, RELEASE_GROUP, RELEASE, ARTIST = 0, 1, 2, 3


def _bucket(isrc: str) -> int:
    return int.from_bytes(hashlib.blake2b(isrc.encode(), digest_size=4).digest()) % 100


def recordings_per_isrc(isrc: str) -> int:
    """0 (unknown to MusicBrainz), 1, or 2 (a studio and a live recording)."""
    bucket = _bucket(isrc)
    return 0 if bucket < 12 else 2 if bucket >= 88 else 1


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "help": HELP}, status=status)


def _incs(request, allowed: set[str]) -> set[str] | JsonResponse:
    raw = request.GET.getlist("inc")
    if len(raw) > 1:
        return _error(400, "Inc arguments must be combined with a space (+ or %20).")
    wanted = {part for part in (raw[0].replace("+", " ").split() if raw else [])}
    unknown = wanted - allowed
    if unknown:
        return _error(400, f"{sorted(unknown)[0]} is not a valid inc parameter for the resource.")
    return wanted


def _paced(view):
    """Every request: User-Agent required (403), the pace (503 + Retry-After), the knobs."""

    def wrapper(request, *args, **kwargs):
        if not request.headers.get("User-Agent"):
            return _error(403, "Requests without a User-Agent are not allowed.")
        refusal = knobs.admit(request.META.get("REMOTE_ADDR", ""), request.get_full_path())
        if refusal is not None:
            status, retry_after = refusal
            response = _error(
                status,
                "Your requests are exceeding the allowable rate limit. Please see "
                "http://wiki.musicbrainz.org/XMLWebService for more information.",
            )
            if retry_after is not None:
                response["Retry-After"] = str(retry_after)
            return response
        return view(request, *args, **kwargs)

    return require_GET(wrapper)


def _tags(names: list[str], top: int = 5) -> list[dict]:
    return [{"name": name, "count": top - index} for index, name in enumerate(names[:top])]


def _artist_tags(artist: Artist) -> list[dict]:
    return _tags(list(artist.genres))


def _credit(track: Track, incs: set[str]) -> list[dict]:
    credits = []
    artists = list(track.artists.all())
    for index, artist in enumerate(artists):
        data = {"id": _mbid(ARTIST, artist.pk), "name": artist.name, "sort-name": artist.name}
        if "tags" in incs:
            data["tags"] = _artist_tags(artist)
        joinphrase = " feat. " if index == 0 and len(artists) > 1 else ""
        credits.append({"name": artist.name, "joinphrase": joinphrase, "artist": data})
    return credits


def _group(album: Album) -> dict:
    secondary = ["Compilation"] if album.album_type == Album.AlbumType.COMPILATION else []
    primary = "Single" if album.album_type == Album.AlbumType.SINGLE else "Album"
    return {
        "id": _mbid(RELEASE_GROUP, album.pk),
        "title": album.name,
        "primary-type": primary,
        "secondary-types": secondary,
        "first-release-date": album.release_date,
    }


def _recording(track: Track, n: int, incs: set[str]) -> dict:
    # The performer's genres (a compilation's album artist is "Various Artists").
    performers = list(track.artists.all())
    genres = list(performers[0].genres if performers else track.album.artist.genres)
    tags = [*genres, OTHER_TAGS[track.pk % len(OTHER_TAGS)]]
    if n == 1:  # the live recording: the same song, tagged a little differently
        tags = ["live", *tags[1:], *tags[:1]]
    data = {
        "id": _mbid(RECORDING, track.pk, n),
        "title": track.name + (" (live)" if n == 1 else ""),
        "length": track.duration_ms + (4000 if n == 1 else 0),
        "video": False,
        "disambiguation": "live" if n == 1 else "",
        "first-release-date": track.album.release_date,
    }
    if "artist-credits" in incs or "artists" in incs:
        data["artist-credit"] = _credit(track, incs)
    if "isrcs" in incs:
        data["isrcs"] = [track.isrc]
    if "tags" in incs:
        data["tags"] = _tags(tags)
    if "releases" in incs:
        release = {
            "id": _mbid(RELEASE, track.album.pk, n),
            "title": track.album.name,
            "status": "Official",
            "date": track.album.release_date,
        }
        if "release-groups" in incs:
            release["release-group"] = _group(track.album)
        data["releases"] = [release]
    return data


def _tracks():
    return Track.objects.select_related("album__artist").prefetch_related("artists")


@_paced
def genre_all(request):
    if request.GET.get("fmt") == "txt":
        return HttpResponse("\n".join(GENRES) + "\n", content_type="text/plain; charset=utf-8")
    genres = [{"id": _mbid(9, i), "name": name} for i, name in enumerate(GENRES)]
    return JsonResponse({"genre-count": len(genres), "genre-offset": 0, "genres": genres})


@_paced
def isrc(request, isrc):
    incs = _incs(request, ISRC_INCS)
    if isinstance(incs, JsonResponse):
        return incs
    track = _tracks().filter(isrc=isrc.upper()).order_by("pk").first()
    count = recordings_per_isrc(isrc.upper())
    if track is None or count == 0:
        return _error(404, "Not Found")
    return JsonResponse(
        {"isrc": track.isrc, "recordings": [_recording(track, n, incs) for n in range(count)]}
    )


@_paced
def recording(request, mbid):
    incs = _incs(request, RECORDING_INCS)
    if isinstance(incs, JsonResponse):
        return incs
    key = _pk(mbid, RECORDING)
    track = _tracks().filter(pk=key[0]).first() if key else None
    if track is None or key[1] >= recordings_per_isrc(track.isrc):
        return _error(404, "Not Found")
    return JsonResponse(_recording(track, key[1], incs))


@_paced
def release_group(request, mbid):
    incs = _incs(request, RELEASE_GROUP_INCS)
    if isinstance(incs, JsonResponse):
        return incs
    key = _pk(mbid, RELEASE_GROUP)
    album = Album.objects.select_related("artist").filter(pk=key[0]).first() if key else None
    if album is None:
        return _error(404, "Not Found")
    data = _group(album)
    if "tags" in incs:
        data["tags"] = _tags(list(album.artist.genres))
    if "genres" in incs:
        data["genres"] = [
            {"id": _mbid(9, GENRES.index(name)), **tag}
            for tag in _tags(list(album.artist.genres))
            if (name := tag["name"]) in GENRES
        ]
    return JsonResponse(data)


@_paced
def search_recordings(request):
    # The sandbox has no search index: a track its ISRC lookup does not know stays unmatched.
    if not request.GET.get("query"):
        return _error(400, "Missing query parameter")
    return JsonResponse(
        {"created": "2026-01-01T00:00:00.000Z", "count": 0, "offset": 0, "recordings": []}
    )


def not_found(request, *args, **kwargs):
    return _error(404, "Not Found")
