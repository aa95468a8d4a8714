"""The library refresh: mirror a user's playlists, liked songs, saved albums and followed
artists from Spotify into PostgreSQL, spending as few calls as the data allows.

- The playlist list comes first (one call per 50 playlists). A playlist whose `snapshot_id`
  equals the one its mirrored items belong to costs nothing more.
- Only playlists the user owns or collaborates on are read (development mode answers 403 for
  the others); their rows are kept with `items_readable=False`.
- Liked songs, saved albums and followed artists have no snapshot. Their first page doubles as
  a fingerprint: when its total and first 50 entries are what the last refresh saw, the list
  has not changed (new entries arrive at the top, removals change the total) and reading stops
  after that one call. `full=True` reads everything regardless.
- Catalog rows come from the embedded objects only (`CatalogWriter`); there are no per-track
  lookups.
- Nothing is pruned before the list it is pruned from was read to its end. A playlist's items
  are replaced only after its last page arrived; a failure on page 7 of 9 raises out of the
  paging loop and leaves the mirror as it was.

`refresh_library(user, job=None)` is a plain function: the task, the management command and the
benchmarks call it and get a `RefreshResult` back.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime

from allauth.socialaccount.models import SocialAccount
from django.db import connection, transaction

from core import clock
from playlists import bulk, history
from playlists.catalog import CatalogWriter
from playlists.models import (
    FollowedArtist,
    LibraryRefresh,
    LibraryState,
    LibraryTrack,
    LikedSong,
    Playlist,
    PlaylistItem,
    PlaylistReadPage,
    SavedAlbum,
)
from spotify import types
from spotify.client import SpotifyClient
from spotify.errors import Forbidden, NeedsReconnect, NotFound, Paused, SpotifyError
from spotify.models import ApiCall, Purpose

logger = logging.getLogger(__name__)

DELETE_CHUNK = 500


@dataclass
class RefreshResult:
    calls: int = 0
    items_seen: int = 0
    playlists_listed: int = 0
    playlists_read: int = 0
    playlists_skipped: int = 0
    playlists_unreadable: int = 0
    playlists_pruned: int = 0
    liked_songs: int | None = None  # None: the list was unchanged and not re-read
    saved_albums: int | None = None
    followed_artists: int | None = None
    tracks_written: int = 0
    albums_written: int = 0
    artists_written: int = 0
    ingest_seconds: float = 0.0  # time spent writing to the database
    seconds: float = 0.0
    job_id: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Progress:
    """Job progress, written once per page (one UPDATE), or nothing when there is no job."""

    job: LibraryRefresh | None
    items: int = 0
    pending: int = 0

    def saw(self, count: int, step: str | None = None) -> None:
        self.items += count
        if self.job is not None:
            self.job.advance(by=count, step=step)

    def expect(self, more: int) -> None:
        if self.job is not None and more:
            self.job.advance(by=0, total=(self.job.total or 0) + more)


@dataclass
class _Timer:
    seconds: float = 0.0
    _started: list[float] = field(default_factory=list)

    def __enter__(self):
        self._started.append(time.perf_counter())
        return self

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self._started.pop()


def spotify_user_id(user, client: SpotifyClient) -> str:
    """The user's Spotify id (to tell owned playlists apart), from the login profile if stored."""
    account = SocialAccount.objects.filter(user=user, provider="spotify").first()
    data = (account.extra_data or {}) if account else {}
    if data.get("id"):
        return data["id"]
    return client.current_user().id


def _fingerprint(total: int | None, keys: list) -> str:
    text = f"{total}|" + "|".join(str(key) for key in keys)
    return hashlib.sha256(text.encode()).hexdigest()


# --- playlists ----------------------------------------------------------------------------------


def _upsert_playlists(
    user, summaries: list[types.PlaylistSummary], me: str, now
) -> dict[str, Playlist]:
    rows = [
        Playlist(
            user=user,
            spotify_id=summary.id,
            name=summary.name,
            description=summary.description,
            owner_id=summary.owner_id,
            owner_name=summary.owner_name,
            is_owner=summary.owner_id == me,
            collaborative=summary.collaborative,
            public=summary.public,
            image_url=summary.images[0].url if summary.images else "",
            list_position=position,
            snapshot_id=summary.snapshot_id,
            items_total=summary.items_total,
            listed_at=now,
        )
        for position, summary in enumerate(summaries)
    ]
    Playlist.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["user", "spotify_id"],
        update_fields=[
            "name",
            "description",
            "owner_id",
            "owner_name",
            "is_owner",
            "collaborative",
            "public",
            "image_url",
            "list_position",
            "snapshot_id",
            "items_total",
            "listed_at",
        ],
    )
    return {playlist.spotify_id: playlist for playlist in Playlist.objects.filter(user=user)}


def _prune_playlists(user, listed: set[str]) -> int:
    gone = [
        pk
        for pk, spotify_id in Playlist.objects.filter(user=user).values_list("pk", "spotify_id")
        if spotify_id not in listed
    ]
    for start in range(0, len(gone), DELETE_CHUNK):
        Playlist.objects.filter(pk__in=gone[start : start + DELETE_CHUNK]).delete()
    return len(gone)


ITEM_FIELDS = [
    "playlist",
    "position",
    "track",
    "uri",
    "added_at",
    "added_by",
    "is_local",
    "local_name",
]
MIRROR_BATCH_ITEMS = 5000


def _item_row(playlist: Playlist, position: int, item: types.PlaylistItem, track_id) -> tuple:
    track = item.track
    is_local = item.is_local or bool(track and track.is_local)
    local_name = ""
    if track is not None and is_local:
        names = ", ".join(ref.name for ref in track.artists if ref.name)
        local_name = f"{names} – {track.name}" if names else track.name
    return (
        playlist.pk,
        position,
        track_id,
        track.uri if track is not None else "",
        item.added_at,
        (item.added_by or "")[:200],
        is_local,
        local_name,
    )


@dataclass
class MirrorWriter:
    """Completed playlists waiting to be written, several per transaction.

    A playlist gets here only after its last page arrived; `flush()` writes the catalog rows
    its items point at, replaces its items and records the snapshot they belong to, all in one
    transaction. The refresh flushes in `finally`, so playlists completed before a failure
    are kept.
    """

    catalog: CatalogWriter
    batch_items: int = MIRROR_BATCH_ITEMS
    _pending: list[tuple[Playlist, list[tuple]]] = field(default_factory=list)
    _pending_items: int = 0

    def complete(self, playlist: Playlist, rows: list[tuple]) -> None:
        self._pending.append((playlist, rows))
        self._pending_items += len(rows)
        if self._pending_items >= self.batch_items:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending, self._pending_items = self._pending, [], 0
        with transaction.atomic():
            self.catalog.flush()
            ids = [playlist.pk for playlist, _ in pending]
            for playlist, rows in pending:  # what changed since the last read, for its history
                history.record_change(
                    playlist,
                    history.current_uris(playlist),
                    [(row[3], row[5]) for row in rows],
                    at=self.catalog.now,
                )
            PlaylistItem.objects.filter(playlist_id__in=ids).delete()
            PlaylistReadPage.objects.filter(playlist_id__in=ids).delete()  # read to its end
            bulk.write(
                PlaylistItem,
                ITEM_FIELDS,
                [row for _, rows in pending for row in rows],
                batch_size=self.catalog.batch_size,
            )
            for playlist, rows in pending:
                Playlist.objects.filter(pk=playlist.pk).update(
                    mirrored_snapshot_id=playlist.snapshot_id,
                    item_count=len(rows),
                    mirrored_at=self.catalog.now,
                    items_readable=True,
                    read_error="",
                )


# A long read checkpoints its pages every this many pages (1,000 items, the catalog's batch
# size, so the checkpoint adds no catalog flush) and whenever an exception cuts it off: a
# worker killed mid-read loses at most this many pages of work.
CHECKPOINT_PAGES = 20


def _row_json(row: tuple) -> list:
    _, _, track_id, uri, added_at, added_by, is_local, local_name = row
    return [
        track_id,
        uri,
        added_at.isoformat() if added_at else None,
        added_by,
        is_local,
        local_name,
    ]


def _row_from_json(playlist: Playlist, position: int, data: list) -> tuple:
    track_id, uri, added_at, added_by, is_local, local_name = data
    when = datetime.fromisoformat(added_at) if added_at else None
    return (playlist.pk, position, track_id, uri, when, added_by, is_local, local_name)


def resume_point(playlist: Playlist) -> list[tuple]:
    """The item rows already read of `playlist` at its current `snapshot_id` (a checkpoint
    left by a read that was cut off), or [] — after deleting a checkpoint of another snapshot
    or one with a gap: that read restarts from the first page, honestly."""
    pages = list(PlaylistReadPage.objects.filter(playlist=playlist).order_by("offset"))
    rows: list[tuple] = []
    for page in pages:
        if page.snapshot_id != playlist.snapshot_id or page.offset != len(rows):
            logger.info(
                "playlist %s changed since its read was cut off (or the checkpoint has a gap): "
                "reading it again from the start",
                playlist.pk,
            )
            PlaylistReadPage.objects.filter(playlist=playlist).delete()
            return []
        start = len(rows)
        rows.extend(
            _row_from_json(playlist, start + index, data) for index, data in enumerate(page.rows)
        )
    return rows


def _checkpoint(playlist: Playlist, rows: list[tuple], saved: int, catalog: CatalogWriter) -> int:
    """Keep rows[saved:] as read pages of `playlist.snapshot_id`; returns the new saved count.
    The catalog rows they point at are written first, so a resumed read can write them."""
    if len(rows) == saved:
        return saved
    catalog.flush()
    PlaylistReadPage.objects.create(
        playlist=playlist,
        snapshot_id=playlist.snapshot_id,
        offset=saved,
        rows=[_row_json(row) for row in rows[saved:]],
    )
    return len(rows)


def mirror_playlist_items(
    playlist: Playlist,
    read: Callable[[int], Iterator[types.Page[types.PlaylistItem]]],
    mirror: MirrorWriter,
    *,
    progress: _Progress | None = None,
    timer: _Timer | None = None,
) -> int:
    """Read every page of `playlist` (`read(offset)` yields them from `offset`); hand the
    complete item list to `mirror` for replacing the old one.

    A read cut off by an exception (a quota pause, a 5xx storm, a lost worker every
    CHECKPOINT_PAGES pages) leaves its pages as a checkpoint of the snapshot being read; the
    next read of the same snapshot starts after them. Nothing of the playlist's mirrored items
    is touched before the last page arrived. Catalog rows may already have been written: they
    are facts, not the mirror.
    """
    timer = timer or _Timer()
    writer = mirror.catalog
    rows = resume_point(playlist)
    saved = len(rows)
    if saved and progress is not None:
        progress.saw(saved, step=f"Resuming “{playlist.name[:120]}” after {saved} items")
    pages_since = 0
    try:
        for page in read(len(rows)):
            with timer:
                for item in page.items:
                    track_id = writer.add_track(item.track) if not item.is_local else None
                    rows.append(_item_row(playlist, len(rows), item, track_id))
            if progress is not None:
                progress.saw(len(page.items))
            pages_since += 1
            if pages_since >= CHECKPOINT_PAGES and page.next_url:
                with timer:
                    saved = _checkpoint(playlist, rows, saved, writer)
                pages_since = 0
    except Exception:
        # Keep what arrived; whatever cut the read off is for the caller. When that was the
        # database itself, the checkpoint cannot be written either: the original error wins.
        try:
            with timer:
                _checkpoint(playlist, rows, saved, writer)
        except Exception:
            logger.warning(
                "could not checkpoint the read of playlist %s", playlist.pk, exc_info=True
            )
        raise
    with timer:
        mirror.complete(playlist, rows)
    return len(rows)


def mirror_one_playlist(
    playlist: Playlist, read: Callable[[int], Iterator[types.Page[types.PlaylistItem]]]
) -> int:
    """Replace one playlist's mirror with its pages (all of them, or nothing is replaced),
    write their tracks to the catalog and update the user's library index. For callers
    outside a library refresh, such as a sync re-reading its base. Returns the number of
    items."""
    catalog = CatalogWriter(now=clock.now())
    mirror = MirrorWriter(catalog=catalog)
    count = mirror_playlist_items(playlist, read, mirror)
    mirror.flush()
    catalog.flush()
    rebuild_library_index(playlist.user)
    return count


# --- liked songs, saved albums, followed artists ------------------------------------------------


def _apply_user_rows(model, user, key: str, wanted: dict, *, with_added_at: bool = True) -> None:
    """Make the user's rows of `model` equal `wanted` ({key id: added_at}) with the fewest
    writes: insert the new, update changed dates, delete the missing (in chunks)."""
    column = f"{key}_id"
    if with_added_at:
        existing = dict(model.objects.filter(user=user).values_list(column, "added_at"))
    else:
        existing = dict.fromkeys(model.objects.filter(user=user).values_list(column, flat=True))
    new = [
        model(user=user, **{column: ident}, **({"added_at": at} if with_added_at else {}))
        for ident, at in wanted.items()
        if ident not in existing
    ]
    changed = [
        ident
        for ident, at in wanted.items()
        if with_added_at and ident in existing and existing[ident] != at
    ]
    gone = [ident for ident in existing if ident not in wanted]
    with transaction.atomic():
        model.objects.bulk_create(new, batch_size=1000)
        for ident in changed:
            model.objects.filter(user=user, **{column: ident}).update(added_at=wanted[ident])
        for start in range(0, len(gone), DELETE_CHUNK):
            model.objects.filter(
                user=user, **{f"{column}__in": gone[start : start + DELETE_CHUNK]}
            ).delete()


def _read_list(pages, fingerprint_of, stored: str, full: bool, progress: _Progress, step: str):
    """Yield the list's pages; stop after the first when its fingerprint matches `stored`.

    Returns through StopIteration.value the new fingerprint and whether it was unchanged.
    """
    first = next(pages, None)
    if first is None:
        return _fingerprint(0, []), False
    fingerprint = fingerprint_of(first)
    if not full and stored and fingerprint == stored:
        progress.saw(0, step=f"{step}: unchanged")
        return fingerprint, True
    progress.expect(first.total or len(first.items))
    yield first
    progress.saw(len(first.items), step=step)
    for page in pages:
        yield page
        progress.saw(len(page.items), step=step)
    return fingerprint, False


def _drain(generator, handle) -> tuple[str, bool]:
    while True:
        try:
            page = next(generator)
        except StopIteration as stop:
            return stop.value
        handle(page)


@dataclass(frozen=True)
class SavedList:
    """One of the user's saved lists, as the refresh mirrors it: how to page it, what goes
    into the catalog per entry, how its first page is fingerprinted and where the rows and the
    fingerprint are kept."""

    step: str
    pages: Callable[[SpotifyClient], Iterator[types.Page]]
    # Writes one entry's catalog rows; returns (id, added_at) or None to skip the entry.
    add: Callable[[CatalogWriter, object], tuple[str, object] | None]
    fingerprint_keys: Callable[[object], object]
    model: type
    key: str
    fingerprint_field: str
    with_added_at: bool = True


def _added(ident, entry):
    return (ident, entry.added_at) if ident else None


SAVED_LISTS = {
    "liked_songs": SavedList(
        step="Liked songs",
        pages=lambda client: client.liked_songs(),
        add=lambda writer, saved: _added(writer.add_track(saved.track), saved),
        fingerprint_keys=lambda saved: (saved.track.id, saved.added_at),
        model=LikedSong,
        key="track",
        fingerprint_field="liked_fingerprint",
    ),
    "saved_albums": SavedList(
        step="Saved albums",
        pages=lambda client: client.saved_albums(),
        add=lambda writer, saved: _added(writer.add_album(saved.album, full=True), saved),
        fingerprint_keys=lambda saved: (saved.album.id, saved.added_at),
        model=SavedAlbum,
        key="album",
        fingerprint_field="albums_fingerprint",
    ),
    # Followed artists are not ordered by follow date, so the fingerprint can miss one artist
    # swapped for another past the first page; a `full` refresh catches that.
    "followed_artists": SavedList(
        step="Followed artists",
        pages=lambda client: client.followed_artists(),
        add=lambda writer, artist: (writer.add_artist(artist), None),
        fingerprint_keys=lambda artist: artist.id,
        model=FollowedArtist,
        key="artist",
        fingerprint_field="artists_fingerprint",
        with_added_at=False,
    ),
}


def mirror_saved_list(
    spec: SavedList, client, user, state, writer, progress, timer, full
) -> int | None:
    """Mirror one saved list; None when its first page showed it unchanged (not re-read)."""
    wanted: dict[str, object] = {}

    def handle(page):
        with timer:
            for entry in page.items:
                added = spec.add(writer, entry)
                if added is not None:
                    wanted[added[0]] = added[1]

    fingerprint, unchanged = _drain(
        _read_list(
            spec.pages(client),
            lambda page: _fingerprint(page.total, [spec.fingerprint_keys(e) for e in page.items]),
            getattr(state, spec.fingerprint_field),
            full,
            progress,
            spec.step,
        ),
        handle,
    )
    if unchanged:
        return None
    with timer:
        writer.flush()
        _apply_user_rows(spec.model, user, spec.key, wanted, with_added_at=spec.with_added_at)
    setattr(state, spec.fingerprint_field, fingerprint)
    return len(wanted)


def mirror_liked_songs(user, client, *, full: bool = False) -> tuple[str, bool]:
    """Bring the mirror's Liked Songs up to date: one first-page check when nothing changed,
    every page otherwise. Returns (the list's fingerprint, whether it was unchanged); sync's
    Liked Songs bases read it this way."""
    state, _ = LibraryState.objects.get_or_create(user=user)
    writer = CatalogWriter(now=clock.now())
    changed = mirror_saved_list(
        SAVED_LISTS["liked_songs"], client, user, state, writer, _Progress(None), _Timer(), full
    )
    if changed is not None:
        LibraryState.objects.filter(pk=state.pk).update(liked_fingerprint=state.liked_fingerprint)
        rebuild_library_index(user)
    return state.liked_fingerprint, changed is None


# --- extended mode: Spotify's own artist genres -------------------------------------------------


def fill_spotify_genres(user, client, writer: CatalogWriter, progress: _Progress) -> int:
    """Extended-mode apps still get artist genres: fetch them 50 artists per call for the
    user's artists that have none yet, then give each track the union of its artists'
    genres. Returns the number of artists fetched (development mode: 0, no calls)."""
    from playlists.models import Artist, Track, TrackArtist

    missing = list(
        Artist.objects.filter(genres__isnull=True, track_links__track__library_rows__user=user)
        .values_list("pk", flat=True)
        .distinct()
    )
    if missing:
        progress.saw(0, step=f"Genres of {len(missing)} artists (extended mode)")
        for artist in client.several_artists(missing):
            if artist is not None:
                writer.add_artist(artist)
        writer.flush()
    track_ids = list(
        Track.objects.filter(spotify_genres__isnull=True, library_rows__user=user).values_list(
            "pk", flat=True
        )
    )
    for start in range(0, len(track_ids), 1000):
        chunk = track_ids[start : start + 1000]
        genres: dict[str, list[str]] = {track_id: [] for track_id in chunk}
        for track_id, artist_genres in TrackArtist.objects.filter(track_id__in=chunk).values_list(
            "track_id", "artist__genres"
        ):
            for genre in artist_genres or ():
                if genre not in genres[track_id]:
                    genres[track_id].append(genre)
        Track.objects.bulk_update(
            [Track(pk=track_id, spotify_genres=names) for track_id, names in genres.items()],
            ["spotify_genres"],
            batch_size=500,
        )
    return len(missing)


# --- the per-user track index -------------------------------------------------------------------


def rebuild_library_index(user) -> int:
    """Rebuild the user's LibraryTrack rows from the mirror in two statements."""
    item = PlaylistItem._meta.db_table
    playlist = Playlist._meta.db_table
    liked = LikedSong._meta.db_table
    index = LibraryTrack._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {index} WHERE user_id = %s", [user.pk])  # noqa: S608
        cursor.execute(
            f"""
            INSERT INTO {index} (user_id, track_id, liked, playlist_count, first_added_at)
            SELECT %s, u.track_id, MAX(u.liked) = 1, COUNT(DISTINCT u.playlist_id),
                   MIN(u.added_at)
            FROM (
                SELECT i.track_id AS track_id, 0 AS liked, i.playlist_id AS playlist_id,
                       i.added_at AS added_at
                FROM {item} i JOIN {playlist} p ON p.id = i.playlist_id
                WHERE p.user_id = %s AND i.track_id IS NOT NULL
                UNION ALL
                SELECT l.track_id, 1, NULL, l.added_at FROM {liked} l WHERE l.user_id = %s
            ) u
            GROUP BY u.track_id
            """,  # noqa: S608 — table names come from model metadata, values are parameters
            [user.pk, user.pk, user.pk],
        )
        return cursor.rowcount


# --- the whole refresh --------------------------------------------------------------------------


def refresh_library(
    user, job: LibraryRefresh | None = None, *, full: bool = False, client=None
) -> RefreshResult:
    """Mirror the user's library; returns counts. Spotify errors propagate (a `Paused` one is
    for the caller to turn into a job pause); what was mirrored before stays mirrored."""
    started = time.perf_counter()
    job_id = job.ledger_job_id if job else f"library-refresh-{uuid.uuid4().hex[:12]}"
    client = client or SpotifyClient(user, purpose=Purpose.LIBRARY, job_id=job_id)
    now = clock.now()
    writer = CatalogWriter(now=now)
    mirror = MirrorWriter(catalog=writer)
    progress = _Progress(job)
    timer = _Timer()
    result = RefreshResult(job_id=job_id)
    state, _ = LibraryState.objects.get_or_create(user=user)
    try:
        me = spotify_user_id(user, client)
        if progress.job is not None:
            progress.job.advance(by=0, step="Reading your playlists")
        listed: dict[str, types.PlaylistSummary] = {}
        for page in client.my_playlists():
            for summary in page.items:
                # A playlist listed twice (it moved while we paged) is one row.
                listed.setdefault(summary.id, summary)
        summaries = list(listed.values())
        result.playlists_listed = len(summaries)
        with timer:
            playlists = _upsert_playlists(user, summaries, me, now)
            # The list was read to its end: playlists no longer in it are gone.
            result.playlists_pruned = _prune_playlists(user, {s.id for s in summaries})

        to_read = []
        for summary in summaries:
            playlist = playlists[summary.id]
            if not playlist.readable_by_owner:
                result.playlists_unreadable += 1
            elif not full and playlist.up_to_date:
                result.playlists_skipped += 1
            else:
                to_read.append(playlist)
        progress.expect(sum(p.items_total or 0 for p in to_read))

        for number, playlist in enumerate(to_read, start=1):
            if progress.job is not None:
                progress.job.advance(
                    by=0, step=f"Playlist {number} of {len(to_read)}: {playlist.name[:120]}"
                )
            try:
                mirror_playlist_items(
                    playlist,
                    lambda offset, playlist=playlist: client.playlist_items(
                        playlist.spotify_id, offset=offset
                    ),
                    mirror,
                    progress=progress,
                    timer=timer,
                )
            except (Forbidden, NotFound) as error:
                # This playlist only: the rest of the library is still worth mirroring.
                Playlist.objects.filter(pk=playlist.pk).update(
                    items_readable=False, read_error=str(error)[:200]
                )
                result.playlists_unreadable += 1
                continue
            result.playlists_read += 1

        for name, spec in SAVED_LISTS.items():
            count = mirror_saved_list(spec, client, user, state, writer, progress, timer, full)
            setattr(result, name, count)
        if client.extended:
            with timer:
                fill_spotify_genres(user, client, writer, progress)
        state.refreshed_at = clock.now()
    finally:
        # Whatever was mirrored (completely) so far is worth indexing and counting; when
        # nothing was read or removed the index is already right.
        with timer:
            mirror.flush()
            writer.flush()
            if (
                result.playlists_read
                or result.playlists_pruned
                or result.liked_songs is not None
                or not LibraryTrack.objects.filter(user=user).exists()
            ):
                rebuild_library_index(user)
        state.save()
        result.items_seen = progress.items
        result.tracks_written = writer.written_tracks
        result.albums_written = writer.written_albums
        result.artists_written = writer.written_artists
        result.ingest_seconds = round(timer.seconds, 3)
        result.calls = ApiCall.objects.filter(job_id=job_id[:64]).count()
        result.seconds = round(time.perf_counter() - started, 3)
        if job is not None:
            job._update(
                calls=result.calls,
                items_seen=result.items_seen,
                playlists_read=result.playlists_read,
                playlists_skipped=result.playlists_skipped,
                ingest_seconds=result.ingest_seconds,
            )
    return result


# --- the job around it --------------------------------------------------------------------------


def start_refresh(user, *, full: bool = False) -> tuple[LibraryRefresh, bool]:
    """Queue a refresh for the user, or return the one already queued/running/paused.

    Returns (job, created). The task is sent after the transaction commits.
    """
    return LibraryRefresh.start_or_get_active(user=user, full=full)


def run_refresh_job(job: LibraryRefresh) -> RefreshResult | None:
    """Run a claimed job to its end, a pause, or a failure; never raises Spotify errors."""
    job.start(step="Starting")
    try:
        result = refresh_library(job.user, job, full=job.full)
    except Paused as pause:
        job.pause(pause.until, pause.reason)
        return None
    except NeedsReconnect:
        job.fail("Spotify needs reconnecting: use the Reconnect button, then refresh again.")
        return None
    except SpotifyError as error:
        job.fail(f"Spotify answered with an error: {error}")
        return None
    job.complete(
        step=(
            f"{result.items_seen} items read with {result.calls} calls; "
            f"{result.playlists_skipped} unchanged playlists skipped"
        )
    )
    return result
