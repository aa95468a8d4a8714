"""What a user's blocklists block, and how entries get in.

`blocked_track_ids(user)` is for the sync engine: the Spotify ids of catalog tracks the user's
blocklists block (after allowlist overrides), in one query. `Rules` is the planner's view of
the same lists, with each entry kept so every action can name its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from core import clock
from enforcement.models import (
    AllowEntry,
    BlockEntry,
    Blocklist,
    EntryKind,
    EntrySource,
)
from playlists.models import Album, Artist, ArtistRole, Track, TrackArtist

OWN_LIST_NAME = "My blocklist"
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
# spotify:artist:ID, https://open.spotify.com/artist/ID?si=…, open.spotify.com/intl-de/track/ID
_REFERENCE = re.compile(
    r"(?:spotify:(?P<kind1>artist|album|track):(?P<id1>[0-9A-Za-z]{22}))"
    r"|(?:open\.spotify\.com/(?:intl-[a-zA-Z-]+/)?(?:embed/)?"
    r"(?P<kind2>artist|album|track)/(?P<id2>[0-9A-Za-z]{22}))"
)
MAX_REFERENCES = 500


def entries_of(user):
    """Entries of the user's enabled blocklists (a deleted list's entries wait in the trash)."""
    return BlockEntry.objects.filter(
        blocklist__user=user, blocklist__enabled=True, blocklist__deleted_at__isnull=True
    )


def blocked_track_ids(user) -> set[str]:
    """Spotify ids of the tracks the user's blocklists block, minus allowlisted tracks.

    A track is blocked when it is blocked itself, its album is, or a blocked artist is one of
    its primary artists — or any of its artists, when that entry says featured counts too.
    One query (a UNION of three index lookups, each minus the allowlist).
    """
    entries = entries_of(user)
    allowed = AllowEntry.objects.filter(user=user, kind=EntryKind.TRACK).values("spotify_id")
    artists_any = entries.filter(kind=EntryKind.ARTIST, include_featured=True).values("spotify_id")
    artists = entries.filter(kind=EntryKind.ARTIST).values("spotify_id")
    by_artist = (
        TrackArtist.objects.filter(
            Q(artist_id__in=artists, role=ArtistRole.PRIMARY) | Q(artist_id__in=artists_any)
        )
        .exclude(track_id__in=allowed)
        .order_by()
        .values_list("track_id", flat=True)
    )
    by_album = (
        Track.objects.filter(album_id__in=entries.filter(kind=EntryKind.ALBUM).values("spotify_id"))
        .exclude(id__in=allowed)
        .order_by()
        .values_list("id", flat=True)
    )
    by_track = (
        entries.filter(kind=EntryKind.TRACK)
        .exclude(spotify_id__in=allowed)
        .order_by()
        .values_list("spotify_id", flat=True)
    )
    return set(by_artist.union(by_album, by_track))


@dataclass
class Rules:
    """The user's blocklists and allowlist, loaded once, for the planner."""

    artists: dict[str, BlockEntry] = field(default_factory=dict)
    featured_artists: dict[str, BlockEntry] = field(default_factory=dict)
    albums: dict[str, BlockEntry] = field(default_factory=dict)
    tracks: dict[str, BlockEntry] = field(default_factory=dict)
    allowed_tracks: set[str] = field(default_factory=set)
    allowed_albums: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, user, *, approved_only: bool = False) -> Rules:
        """`approved_only`: just the entries the person approved for automatic runs."""
        rules = cls()
        entries = entries_of(user)
        if approved_only:
            entries = entries.filter(approved_at__isnull=False)
        # Own list first, then imported ones: the first entry found is the one a reason names.
        for entry in entries.select_related("blocklist").order_by(
            "blocklist__imported", "blocklist__name", "id"
        ):
            if entry.kind == EntryKind.ARTIST:
                rules.artists.setdefault(entry.spotify_id, entry)
                if entry.include_featured:
                    rules.featured_artists.setdefault(entry.spotify_id, entry)
            elif entry.kind == EntryKind.ALBUM:
                rules.albums.setdefault(entry.spotify_id, entry)
            else:
                rules.tracks.setdefault(entry.spotify_id, entry)
        for kind, spotify_id in AllowEntry.objects.filter(user=user).values_list(
            "kind", "spotify_id"
        ):
            (rules.allowed_tracks if kind == EntryKind.TRACK else rules.allowed_albums).add(
                spotify_id
            )
        return rules

    @property
    def empty(self) -> bool:
        return not (self.artists or self.albums or self.tracks)

    def track_reason(
        self, track_id: str, album_id: str | None, credits: list[tuple[str, str]]
    ) -> tuple[BlockEntry, str] | None:
        """Why this track is blocked — (entry, reason) — or None. `credits` is
        [(artist_id, role)] in the track's order."""
        if track_id in self.allowed_tracks:
            return None
        if track_id in self.tracks:
            entry = self.tracks[track_id]
            return entry, f"Track blocked: {entry.label} ({entry.blocklist.name})"
        if album_id and album_id in self.albums:
            entry = self.albums[album_id]
            return entry, f"Album blocked: {entry.label} ({entry.blocklist.name})"
        for artist_id, role in credits:
            if role == ArtistRole.PRIMARY and artist_id in self.artists:
                entry = self.artists[artist_id]
                return entry, f"Artist blocked: {entry.label} ({entry.blocklist.name})"
        for artist_id, role in credits:
            if role != ArtistRole.PRIMARY and artist_id in self.featured_artists:
                entry = self.featured_artists[artist_id]
                return entry, (
                    f"Artist blocked, featured counts: {entry.label} ({entry.blocklist.name})"
                )
        return None

    def album_reason(
        self, album_id: str, primary_artist_id: str | None
    ) -> tuple[BlockEntry, str] | None:
        if album_id in self.allowed_albums:
            return None
        if album_id in self.albums:
            entry = self.albums[album_id]
            return entry, f"Album blocked: {entry.label} ({entry.blocklist.name})"
        if primary_artist_id and primary_artist_id in self.artists:
            entry = self.artists[primary_artist_id]
            return entry, f"Album by a blocked artist: {entry.label} ({entry.blocklist.name})"
        return None

    def artist_reason(self, artist_id: str) -> tuple[BlockEntry, str] | None:
        if artist_id in self.artists:
            entry = self.artists[artist_id]
            return entry, f"Artist blocked: {entry.label} ({entry.blocklist.name})"
        return None


# --- adding entries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    kind: str
    spotify_id: str


def parse_references(text: str) -> tuple[list[Reference], list[str]]:
    """Spotify links and URIs in pasted text → references (deduplicated, in order), plus the
    pieces that were not understood, so the person can fix them."""
    found: list[Reference] = []
    problems: list[str] = []
    for piece in re.split(r"[\s,;]+", text.strip()):
        if not piece:
            continue
        match = _REFERENCE.search(piece)
        if match is None:
            problems.append(piece[:100])
            continue
        kind = match.group("kind1") or match.group("kind2")
        spotify_id = match.group("id1") or match.group("id2")
        reference = Reference(kind, spotify_id)
        if reference not in found:
            found.append(reference)
        if len(found) >= MAX_REFERENCES:
            problems.append(f"only the first {MAX_REFERENCES} links are taken")
            break
    return found, problems


def catalog_name(kind: str, spotify_id: str) -> str:
    """A display name from the catalog, when Tunekeeper has seen the object."""
    if kind == EntryKind.ARTIST:
        artist = Artist.objects.filter(pk=spotify_id).only("name").first()
        return artist.name if artist else ""
    if kind == EntryKind.ALBUM:
        album = Album.objects.filter(pk=spotify_id).only("name").first()
        return album.name if album else ""
    track = Track.objects.filter(pk=spotify_id).only("name", "artist_names").first()
    return str(track) if track else ""


def own_blocklist(user) -> Blocklist:
    blocklist, _ = Blocklist.objects.get_or_create(
        user=user, name=OWN_LIST_NAME, defaults={"imported": False}
    )
    return blocklist


def add_entry(
    user,
    kind: str,
    spotify_id: str,
    *,
    name: str = "",
    source: str = EntrySource.LINK,
    note: str = "",
    include_featured: bool = False,
) -> tuple[BlockEntry, bool]:
    """Add to the user's own list; returns (entry, created). Adding twice changes nothing."""
    if kind not in EntryKind.values or not SPOTIFY_ID.match(spotify_id):
        raise ValueError(f"not a Spotify {kind} id: {spotify_id!r}")
    blocklist = own_blocklist(user)
    try:
        with transaction.atomic():
            entry = BlockEntry.objects.create(
                blocklist=blocklist,
                kind=kind,
                spotify_id=spotify_id,
                name=(name or catalog_name(kind, spotify_id))[:500],
                source=source,
                note=note[:2000],
                include_featured=include_featured and kind == EntryKind.ARTIST,
            )
    except IntegrityError:
        return BlockEntry.objects.get(blocklist=blocklist, kind=kind, spotify_id=spotify_id), False
    bump_version(blocklist)
    return entry, True


def bump_version(blocklist: Blocklist) -> None:
    """The person changed their own list: a newer version for whoever imports it next."""
    if not blocklist.imported:
        Blocklist.objects.filter(pk=blocklist.pk).update(
            version=F("version") + 1, updated_at=clock.now()
        )


def add_allow(user, kind: str, spotify_id: str, *, name: str = "", note: str = "") -> AllowEntry:
    if kind not in (EntryKind.TRACK, EntryKind.ALBUM) or not SPOTIFY_ID.match(spotify_id):
        raise ValueError(f"not a Spotify track or album id: {spotify_id!r}")
    allow, _ = AllowEntry.objects.get_or_create(
        user=user,
        kind=kind,
        spotify_id=spotify_id,
        defaults={"name": (name or catalog_name(kind, spotify_id))[:500], "note": note[:2000]},
    )
    return allow


def search_catalog(query: str, limit: int = 10) -> dict[str, list]:
    """Artists, albums and tracks Tunekeeper already knows, by name: no Spotify call."""
    query = query.strip()
    if len(query) < 2:
        return {"artists": [], "albums": [], "tracks": []}
    return {
        "artists": list(Artist.objects.filter(name__icontains=query).order_by("name")[:limit]),
        "albums": list(Album.objects.filter(name__icontains=query).order_by("name", "id")[:limit]),
        "tracks": list(
            Track.objects.filter(search_text__contains=query.lower()).order_by("name", "id")[:limit]
        ),
    }
