"""What the rules look at, loaded from the mirror and the catalog in a handful of queries.

`load_base(playlist, user)` reads the base's mirrored items once and returns every distinct
track as `TrackFacts` plus the item sequence (duplicates and order kept). No Spotify calls.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from archive import listening as archive_listening
from playlists.models import LikedSong, PlaylistItem, Track, TrackArtist, TrackGenre
from sync.rules import TrackFacts


@dataclass(frozen=True, slots=True)
class Occurrence:
    track_id: str
    position: int
    added_at: datetime | None


@dataclass
class BaseContent:
    facts: dict[str, TrackFacts] = field(default_factory=dict)  # distinct tracks
    sequence: list[Occurrence] = field(default_factory=list)  # every item, in base order
    skipped: int = 0  # local files, unavailable tracks: cannot be added to a playlist

    @property
    def distinct(self) -> int:
        return len(self.facts)


# What load_base takes for a Liked Songs base instead of a playlist.
LIKED_SONGS = "liked songs"


def base_source(base):
    """What to load for a base: its mirrored playlist, or Liked Songs."""
    return LIKED_SONGS if base.is_liked_songs else base.playlist


@dataclass(frozen=True)
class HistoryNeeds:
    """What the rules and orders ask of the listening archive (nothing: not read at all)."""

    windows: frozenset[int] = frozenset()
    skips: bool = False
    dates: bool = False  # first and last plays
    now: datetime | None = None


def load_base(
    playlist,
    user,
    *,
    playlists: set[str] | frozenset = frozenset(),
    history: HistoryNeeds | None = None,
) -> BaseContent:
    """The base's tracks as TrackFacts. `playlists`: spotify ids whose membership the rules ask
    about ("in another playlist"); only those are looked up. `history`: listening figures
    the rules or the order use, from the archive."""
    content = BaseContent()
    if playlist is None:
        return content
    if playlist == LIKED_SONGS:
        # Liked Songs in Spotify's order: the newest like first.
        liked_rows = LikedSong.objects.filter(user=user)
        track_ids = liked_rows.values("track_id")
        rows = (
            (track_id, position, added_at)
            for position, (track_id, added_at) in enumerate(
                liked_rows.order_by("-added_at", "pk").values_list("track_id", "added_at")
            )
        )
    else:
        items = PlaylistItem.objects.filter(playlist=playlist)
        track_ids = items.filter(track__isnull=False).values("track_id")
        rows = items.order_by("position").values_list("track_id", "position", "added_at")
    for track_id, position, added_at in rows:
        if track_id is None:
            content.skipped += 1
            continue
        content.sequence.append(Occurrence(track_id, position, added_at))
    first: dict[str, Occurrence] = {}
    counts: dict[str, int] = defaultdict(int)
    for occurrence in content.sequence:
        first.setdefault(occurrence.track_id, occurrence)
        counts[occurrence.track_id] += 1

    artists: dict[str, list[tuple[str, str]]] = defaultdict(list)
    # Spotify's genres belong to artists (extended mode fills them; development mode never).
    artist_genres: dict[str, set[str]] = defaultdict(set)
    for track_id, artist_id, name, genres_of_artist in (
        TrackArtist.objects.filter(track_id__in=track_ids)
        .order_by("track_id", "position")
        .values_list("track_id", "artist_id", "artist__name", "artist__genres")
    ):
        artists[track_id].append((artist_id, name))
        if genres_of_artist:
            artist_genres[track_id].update(g.lower() for g in genres_of_artist)
    genres: dict[str, set[str]] = defaultdict(set)
    for track_id, name in TrackGenre.objects.filter(track_id__in=track_ids).values_list(
        "track_id", "genre__name"
    ):
        genres[track_id].add(name.lower())
    liked = set(
        LikedSong.objects.filter(user=user, track_id__in=track_ids).values_list(
            "track_id", flat=True
        )
    )
    member_of: dict[str, set[str]] = defaultdict(set)
    if playlists:
        for track_id, spotify_id in PlaylistItem.objects.filter(
            playlist__user=user, playlist__spotify_id__in=list(playlists), track_id__in=track_ids
        ).values_list("track_id", "playlist__spotify_id"):
            member_of[track_id].add(spotify_id)

    listening = (
        archive_listening.of_tracks(
            user.pk,
            track_ids,
            now=history.now or datetime.now(UTC),
            windows=history.windows,
            skips=history.skips,
            dates=history.dates,
        )
        if history is not None
        else {}
    )
    rows = Track.objects.filter(id__in=track_ids).values_list(
        "id",
        "name",
        "album__name",
        "album__release_year",
        "duration_ms",
        "explicit",
        "isrc",
        "popularity",
        "spotify_genres",
        "original_year",
    )
    for (
        track_id,
        name,
        album_name,
        album_year,
        duration_ms,
        explicit,
        isrc,
        popularity,
        spotify_genres,
        original_year,
    ) in rows.iterator(chunk_size=2000):
        occurrence = first[track_id]
        credits = artists.get(track_id, [])
        content.facts[track_id] = TrackFacts(
            id=track_id,
            position=occurrence.position,
            added_at=occurrence.added_at,
            name=name,
            album_name=album_name or "",
            artist_names=tuple(credit[1] for credit in credits),
            artist_ids=tuple(credit[0] for credit in credits),
            genres=frozenset(genres.get(track_id, ())),
            spotify_genres=frozenset(
                {g.lower() for g in spotify_genres or ()} | artist_genres.get(track_id, set())
            ),
            original_year=original_year,
            album_year=album_year,
            duration_ms=duration_ms,
            explicit=explicit,
            isrc=isrc or "",
            popularity=popularity,
            liked=track_id in liked,
            playlists=frozenset(member_of.get(track_id, ())),
            occurrences=counts[track_id],
        )
        heard = listening.get(track_id)
        if heard is not None:
            facts = content.facts[track_id]
            facts.plays, facts.listening_ms, facts.skips = heard.plays, heard.ms_played, heard.skips
            facts.play_windows = heard.windows
            facts.first_played_at, facts.last_played_at = (
                heard.first_played_at,
                heard.last_played_at,
            )
    return content
