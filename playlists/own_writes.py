"""Keep the mirror right after Tunekeeper's own writes to a playlist.

Spotify gives every write a new snapshot; the library refresh would only notice it next time.
Until then the library page would call the playlist "up to date" with its old item count. So
whoever writes tells the mirror:

    mirror_removal(user, playlist_id, uris, snapshot)   # every occurrence of uris removed
    mirror_changed(user, playlist_id, snapshot, added=n) # n items inserted (a rollback)

A removal is applied to the mirrored rows when the mirror was in step before the write (the
result is exact, and the mirror stays "up to date" at the new snapshot); otherwise, and for
every other write, the row records Spotify's new snapshot and count, so the page says
"changed since last read" and shows both counts until the next refresh reads it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from core import clock
from playlists.models import Playlist, PlaylistItem


def _locked(user, spotify_id: str) -> Playlist | None:
    return Playlist.objects.select_for_update().filter(user=user, spotify_id=spotify_id).first()


@transaction.atomic
def mirror_removal(user, spotify_id: str, uris: list[str], snapshot: str) -> None:
    playlist = _locked(user, spotify_id)
    if playlist is None or not snapshot:
        return
    if not playlist.up_to_date:
        _mark(playlist, snapshot, total=None)
        return
    track_ids = [uri.rsplit(":", 1)[-1] for uri in uris if uri.startswith("spotify:track:")]
    rows = PlaylistItem.objects.filter(playlist=playlist)
    rows.filter(Q(uri__in=uris) | Q(uri="", track_id__in=track_ids)).delete()
    # Close the gaps one row at a time, lowest first: each row moves down into a free place,
    # so the unique (playlist, position) constraint holds after every statement.
    count = 0
    for index, (pk, position) in enumerate(rows.order_by("position").values_list("pk", "position")):
        if position != index:
            PlaylistItem.objects.filter(pk=pk).update(position=index)
        count += 1
    Playlist.objects.filter(pk=playlist.pk).update(
        snapshot_id=snapshot,
        mirrored_snapshot_id=snapshot,
        item_count=count,
        items_total=count,
        mirrored_at=clock.now(),
    )


@transaction.atomic
def mirror_changed(
    user, spotify_id: str, snapshot: str, *, total: int | None = None, added: int = 0
) -> None:
    """Any other write: `total` items now, or `added` more than the mirror knew of."""
    playlist = _locked(user, spotify_id)
    if playlist is None or not snapshot:
        return
    if total is None and added and playlist.items_total is not None:
        # The count Spotify last told us, plus what we just inserted.
        total = playlist.items_total + added
    _mark(playlist, snapshot, total=total)


def _mark(playlist: Playlist, snapshot: str, *, total: int | None) -> None:
    fields = {"snapshot_id": snapshot}
    if total is not None:
        fields["items_total"] = total
    Playlist.objects.filter(pk=playlist.pk).update(**fields)
