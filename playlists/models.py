"""The library mirror and the catalog.

Catalog rows (Artist, Album, Track and their links) are shared facts about Spotify's catalog,
keyed by Spotify's own ids, so an embedded object seen in any user's playlist fills them and an
item row points at them without a lookup. Mirror rows (Playlist, PlaylistItem, LikedSong,
SavedAlbum, FollowedArtist) belong to one user. `LibraryTrack` is a per-user index of every
track in the user's playlists and liked songs, rebuilt after each refresh, so the track table
filters one user's rows instead of joining through every playlist.

MusicBrainz rows (MB*) are a cache of what MusicBrainz said, with the time it said it; the
genres and the original year on a track are derived from them (`playlists.enrichment`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from ops.jobs import Job, one_active_per
from spotify import links

SPOTIFY_ID_LENGTH = 32  # Spotify ids are 22 base62 characters; a little room for odd ones


# --- catalog ------------------------------------------------------------------------------------


class Artist(models.Model):
    id = models.CharField(primary_key=True, max_length=SPOTIFY_ID_LENGTH)
    name = models.TextField()
    image_url = models.TextField(blank=True)
    genres = models.JSONField(null=True, blank=True)  # Spotify's own: extended mode only
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)  # extended mode only
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name

    @property
    def uri(self) -> str:
        return f"spotify:artist:{self.id}"


class Album(models.Model):
    id = models.CharField(primary_key=True, max_length=SPOTIFY_ID_LENGTH)
    name = models.TextField()
    album_type = models.CharField(max_length=16, blank=True)  # album / single / compilation
    release_date = models.CharField(max_length=10, blank=True)  # "1999", "1999-03", "1999-03-21"
    release_date_precision = models.CharField(max_length=5, blank=True)  # year / month / day
    release_year = models.PositiveSmallIntegerField(null=True, blank=True)
    total_tracks = models.PositiveIntegerField(null=True, blank=True)
    image_url = models.TextField(blank=True)
    images = models.JSONField(default=list, blank=True)
    upc = models.CharField(max_length=32, blank=True)
    label = models.TextField(null=True, blank=True)  # noqa: DJ001 - None: not sent (dev mode)
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)  # extended mode only
    artists = models.ManyToManyField(Artist, through="AlbumArtist", related_name="albums")
    fetched_at = models.DateTimeField()
    # MusicBrainz: the release group whose genres stand for this album (see enrichment).
    mb_release_group = models.ForeignKey(
        "MBReleaseGroup", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def uri(self) -> str:
        return f"spotify:album:{self.id}"


class AlbumArtist(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="artist_links")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="album_links")
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["album", "position"], name="album_artist_position")
        ]
        ordering = ["album", "position"]

    def __str__(self) -> str:
        return f"{self.album_id} #{self.position}: {self.artist_id}"


class YearSource(models.TextChoices):
    MUSICBRAINZ_RECORDING = "mb-recording", "MusicBrainz recording"
    MUSICBRAINZ_RELEASE_GROUP = "mb-release-group", "MusicBrainz release group"
    SPOTIFY = "spotify", "Spotify album"


class Track(models.Model):
    id = models.CharField(primary_key=True, max_length=SPOTIFY_ID_LENGTH)
    name = models.TextField()
    album = models.ForeignKey(
        Album, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks"
    )
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")
    duration_ms = models.PositiveIntegerField(default=0)
    explicit = models.BooleanField(default=False)
    isrc = models.CharField(max_length=12, blank=True)  # upper case, no hyphens
    disc_number = models.PositiveSmallIntegerField(null=True, blank=True)
    track_number = models.PositiveSmallIntegerField(null=True, blank=True)
    is_local = models.BooleanField(default=False)
    is_playable = models.BooleanField(null=True, blank=True)
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)  # extended mode only
    spotify_genres = models.JSONField(null=True, blank=True)  # extended mode only (artists')
    # Denormalised at ingest so the track table needs no join to show or search artists.
    artist_names = models.TextField(blank=True)
    search_text = models.TextField(blank=True)  # lower-cased "title artists album"
    fetched_at = models.DateTimeField()
    # From MusicBrainz (playlists.enrichment); never written by the Spotify refresh.
    original_year = models.PositiveSmallIntegerField(null=True, blank=True)
    original_year_source = models.CharField(max_length=16, choices=YearSource.choices, blank=True)

    class Meta:
        # Only ISRC (import and enrichment match on it). The track table filters one user's
        # LibraryTrack rows and joins here by primary key; more indexes only slow ingestion.
        indexes = [models.Index(fields=["isrc"], name="track_isrc")]

    def __str__(self) -> str:
        return f"{self.artist_names} – {self.name}"

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"

    @property
    def year(self) -> int | None:
        """The original year when MusicBrainz knows it, else the Spotify album's year."""
        if self.original_year:
            return self.original_year
        return self.album.release_year if self.album_id and self.album else None


class ArtistRole(models.TextChoices):
    PRIMARY = "primary"
    FEATURED = "featured"


class TrackArtist(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="artist_links")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="track_links")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=8, choices=ArtistRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["track", "position"], name="track_artist_position")
        ]
        ordering = ["track", "position"]

    def __str__(self) -> str:
        return f"{self.track_id} #{self.position}: {self.artist_id} ({self.role})"


class Genre(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GenreSource(models.TextChoices):
    RECORDING = "recording"
    RELEASE_GROUP = "release-group"
    ARTIST = "artist"


class TrackGenre(models.Model):
    """A normalised genre of a track, derived from MusicBrainz tags (CC BY-NC-SA 3.0)."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="genre_links")
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE, related_name="track_links")
    weight = models.PositiveIntegerField(default=1)  # summed MusicBrainz votes
    source = models.CharField(max_length=16, choices=GenreSource.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track", "genre"], name="track_genre")]
        indexes = [models.Index(fields=["genre", "track"], name="genre_track")]
        ordering = ["track", "-weight"]

    def __str__(self) -> str:
        return f"{self.track_id}: {self.genre_id}"


# --- the per-user mirror ------------------------------------------------------------------------


class Playlist(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlists"
    )
    spotify_id = models.CharField(max_length=SPOTIFY_ID_LENGTH)
    name = models.TextField()
    description = models.TextField(blank=True)
    owner_id = models.CharField(max_length=200, blank=True)
    owner_name = models.TextField(blank=True)
    is_owner = models.BooleanField(default=False)  # the user owns it (can read and write items)
    collaborative = models.BooleanField(default=False)
    public = models.BooleanField(null=True, blank=True)
    image_url = models.TextField(blank=True)
    list_position = models.PositiveIntegerField(default=0)  # order in the user's own list
    # What Spotify's list says now, and what the mirrored items belong to.
    snapshot_id = models.CharField(max_length=200, blank=True)
    mirrored_snapshot_id = models.CharField(max_length=200, blank=True)
    items_total = models.PositiveIntegerField(null=True, blank=True)  # from Spotify's list
    item_count = models.PositiveIntegerField(default=0)  # mirrored rows
    items_readable = models.BooleanField(default=True)
    read_error = models.CharField(max_length=200, blank=True)
    listed_at = models.DateTimeField()  # last seen in Spotify's list
    mirrored_at = models.DateTimeField(null=True, blank=True)  # items last read

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "spotify_id"], name="playlist_per_user")
        ]
        ordering = ["user", "list_position"]

    def __str__(self) -> str:
        return self.name

    @property
    def uri(self) -> str:
        return f"spotify:playlist:{self.spotify_id}"

    @property
    def readable_by_owner(self) -> bool:
        """Development mode serves items only to the owner and collaborators."""
        return self.is_owner or self.collaborative

    @property
    def up_to_date(self) -> bool:
        return bool(self.mirrored_snapshot_id) and self.mirrored_snapshot_id == self.snapshot_id


class PlaylistItem(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    # None for local files, unavailable tracks and episodes: the row is kept, never dropped.
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="playlist_items"
    )
    uri = models.TextField(blank=True)
    added_at = models.DateTimeField(null=True, blank=True)
    added_by = models.CharField(max_length=200, blank=True)
    is_local = models.BooleanField(default=False)
    local_name = models.TextField(blank=True)  # local files: "artist - title"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["playlist", "position"], name="item_position")
        ]
        indexes = [models.Index(fields=["track"], name="item_track")]
        ordering = ["playlist", "position"]

    def __str__(self) -> str:
        return f"{self.playlist_id} #{self.position}"


class PlaylistReadPage(models.Model):
    """Pages of a playlist read that has not reached its last page yet: the checkpoint of a
    long read (a sync's base, a library refresh) that a quota pause or a dead worker cut off.

    Each row holds the items of one or more consecutive pages, from `offset`, read while the
    playlist had `snapshot_id`. A later read of the same snapshot continues after the last
    row; a read of another snapshot deletes them and starts again. The rows go when the read
    completes (in the transaction that replaces the playlist's mirrored items).
    """

    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="read_pages")
    snapshot_id = models.CharField(max_length=200)
    offset = models.PositiveIntegerField()
    # [[track_id, uri, added_at ISO or null, added_by, is_local, local_name], ...]
    rows = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["playlist", "offset"], name="read_page_offset")
        ]
        ordering = ["playlist", "offset"]

    def __str__(self) -> str:
        return f"{self.playlist_id} @{self.offset} ({len(self.rows)} items)"


class PlaylistChange(models.Model):
    """What a library refresh (or a sync's re-read) saw change in a playlist since the mirror
    last held it: the items added and removed, with their positions, so any earlier state can
    be rebuilt from the current one (playlists.history). When the items that stayed also moved,
    the whole earlier list is kept instead (`before`)."""

    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="changes")
    seen_at = models.DateTimeField()
    snapshot_id = models.CharField(max_length=200, blank=True)
    items_before = models.PositiveIntegerField()
    items_after = models.PositiveIntegerField()
    added = models.JSONField(default=list)  # [[position, uri, added_by], ...] in the new list
    removed = models.JSONField(default=list)  # [[position, uri], ...] in the old list
    before = models.JSONField(null=True, blank=True)  # the old uris, when the order changed

    class Meta:
        indexes = [models.Index(fields=["playlist", "-seen_at"], name="playlist_change_recent")]
        ordering = ["playlist", "-seen_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.playlist_id} at {self.seen_at}: +{len(self.added)} -{len(self.removed)}"


class LikedSong(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="liked_songs"
    )
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="liked_per_user")]
        ordering = ["user", "-added_at"]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.track_id}"


class SavedAlbum(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_albums"
    )
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "album"], name="saved_per_user")]
        ordering = ["user", "-added_at"]

    def __str__(self) -> str:
        return f"{self.user_id} saved {self.album_id}"


class FollowedArtist(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_artists"
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "artist"], name="followed_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.artist_id}"


class LibraryTrack(models.Model):
    """Every track in one user's playlists or liked songs, once: the track table's index."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="library_rows")
    liked = models.BooleanField(default=False)
    playlist_count = models.PositiveIntegerField(default=0)
    first_added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "track"], name="library_track_per_user")
        ]
        # The track table's default order, so its first pages need no sort of 50,000 rows.
        indexes = [models.Index(fields=["user", "-first_added_at", "track"], name="library_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.track_id}"


class LibraryState(models.Model):
    """Per user: fingerprints of the library lists, so an unchanged list costs one call."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_state"
    )
    liked_fingerprint = models.CharField(max_length=64, blank=True)
    albums_fingerprint = models.CharField(max_length=64, blank=True)
    artists_fingerprint = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"library state of {self.user_id}"


# --- jobs ---------------------------------------------------------------------------------------


class LibraryRefresh(Job):
    kind = "Library refresh"
    resume_task = "playlists.tasks.refresh_library_task"
    heartbeat_interval = timedelta(seconds=30)  # a page of a playlist

    full = models.BooleanField(default=False)  # read every list even when it looks unchanged
    calls = models.PositiveIntegerField(default=0)
    items_seen = models.PositiveIntegerField(default=0)
    playlists_read = models.PositiveIntegerField(default=0)
    playlists_skipped = models.PositiveIntegerField(default=0)
    ingest_seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [one_active_per("user", "one_active_refresh_per_user")]
        ordering = ["-created_at"]
        verbose_name_plural = "library refreshes"

    def __str__(self) -> str:
        return f"library refresh {self.pk} for {self.user_id}"

    @property
    def ledger_job_id(self) -> str:
        return f"library-refresh-{self.pk}"


class Enrichment(Job):
    kind = "MusicBrainz enrichment"
    resume_task = "playlists.tasks.enrich_task"
    heartbeat_interval = timedelta(seconds=30)  # a MusicBrainz lookup, paced at 1/s

    requests = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    review = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [one_active_per("user", "one_active_enrichment_per_user")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"enrichment {self.pk} for {self.user_id}"

    @property
    def ledger_job_id(self) -> str:
        return f"enrichment-{self.pk}"


class ImportStage(models.TextChoices):
    MATCHING = "matching"
    PREVIEW = "preview"  # matched; waiting for the person to confirm
    CREATING = "creating"
    CREATED = "created"


class PlaylistImport(Job):
    kind = "Playlist import"
    resume_task = "playlists.tasks.import_task"
    heartbeat_interval = timedelta(seconds=30)  # a search or a write per row or chunk

    name = models.CharField(max_length=100)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=16)  # exportify / m3u / text
    stage = models.CharField(max_length=16, choices=ImportStage.choices)
    spotify_playlist_id = models.CharField(max_length=SPOTIFY_ID_LENGTH, blank=True)
    added = models.PositiveIntegerField(default=0)  # checkpoint: URIs confirmed on Spotify
    # Matching's Spotify calls at most, said before it starts (spotify.shares: fair shares).
    estimated_calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    @property
    def spotify_url(self) -> str:
        return links.open_url("playlist", self.spotify_playlist_id)

    def __str__(self) -> str:
        return f"import {self.name!r} for {self.user_id}"

    @property
    def ledger_job_id(self) -> str:
        return f"import-{self.pk}"


class MatchStatus(models.TextChoices):
    PENDING = "pending"
    MATCHED = "matched"
    REVIEW = "review"
    REJECTED = "rejected"
    UNMATCHED = "unmatched"


class ImportRow(models.Model):
    """One parsed line of an imported file and what it matched."""

    job = models.ForeignKey(PlaylistImport, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField()
    line = models.PositiveIntegerField()  # in the file, for the person's reference
    title = models.TextField(blank=True)
    artists = models.TextField(blank=True)  # the primary artist first, joined with ", "
    album = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    isrc = models.CharField(max_length=12, blank=True)
    spotify_id = models.CharField(max_length=SPOTIFY_ID_LENGTH, blank=True)
    needs_review = models.BooleanField(default=False)  # the artist/title split was a guess
    status = models.CharField(
        max_length=16, choices=MatchStatus.choices, default=MatchStatus.PENDING
    )
    method = models.CharField(max_length=16, blank=True)  # uri / isrc / catalog / search
    confidence = models.FloatField(null=True, blank=True)
    matched_uri = models.CharField(max_length=64, blank=True)
    matched_label = models.TextField(blank=True)  # "Artist - Title" of the match
    include = models.BooleanField(default=False)  # the person's choice in the preview
    landed = models.BooleanField(default=False)  # on the Spotify playlist (checkpoint per row)
    problem = models.TextField(blank=True)  # why Spotify did not take it, for the person

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="import_row_position")
        ]
        ordering = ["job", "position"]

    def __str__(self) -> str:
        return f"{self.artists} – {self.title}"


# --- MusicBrainz cache --------------------------------------------------------------------------


class MBGenre(models.Model):
    """MusicBrainz's official genre list (`/genre/all?fmt=txt`), refreshed weekly."""

    name = models.CharField(max_length=100, primary_key=True)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class MBArtist(models.Model):
    mbid = models.CharField(max_length=36, primary_key=True)
    name = models.TextField()
    tags = models.JSONField(default=list)  # [[name, count], ...]
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class MBReleaseGroup(models.Model):
    mbid = models.CharField(max_length=36, primary_key=True)
    title = models.TextField()
    primary_type = models.CharField(max_length=32, blank=True)
    secondary_types = models.JSONField(default=list)
    first_release_date = models.CharField(max_length=10, blank=True)
    tags = models.JSONField(default=list)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.title


class MBRecording(models.Model):
    mbid = models.CharField(max_length=36, primary_key=True)
    title = models.TextField()
    length_ms = models.PositiveIntegerField(null=True, blank=True)
    first_release_date = models.CharField(max_length=10, blank=True)
    artist_credit = models.TextField(blank=True)  # "A feat. B", as credited
    artist_mbids = models.JSONField(default=list)
    isrcs = models.JSONField(default=list)
    tags = models.JSONField(default=list)
    # Official releases with their release groups, earliest first: [[group mbid, primary
    # type, [secondary types], status, date], …]; None until a lookup or search gave them.
    releases = models.JSONField(null=True, blank=True)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.title


class IsrcStatus(models.TextChoices):
    FOUND = "found"
    NOT_FOUND = "not_found"


class MBIsrc(models.Model):
    isrc = models.CharField(max_length=12, primary_key=True)
    status = models.CharField(max_length=16, choices=IsrcStatus.choices)
    recording_mbids = models.JSONField(default=list)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.isrc}: {self.status}"


class EnrichmentStatus(models.TextChoices):
    MATCHED = "matched"
    REVIEW = "review"  # a search hit between the gates: a person accepts or rejects it
    REJECTED = "rejected"
    NO_MATCH = "no_match"


class EnrichmentMethod(models.TextChoices):
    ISRC = "isrc"
    SEARCH = "search"
    REVIEWED = "reviewed"  # a person accepted a search hit


class TrackEnrichment(models.Model):
    """What MusicBrainz enrichment concluded for a track, and when (the cache's age)."""

    track = models.OneToOneField(
        Track, primary_key=True, on_delete=models.CASCADE, related_name="enrichment"
    )
    status = models.CharField(max_length=16, choices=EnrichmentStatus.choices)
    method = models.CharField(max_length=16, choices=EnrichmentMethod.choices, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    recording = models.ForeignKey(
        MBRecording, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    candidate = models.JSONField(null=True, blank=True)  # the hit shown for review
    enriched_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status"], name="enrichment_status")]

    def __str__(self) -> str:
        return f"{self.track_id}: {self.status}"
