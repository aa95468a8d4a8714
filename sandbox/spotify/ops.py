"""What the sandbox's writes do to its rows: playlist items (add, replace, reorder, remove every
occurrence), playlist details, and the library (liked songs, saved albums, followed artists,
followed playlists). Views validate the request and call these inside a transaction.

Positions stay dense (0…n-1). Shifts are single range UPDATEs and a removal renumbers with one
window-function UPDATE, so a write to a 10,000-item playlist costs a handful of statements.
"""

from django.db import connection
from django.db.models import F

from core import clock
from sandbox.spotify.api import ApiError
from sandbox.spotify.ids import is_base62_id, parse_uri
from sandbox.spotify.models import (
    Album,
    Artist,
    FollowedArtist,
    Playlist,
    PlaylistFollow,
    PlaylistItem,
    SandboxUser,
    SavedAlbum,
    SavedTrack,
    Track,
)

MAX_ITEMS_PER_WRITE = 100
# Moves a reordered block out of the way while the rows around it shift.
_PARKING_OFFSET = 1_000_000_000


def is_local_uri(value: str) -> bool:
    return isinstance(value, str) and value.startswith("spotify:local:")


def resolve_track_uris(uris) -> list[Track]:
    """Track URIs → catalog tracks in the same order (duplicates kept); 400 on anything else."""
    if not isinstance(uris, list) or not all(isinstance(value, str) for value in uris):
        raise ApiError(400, "uris must be a list of Spotify track URIs")
    ids = []
    for value in uris:
        parsed = parse_uri(value)
        if parsed is None or parsed[0] not in ("track", "episode"):
            raise ApiError(400, f"JSON body contains an invalid track uri: {value}")
        if parsed[0] == "episode":
            raise ApiError(400, "Episodes are not emulated by the sandbox")
        if not is_base62_id(parsed[1]):
            raise ApiError(400, "Invalid base62 id")
        ids.append(parsed[1])
    found = {
        track.spotify_id: track
        for track in Track.objects.filter(spotify_id__in=set(ids)).only("pk", "spotify_id")
    }
    if len(found) != len(set(ids)):
        raise ApiError(400, "Payload contains a non-existing ID")
    return [found[spotify_id] for spotify_id in ids]


def _new_items(playlist: Playlist, user: SandboxUser, tracks: list[Track], start: int) -> None:
    now = clock.now()
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            playlist=playlist,
            position=start + offset,
            uri=track.uri,
            track=track,
            added_at=now,
            added_by=user,
        )
        for offset, track in enumerate(tracks)
    )


def add_items(
    playlist: Playlist, user: SandboxUser, tracks: list[Track], position: int | None
) -> str:
    count = PlaylistItem.objects.filter(playlist=playlist).count()
    if position is None:
        position = count
    if not 0 <= position <= count:
        raise ApiError(400, "Index out of bounds")
    if position < count:
        PlaylistItem.objects.filter(playlist=playlist, position__gte=position).update(
            position=F("position") + len(tracks)
        )
    _new_items(playlist, user, tracks, position)
    return playlist.bump()


def replace_items(playlist: Playlist, user: SandboxUser, tracks: list[Track]) -> str:
    PlaylistItem.objects.filter(playlist=playlist).delete()
    _new_items(playlist, user, tracks, 0)
    return playlist.bump()


def reorder_items(playlist: Playlist, range_start, insert_before, range_length) -> str:
    count = PlaylistItem.objects.filter(playlist=playlist).count()
    for name, value in (
        ("range_start", range_start),
        ("insert_before", insert_before),
        ("range_length", range_length),
    ):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiError(400, f"{name} must be an integer")
    if not (0 <= range_start < count and range_length >= 1 and range_start + range_length <= count):
        raise ApiError(400, "Index out of bounds")
    if not 0 <= insert_before <= count:
        raise ApiError(400, "Index out of bounds")
    end = range_start + range_length
    items = PlaylistItem.objects.filter(playlist=playlist)
    if insert_before > end:
        shift, others, others_delta = insert_before - end, (end, insert_before), -range_length
    elif insert_before < range_start:
        shift, others, others_delta = (
            insert_before - range_start,
            (insert_before, range_start),
            range_length,
        )
    else:
        shift = 0  # inserting the block inside itself changes nothing but the snapshot
    if shift:
        items.filter(position__gte=range_start, position__lt=end).update(
            position=F("position") + _PARKING_OFFSET
        )
        items.filter(position__gte=others[0], position__lt=others[1]).update(
            position=F("position") + others_delta
        )
        items.filter(position__gte=_PARKING_OFFSET).update(
            position=F("position") - _PARKING_OFFSET + shift
        )
    return playlist.bump()


def _renumber(playlist: Playlist) -> None:
    table = connection.ops.quote_name(PlaylistItem._meta.db_table)
    # One statement on PostgreSQL and SQLite (3.33+): UPDATE … FROM a ROW_NUMBER() ranking.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET position = ranked.new_position
            FROM (
                SELECT id, ROW_NUMBER() OVER (ORDER BY position, id) - 1 AS new_position
                FROM {table} WHERE playlist_id = %s
            ) AS ranked
            WHERE {table}.id = ranked.id AND {table}.position <> ranked.new_position
            """,  # noqa: S608 - the table name comes from the model, values are parameters
            [playlist.pk],
        )


def validate_removal(entries) -> list[str]:
    """The DELETE body's `items` → URIs. Positions, if sent, are ignored (as at Spotify)."""
    if not isinstance(entries, list) or not entries:
        raise ApiError(400, "No uris provided")
    if len(entries) > MAX_ITEMS_PER_WRITE:
        raise ApiError(400, "You can remove a maximum of 100 tracks per request")
    uris = []
    for entry in entries:
        value = entry.get("uri") if isinstance(entry, dict) else None
        if not isinstance(value, str):
            raise ApiError(400, "No uris provided")
        if not is_local_uri(value):
            parsed = parse_uri(value)
            if parsed is None or parsed[0] not in ("track", "episode"):
                raise ApiError(400, f"JSON body contains an invalid track uri: {value}")
            if not is_base62_id(parsed[1]):
                raise ApiError(400, "Invalid base62 id")
        uris.append(value)
    return uris


def remove_items(playlist: Playlist, uris: list[str]) -> tuple[str, int]:
    """Remove every occurrence of each URI; returns the new snapshot and how many rows went."""
    removed, _ = PlaylistItem.objects.filter(playlist=playlist, uri__in=set(uris)).delete()
    if removed:
        _renumber(playlist)
    return playlist.bump(), removed


def change_details(playlist: Playlist, body: dict) -> str:
    fields = {}
    for name, kind in (("name", str), ("description", str), ("public", bool)):
        if name in body:
            if not isinstance(body[name], kind):
                raise ApiError(400, f"{name} has the wrong type")
            fields[name] = body[name]
    if "collaborative" in body:
        if not isinstance(body["collaborative"], bool):
            raise ApiError(400, "collaborative has the wrong type")
        fields["collaborative"] = body["collaborative"]
    public = fields.get("public", playlist.public)
    collaborative = fields.get("collaborative", playlist.collaborative)
    if collaborative and public:
        raise ApiError(400, "You cannot create a public collaborative playlist")
    if "name" in fields and not fields["name"].strip():
        raise ApiError(400, "Missing required field: name")
    for name, value in fields.items():
        setattr(playlist, name, value)
    playlist.save(update_fields=list(fields) or None)
    return playlist.bump()


def create_playlist(user: SandboxUser, body: dict, *, spotify_id: str) -> Playlist:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Missing required field: name")
    public = body.get("public", True)
    collaborative = body.get("collaborative", False)
    description = body.get("description", "")
    if not isinstance(public, bool) or not isinstance(collaborative, bool):
        raise ApiError(400, "public and collaborative must be booleans")
    if not isinstance(description, str):
        raise ApiError(400, "description must be a string")
    if collaborative and public:
        raise ApiError(400, "You cannot create a public collaborative playlist")
    now = clock.now()
    playlist = Playlist.objects.create(
        spotify_id=spotify_id,
        owner=user,
        name=name,
        description=description,
        public=public,
        collaborative=collaborative,
        created_at=now,
    )
    PlaylistFollow.objects.create(user=user, playlist=playlist, followed_at=now)
    return playlist


def concurrent_edit(playlist: Playlist, action: str) -> tuple[str, dict]:
    """Someone else edits the playlist: append one catalog track, or remove the last item."""
    if action == "add":
        track = (
            Track.objects.exclude(
                pk__in=PlaylistItem.objects.filter(playlist=playlist, track__isnull=False).values(
                    "track_id"
                )
            )
            .order_by("pk")
            .first()
            or Track.objects.order_by("pk").first()
        )
        if track is None:
            return playlist.snapshot_id, {}
        snapshot = add_items(playlist, playlist.owner, [track], None)
        return snapshot, {"uris": [track.uri]}
    last = PlaylistItem.objects.filter(playlist=playlist).order_by("-position").first()
    if last is None:
        return playlist.snapshot_id, {}
    last.delete()
    return playlist.bump(), {"items": [{"uri": last.uri}]}


# --- Library --------------------------------------------------------------------------------------

# The spec's supported types for PUT/DELETE /me/library; the sandbox emulates the music ones.
LIBRARY_WRITE_TYPES = {"track", "album", "episode", "show", "audiobook", "user", "playlist"}
LIBRARY_CONTAINS_TYPES = LIBRARY_WRITE_TYPES | {"artist"}
NOT_EMULATED = {"episode", "show", "audiobook", "user"}
MAX_LIBRARY_URIS = 40
LIBRARY_SCOPES = {
    "track": ("user-library-modify", "user-library-read"),
    "album": ("user-library-modify", "user-library-read"),
    "artist": ("user-follow-modify", "user-follow-read"),
    "playlist": ("playlist-modify-public", "playlist-read-private"),
}


def parse_library_uris(raw: str | None, *, contains: bool, artists_allowed: bool):
    """`uris=` of /me/library → [(type, id)], with the spec's 400s."""
    if not raw:
        raise ApiError(400, "Missing required parameter: uris")
    values = [value.strip() for value in raw.split(",")]
    if len(values) > MAX_LIBRARY_URIS:
        raise ApiError(400, "Too many URIs requested. Maximum is 40")
    supported = LIBRARY_CONTAINS_TYPES if contains else set(LIBRARY_WRITE_TYPES)
    if artists_allowed:
        supported = supported | {"artist"}
    parsed = []
    for value in values:
        pair = parse_uri(value)
        if pair is None:
            raise ApiError(400, f"Invalid URI: {value}")
        kind, spotify_id = pair
        if kind not in supported:
            raise ApiError(400, f"Unsupported URI type: {kind}")
        if kind in NOT_EMULATED:
            raise ApiError(400, f"Unsupported URI type: {kind} (not emulated by the sandbox)")
        if not is_base62_id(spotify_id):
            raise ApiError(400, f"Invalid base62 id: {value}")
        parsed.append((kind, spotify_id))
    return parsed


def library_scopes_needed(parsed, *, write: bool) -> set[str]:
    return {LIBRARY_SCOPES[kind][0 if write else 1] for kind, _ in parsed}


_LIBRARY_MODELS = {
    "track": (Track, SavedTrack, "track", "added_at"),
    "album": (Album, SavedAlbum, "album", "added_at"),
    "artist": (Artist, FollowedArtist, "artist", "followed_at"),
    "playlist": (Playlist, PlaylistFollow, "playlist", "followed_at"),
}


def _by_kind(parsed) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for kind, spotify_id in parsed:
        grouped.setdefault(kind, []).append(spotify_id)
    return grouped


def save_to_library(user: SandboxUser, parsed) -> None:
    now = clock.now()
    for kind, ids in _by_kind(parsed).items():
        catalog, saved, field, stamp = _LIBRARY_MODELS[kind]
        objects = list(catalog.objects.filter(spotify_id__in=set(ids)))
        if len(objects) != len(set(ids)):
            raise ApiError(400, "Payload contains a non-existing ID")
        # Saving what is already saved keeps its original date (ignore_conflicts).
        saved.objects.bulk_create(
            [saved(user=user, **{field: obj, stamp: now}) for obj in objects],
            ignore_conflicts=True,
        )


def remove_from_library(user: SandboxUser, parsed) -> None:
    for kind, ids in _by_kind(parsed).items():
        _, saved, field, _ = _LIBRARY_MODELS[kind]
        saved.objects.filter(user=user, **{f"{field}__spotify_id__in": ids}).delete()


def library_contains(user: SandboxUser, parsed) -> list[bool]:
    present: set[tuple[str, str]] = set()
    for kind, ids in _by_kind(parsed).items():
        _, saved, field, _ = _LIBRARY_MODELS[kind]
        found = saved.objects.filter(user=user, **{f"{field}__spotify_id__in": ids})
        present |= {(kind, value) for value in found.values_list(f"{field}__spotify_id", flat=True)}
    return [(kind, spotify_id) in present for kind, spotify_id in parsed]
