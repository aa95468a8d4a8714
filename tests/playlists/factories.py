"""Builders for library tests (and the security suite): mirrored playlists, library tracks,
jobs and imports owned by a given user, written through the same code the refresh uses."""

from __future__ import annotations

import itertools

from core import clock
from playlists.catalog import CatalogWriter
from playlists.imports.parsers import ParsedFile, ParsedRow
from playlists.models import (
    ImportStage,
    LibraryRefresh,
    Playlist,
    PlaylistImport,
)
from playlists.refresh import MirrorWriter, mirror_playlist_items, rebuild_library_index
from spotify import types
from tests.playlists.fake_spotify import track_json


def mirrored_playlist(user, spotify_id: str, numbers, *, name: str | None = None) -> Playlist:
    """A playlist the user owns, mirrored with the given track numbers (fake_spotify's)."""
    now = clock.now()
    playlist = Playlist.objects.create(
        user=user,
        spotify_id=spotify_id,
        name=name or spotify_id,
        owner_id=user.username,
        owner_name=user.username,
        is_owner=True,
        snapshot_id="snap-1",
        listed_at=now,
    )
    items = [
        types.PlaylistItem.from_api(
            {"added_at": "2026-01-01T00:00:00Z", "added_by": {"id": user.username},
             "is_local": False, "item": track_json(n)}
        )
        for n in numbers
    ]  # fmt: skip
    page = types.Page(items=items, offset=0, total=len(items), next_url=None)
    mirror = MirrorWriter(catalog=CatalogWriter(now=now))
    mirror_playlist_items(playlist, lambda offset: iter([page]), mirror)
    mirror.flush()
    rebuild_library_index(user)
    playlist.refresh_from_db()
    return playlist


# --- for tests/security: factory(owner) → URL kwargs of an object the owner owns ----------------


_serial = itertools.count(1)


def owned_playlist(owner) -> dict:
    return {"pk": mirrored_playlist(owner, f"sec-pl-{next(_serial)}", [1]).pk}


def owned_track(owner) -> dict:
    number = 9000 + next(_serial)
    mirrored_playlist(owner, f"sec-pl-{number}", [number])
    return {"track_id": track_json(number)["id"]}


def owned_refresh_job(owner) -> dict:
    return {"kind": "refresh", "pk": LibraryRefresh.objects.create(user=owner).pk}


def owned_import(owner) -> dict:
    job = PlaylistImport.objects.create(
        user=owner, name="Mine", file_name="mine.txt", file_format="text",
        stage=ImportStage.PREVIEW,
    )  # fmt: skip
    return {"pk": job.pk}


def parsed_text(*lines: str) -> ParsedFile:
    return ParsedFile(
        format="text",
        rows=[ParsedRow(line=n, title=t) for n, t in enumerate(lines, start=1)],
    )


def owned_review(owner) -> dict:
    from playlists.models import EnrichmentStatus, TrackEnrichment

    kwargs = owned_track(owner)
    TrackEnrichment.objects.update_or_create(
        track_id=kwargs["track_id"],
        defaults={"status": EnrichmentStatus.REVIEW, "confidence": 0.8, "enriched_at": clock.now()},
    )
    return kwargs


def owned_playlist_change(owner) -> dict:
    from playlists.models import PlaylistChange

    playlist = mirrored_playlist(owner, f"sec-pl-{next(_serial)}", [1, 2])
    change = PlaylistChange.objects.create(
        playlist=playlist, seen_at=clock.now(), items_before=1, items_after=2,
        added=[[1, track_json(2)["uri"], ""]], removed=[],
    )  # fmt: skip
    return {"pk": playlist.pk, "change_pk": change.pk}


# Route name → factory, for tests/security/test_ownership_and_csrf.py.
OWNED_OBJECTS = {
    "library_track": owned_track,
    "library_playlist": owned_playlist,
    "library_playlist_history": owned_playlist,
    "library_playlist_as_of": owned_playlist_change,
    "library_playlist_as_of_export": lambda owner: {**owned_playlist_change(owner), "fmt": "csv"},
    "library_job": owned_refresh_job,
    "library_review_accept": owned_review,
    "library_review_reject": owned_review,
    "library_import_detail": owned_import,
    "library_import_create": owned_import,
    "library_import_retry": owned_import,
}
