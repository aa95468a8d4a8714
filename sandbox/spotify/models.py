"""State of the sandbox Spotify: its users, the tokens it has issued, its catalog (artists,
albums, tracks), each user's library (playlists, liked songs, saved albums, followed artists,
listening history) and the log of writes it has received.

The sandbox is a separate world from Tunekeeper's own tables: it plays Spotify, so it keeps
Spotify's ids and never reads Tunekeeper's rows. All times come from core.clock so tests can
drive token expiry with a FakeClock.
"""

import base64
import hashlib
import secrets
from datetime import timedelta

from django.db import models

from core import clock

ACCESS_TOKEN_SECONDS = 3600


def _base62(length: int = 22) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(length))


class SandboxUser(models.Model):
    spotify_id = models.CharField(max_length=64, unique=True)
    account_id = models.CharField(max_length=64, unique=True, default=_base62)
    display_name = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def uri(self) -> str:
        return f"spotify:user:{self.spotify_id}"


class AuthorizationCode(models.Model):
    code = models.CharField(max_length=128, unique=True)
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=128)
    redirect_uri = models.CharField(max_length=500)
    scope = models.TextField(blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"code for {self.user_id}"


class IssuedToken(models.Model):
    """An access token and the refresh token issued with it (refresh tokens rotate, single use)."""

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="tokens")
    client_id = models.CharField(max_length=128)
    access_token = models.CharField(max_length=128, unique=True)
    refresh_token = models.CharField(max_length=128, unique=True)
    scope = models.TextField(blank=True)
    expires_at = models.DateTimeField()
    refresh_used = models.BooleanField(default=False)
    revoked = models.BooleanField(default=False)
    # The user withdrew consent (or the 6-month lifetime ended): refreshing gives invalid_grant.
    refresh_revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"token for {self.user_id}"

    @classmethod
    def issue(
        cls, user: SandboxUser, client_id: str, scope: str, *, seconds: int | None = None
    ) -> "IssuedToken":
        if seconds is None:
            from sandbox.spotify import faults

            seconds = faults.current().access_token_seconds
        now = clock.now()
        return cls.objects.create(
            user=user,
            client_id=client_id,
            access_token="BQ" + secrets.token_urlsafe(48),
            refresh_token="AQ" + secrets.token_urlsafe(48),
            scope=scope,
            expires_at=now + timedelta(seconds=seconds),
            created_at=now,
        )

    def as_response(self) -> dict:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "scope": self.scope,
            "expires_in": max(int((self.expires_at - clock.now()).total_seconds()), 0),
            "refresh_token": self.refresh_token,
        }

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


# --- Catalog ------------------------------------------------------------------------------------


class Artist(models.Model):
    spotify_id = models.CharField(max_length=22, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    # Deprecated for development-mode apps: served only in extended mode.
    genres = models.JSONField(default=list, blank=True)
    popularity = models.PositiveSmallIntegerField(default=0)
    followers = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name

    @property
    def uri(self) -> str:
        return f"spotify:artist:{self.spotify_id}"


class Album(models.Model):
    class AlbumType(models.TextChoices):
        ALBUM = "album"
        SINGLE = "single"
        COMPILATION = "compilation"

    class Precision(models.TextChoices):
        YEAR = "year"
        MONTH = "month"
        DAY = "day"

    spotify_id = models.CharField(max_length=22, unique=True)
    name = models.CharField(max_length=300, db_index=True)
    album_type = models.CharField(max_length=12, choices=AlbumType.choices)
    # The album's (primary) artist; compilations belong to "Various Artists".
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="albums")
    release_date = models.CharField(max_length=10)  # "1999", "1999-03" or "1999-03-21"
    release_date_precision = models.CharField(max_length=5, choices=Precision.choices)
    total_tracks = models.PositiveSmallIntegerField(default=0)
    upc = models.CharField(max_length=14, blank=True)
    label = models.CharField(max_length=200, blank=True)  # extended mode only
    popularity = models.PositiveSmallIntegerField(default=0)  # extended mode only

    def __str__(self) -> str:
        return self.name

    @property
    def uri(self) -> str:
        return f"spotify:album:{self.spotify_id}"


class Track(models.Model):
    spotify_id = models.CharField(max_length=22, unique=True)
    name = models.CharField(max_length=300, db_index=True)
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="tracks")
    disc_number = models.PositiveSmallIntegerField(default=1)
    track_number = models.PositiveSmallIntegerField(default=1)
    duration_ms = models.PositiveIntegerField()
    explicit = models.BooleanField(default=False)
    isrc = models.CharField(max_length=12, db_index=True)
    popularity = models.PositiveSmallIntegerField(default=0)  # extended mode only
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")

    def __str__(self) -> str:
        return self.name

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.spotify_id}"


class TrackArtist(models.Model):
    """A track's artists in Spotify's order: the primary artist(s) first, then featured ones."""

    class Role(models.TextChoices):
        PRIMARY = "primary"
        FEATURED = "featured"

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="credits")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="credits")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.PRIMARY)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["track", "position"], name="sandbox_credit_position")
        ]

    def __str__(self) -> str:
        return f"{self.artist_id} on {self.track_id}"


# --- Library ------------------------------------------------------------------------------------


def snapshot_for(playlist_id: str, version: int) -> str:
    """Spotify-looking snapshot id (base64, 32 chars) that changes with every version."""
    digest = hashlib.sha256(f"{playlist_id}:{version}".encode()).digest()[:20]
    return base64.b64encode(version.to_bytes(4, "big") + digest).decode()


class Playlist(models.Model):
    spotify_id = models.CharField(max_length=22, unique=True)
    owner = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="owned_playlists")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    public = models.BooleanField(null=True, default=True)
    collaborative = models.BooleanField(default=False)
    collaborators = models.ManyToManyField(
        SandboxUser, related_name="collaborative_playlists", blank=True
    )
    version = models.PositiveIntegerField(default=1)
    snapshot_id = models.CharField(max_length=64)
    followers_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.snapshot_id:
            self.snapshot_id = snapshot_for(self.spotify_id, self.version)
        super().save(*args, **kwargs)

    @property
    def uri(self) -> str:
        return f"spotify:playlist:{self.spotify_id}"

    def can_edit(self, user: SandboxUser) -> bool:
        """Owner, or a collaborator of a collaborative playlist (Spotify's rule for items)."""
        if self.owner_id == user.pk:
            return True
        return self.collaborative and self.collaborators.filter(pk=user.pk).exists()

    def bump(self) -> str:
        """Every write makes a new snapshot; call inside the write's transaction."""
        self.version += 1
        self.snapshot_id = snapshot_for(self.spotify_id, self.version)
        Playlist.objects.filter(pk=self.pk).update(
            version=self.version, snapshot_id=self.snapshot_id
        )
        return self.snapshot_id


class PlaylistFollow(models.Model):
    """A playlist in a user's library (owned, collaborated on, or followed): /me/playlists."""

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="playlist_follows")
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="follows")
    followed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "playlist"], name="sandbox_playlist_follow")
        ]
        indexes = [models.Index(fields=["user", "-followed_at"], name="sandbox_follow_order")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.playlist_id}"


class PlaylistItem(models.Model):
    """One row of a playlist. `position` is dense (0…n-1) and kept so by every write.

    `uri` is stored for every row — the track's URI, the local file's `spotify:local:…` URI, or
    the URI of a track that has since become unavailable (`track` is then NULL) — so that a
    removal by URI finds every occurrence with one indexed query.
    """

    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    uri = models.CharField(max_length=400)
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL)
    is_local = models.BooleanField(default=False)
    local_name = models.CharField(max_length=300, blank=True)
    local_artist = models.CharField(max_length=300, blank=True)
    local_album = models.CharField(max_length=300, blank=True)
    local_duration_ms = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(SandboxUser, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        # No unique constraint on (playlist, position): inserts and reorders shift positions with
        # range UPDATEs that pass through duplicate values mid-statement.
        indexes = [
            models.Index(fields=["playlist", "position"], name="sandbox_item_position"),
            models.Index(fields=["playlist", "uri"], name="sandbox_item_uri"),
        ]

    def __str__(self) -> str:
        return f"{self.playlist_id}[{self.position}] {self.uri}"


class SavedTrack(models.Model):
    """Liked Songs."""

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="saved_tracks")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "track"], name="sandbox_saved_track")
        ]
        indexes = [models.Index(fields=["user", "-added_at"], name="sandbox_saved_track_order")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.track_id}"


class SavedAlbum(models.Model):
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="saved_albums")
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "album"], name="sandbox_saved_album")
        ]
        indexes = [models.Index(fields=["user", "-added_at"], name="sandbox_saved_album_order")]

    def __str__(self) -> str:
        return f"{self.user_id} saved {self.album_id}"


class FollowedArtist(models.Model):
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="followed_artists")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")
    followed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "artist"], name="sandbox_followed_artist")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.artist_id}"


class Play(models.Model):
    """One listen; the newest 50 feed /me/player/recently-played."""

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="plays")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    played_at = models.DateTimeField()
    context_type = models.CharField(max_length=20, blank=True)  # playlist / album / artist
    context_uri = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-played_at"], name="sandbox_play_order")]

    def __str__(self) -> str:
        return f"{self.user_id} played {self.track_id} at {self.played_at}"


# --- What the sandbox received ------------------------------------------------------------------


class Mutation(models.Model):
    """One applied write, in arrival order: what a test asserts Spotify received."""

    at = models.DateTimeField()
    client_id = models.CharField(max_length=128)
    user = models.ForeignKey(SandboxUser, null=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(max_length=8)
    endpoint = models.CharField(max_length=100)  # template: "POST /playlists/{id}/items"
    path = models.CharField(max_length=500)
    target_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    snapshot_before = models.CharField(max_length=64, blank=True)
    snapshot_after = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField()
    # Same method, path, query and body → same fingerprint: a write sent twice shows up here.
    fingerprint = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.target_id}"


class FaultSettings(models.Model):
    """The fault knobs (one row), shared by every process serving the sandbox — a benchmark can
    turn on a storm from its own process. See sandbox/spotify/faults.py."""

    knobs = models.JSONField(default=dict)  # only the knobs changed from the defaults
    script = models.JSONField(default=list)  # canned answers for the next matching requests
    # Changes on reset and on a new seed: processes then restart their windows and randomness.
    generation = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "fault settings"

    def __str__(self) -> str:
        return f"sandbox faults {self.knobs}"
