"""The dry run: read the library mirror, never Spotify, and write down what enforcement would do.

    batch = plan(user)          # an ActionBatch with dry_run=True and its ActionItems

Each item records its reason (the entry that matched) and its before-state, so the run can be
audited and rolled back: a liked song's or saved album's added_at; a playlist item's every
position with its added_at and added_by, and the snapshot the mirror was read at.

Playlists: only those the user owns or collaborates on (development mode allows no others). In a
collaborative playlist only items the user added are removed — and since Spotify removes every
occurrence of a URI at once, a URI that someone else also added is left alone (a skipped item
says why).
"""

from __future__ import annotations

import math
from collections import defaultdict

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from enforcement.blocklist import Rules
from enforcement.keep import kept_items, unapproved_entries
from enforcement.models import (
    LIBRARY_KINDS,
    ActionBatch,
    ActionItem,
    BatchOrigin,
    ItemKind,
    ItemStatus,
    KeptBecause,
)
from playlists.models import (
    AlbumArtist,
    FollowedArtist,
    LibraryState,
    LikedSong,
    Playlist,
    PlaylistItem,
    SavedAlbum,
    Track,
    TrackArtist,
)
from spotify import pacing, state
from spotify.client import LIBRARY_WRITE_LIMIT, PLAYLIST_WRITE_LIMIT

FOLLOWING_WRITE_LIMIT = 50  # DELETE /me/following takes 50 ids (extended mode)
ITEM_BATCH = 2000


def spotify_user_id(user) -> str:
    """The user's Spotify id from what Tunekeeper already has (no call): the login profile, or
    the owner id of a playlist the mirror marks as theirs. "" when neither is known."""
    account = SocialAccount.objects.filter(user=user, provider="spotify").first()
    if account and (account.extra_data or {}).get("id"):
        return account.extra_data["id"]
    owned = Playlist.objects.filter(user=user, is_owner=True).exclude(owner_id="").first()
    return owned.owner_id if owned else ""


def _track_facts(track_ids_query) -> tuple[dict, dict]:
    """({track_id: (album_id, label)}, {track_id: [(artist_id, role)]}) for the tracks the
    subquery names: two queries however many tracks."""
    facts = {
        track_id: (album_id, f"{artists} – {name}" if artists else name)
        for track_id, album_id, name, artists in Track.objects.filter(
            id__in=track_ids_query
        ).values_list("id", "album_id", "name", "artist_names")
    }
    credits: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for track_id, artist_id, role in (
        TrackArtist.objects.filter(track_id__in=track_ids_query)
        .order_by("track_id", "position")
        .values_list("track_id", "artist_id", "role")
    ):
        credits[track_id].append((artist_id, role))
    return facts, credits


def _reason_for_track(rules: Rules, track_id: str, facts: dict, credits: dict):
    album_id, _ = facts.get(track_id, (None, ""))
    return rules.track_reason(track_id, album_id, credits.get(track_id, []))


def _liked_items(batch: ActionBatch, user, rules: Rules) -> list[ActionItem]:
    liked = LikedSong.objects.filter(user=user)
    facts, credits = _track_facts(liked.values("track_id"))
    items = []
    for track_id, added_at in liked.order_by("-added_at", "track_id").values_list(
        "track_id", "added_at"
    ):
        found = _reason_for_track(rules, track_id, facts, credits)
        if found is None:
            continue
        entry, reason = found
        items.append(
            ActionItem(
                batch=batch,
                kind=ItemKind.LIKED_TRACK,
                uri=f"spotify:track:{track_id}",
                label=facts.get(track_id, (None, track_id))[1],
                entry=entry,
                reason=reason,
                before={"added_at": added_at.isoformat() if added_at else None},
            )
        )
    return items


def _album_items(batch: ActionBatch, user, rules: Rules) -> list[ActionItem]:
    saved = SavedAlbum.objects.filter(user=user)
    primary = dict(
        AlbumArtist.objects.filter(album_id__in=saved.values("album_id"), position=0).values_list(
            "album_id", "artist_id"
        )
    )
    items = []
    for album_id, name, added_at in saved.order_by("-added_at", "album_id").values_list(
        "album_id", "album__name", "added_at"
    ):
        found = rules.album_reason(album_id, primary.get(album_id))
        if found is None:
            continue
        entry, reason = found
        items.append(
            ActionItem(
                batch=batch,
                kind=ItemKind.SAVED_ALBUM,
                uri=f"spotify:album:{album_id}",
                label=name,
                entry=entry,
                reason=reason,
                before={"added_at": added_at.isoformat() if added_at else None},
            )
        )
    return items


def _artist_items(batch: ActionBatch, user, rules: Rules) -> list[ActionItem]:
    items = []
    for artist_id, name in (
        FollowedArtist.objects.filter(user=user)
        .order_by("artist__name", "artist_id")
        .values_list("artist_id", "artist__name")
    ):
        found = rules.artist_reason(artist_id)
        if found is None:
            continue
        entry, reason = found
        items.append(
            ActionItem(
                batch=batch,
                kind=ItemKind.FOLLOWED_ARTIST,
                uri=f"spotify:artist:{artist_id}",
                label=name,
                entry=entry,
                reason=reason,
            )
        )
    return items


def readable_playlists(user):
    """Playlists whose items the mirror holds and the user may edit."""
    return (
        Playlist.objects.filter(user=user, items_readable=True)
        .exclude(mirrored_snapshot_id="")
        .filter(Q(is_owner=True) | Q(collaborative=True))
    )


def _playlist_items(
    batch: ActionBatch, user, rules: Rules, me: str, warnings: list[str]
) -> list[ActionItem]:
    playlists = {playlist.pk: playlist for playlist in readable_playlists(user)}
    if not playlists:
        return []
    rows = PlaylistItem.objects.filter(playlist_id__in=list(playlists), track__isnull=False)
    facts, credits = _track_facts(rows.values("track_id"))
    # (playlist, uri) → every occurrence, in position order.
    occurrences: dict[tuple[int, str], list[dict]] = defaultdict(list)
    reasons: dict[str, tuple | None] = {}
    for playlist_id, position, uri, track_id, added_at, added_by in rows.order_by(
        "playlist_id", "position"
    ).values_list("playlist_id", "position", "uri", "track_id", "added_at", "added_by"):
        if track_id not in reasons:
            reasons[track_id] = _reason_for_track(rules, track_id, facts, credits)
        if reasons[track_id] is None:
            continue
        occurrences[(playlist_id, uri or f"spotify:track:{track_id}")].append(
            {
                "position": position,
                "added_at": added_at.isoformat() if added_at else None,
                "added_by": added_by,
                "track_id": track_id,
            }
        )

    items = []
    ordered = sorted(
        occurrences.items(),
        key=lambda pair: (playlists[pair[0][0]].list_position, pair[1][0]["position"]),
    )
    for (playlist_id, uri), places in ordered:
        playlist = playlists[playlist_id]
        track_id = places[0]["track_id"]
        entry, reason = reasons[track_id]
        status, selected, why_not = ItemStatus.PLANNED, True, ""
        if playlist.collaborative:
            others = sorted({p["added_by"] for p in places if not me or p["added_by"] != me})
            if not me:
                why_not = "Your Spotify id is unknown, so who added this cannot be told; "
                why_not += "refresh your library first."
            elif others:
                # Removing the URI would take their copies with it.
                why_not = f"Collaborative playlist: added by {', '.join(o or '?' for o in others)}"
                why_not += " — only items you added are removed."
            if why_not:
                status, selected = ItemStatus.SKIPPED, False
        for place in places:
            place.pop("track_id", None)
        items.append(
            ActionItem(
                batch=batch,
                kind=ItemKind.PLAYLIST_ITEM,
                uri=uri,
                label=facts.get(track_id, (None, track_id))[1],
                playlist=playlist,
                playlist_spotify_id=playlist.spotify_id,
                playlist_name=playlist.name,
                entry=entry,
                reason=f"{reason}. {why_not}".strip() if why_not else reason,
                before={"positions": places, "snapshot_id": playlist.mirrored_snapshot_id},
                status=status,
                selected=selected,
            )
        )
    stale = [p.name for p in playlists.values() if p.snapshot_id and not p.up_to_date]
    if stale:
        warnings.append(
            f"{len(stale)} playlist(s) changed on Spotify after they were mirrored "
            f"({', '.join(sorted(stale)[:5])}{'…' if len(stale) > 5 else ''}): refresh the "
            "library for exact positions."
        )
    return items


def _keep_exceptions(items: list[ActionItem], user) -> int:
    """Items the person put back or unticked before stay: skipped, saying why. Returns how
    many."""
    kept = kept_items(user)
    if not kept:
        return 0
    count = 0
    for item in items:
        exception = kept.get((item.kind, item.uri, item.playlist_spotify_id or ""))
        if exception is None:
            continue
        done = "put it back" if exception.because == KeptBecause.ROLLED_BACK else "unticked it"
        item.status, item.selected = ItemStatus.SKIPPED, False
        item.reason = (
            f"Kept: you {done} on {exception.created_at:%d %b %Y} "
            f"(an exception of “{exception.blocklist.name}”; remove it there to enforce it "
            f"again). {item.reason}"
        )
        count += 1
    return count


def plan(user, *, origin: str = BatchOrigin.MANUAL, approved_only: bool = False) -> ActionBatch:
    """Scan the mirror against the user's blocklists; returns the dry-run batch.

    Kept exceptions are skipped. `approved_only` (automatic runs): entries the person has not
    approved yet are left out, and a warning says how many wait."""
    rules = Rules.load(user, approved_only=approved_only)
    library_state = LibraryState.objects.filter(user=user).first()
    refreshed_at = library_state.refreshed_at if library_state else None
    warnings: list[str] = []
    if refreshed_at is None:
        warnings.append("Your library has not been mirrored yet: refresh it, then plan again.")
    me = spotify_user_id(user)
    with transaction.atomic():
        batch = ActionBatch.objects.create(
            user=user,
            dry_run=True,
            origin=origin,
            step="Dry run: nothing has been changed",
            mirror_refreshed_at=refreshed_at,
        )
        items: list[ActionItem] = []
        if not rules.empty:
            items += _liked_items(batch, user, rules)
            items += _album_items(batch, user, rules)
            items += _artist_items(batch, user, rules)
            items += _playlist_items(batch, user, rules, me, warnings)
        _keep_exceptions(items, user)
        if approved_only:
            waiting = unapproved_entries(user).count()
            if waiting:
                warnings.append(
                    f"{waiting} new blocklist {'entry waits' if waiting == 1 else 'entries wait'}"
                    " for your approval: this run left what they match alone. Plan and execute "
                    "a dry run to approve them."
                )
        ActionItem.objects.bulk_create(items, batch_size=ITEM_BATCH)
        batch.warnings = warnings
        batch.total = sum(1 for item in items if item.selected)
        batch.calls_estimated = estimate_calls(batch)
        batch.save(update_fields=["warnings", "total", "calls_estimated"])
    return batch


# --- what it will cost --------------------------------------------------------------------------


def estimate_calls(batch: ActionBatch, *, artists_via_library: bool = True) -> int:
    """Spotify writes the selected items need: /me/library chunks of 40 (mixed types), artist
    chunks of 50 when unfollowing goes through /me/following, playlist chunks of 100 unique
    URIs per playlist; a rollback re-inserts each run of adjacent positions with one call."""
    selected = batch.items.filter(selected=True).exclude(status=ItemStatus.SKIPPED)
    library = selected.filter(kind__in=LIBRARY_KINDS)
    artists = library.filter(kind=ItemKind.FOLLOWED_ARTIST).count()
    library_count = library.count() - (0 if artists_via_library else artists)
    calls = math.ceil(library_count / LIBRARY_WRITE_LIMIT)
    if not artists_via_library:
        calls += math.ceil(artists / FOLLOWING_WRITE_LIMIT)
    per_playlist: dict[str, list] = defaultdict(list)
    for playlist_id, before in selected.filter(kind=ItemKind.PLAYLIST_ITEM).values_list(
        "playlist_spotify_id", "before"
    ):
        per_playlist[playlist_id].append(before)
    for befores in per_playlist.values():
        if batch.is_rollback:
            calls += len(position_runs(sorted(b["insert_at"] for b in befores)))
        else:
            calls += math.ceil(len(befores) / PLAYLIST_WRITE_LIMIT)
    return calls


def position_runs(positions: list[int], limit: int = PLAYLIST_WRITE_LIMIT) -> list[list[int]]:
    """Ascending positions → runs of adjacent ones (at most `limit` long): one insert each."""
    runs: list[list[int]] = []
    for position in positions:
        if runs and runs[-1][-1] + 1 == position and len(runs[-1]) < limit:
            runs[-1].append(position)
        else:
            runs.append([position])
    return runs


def pace_seconds(calls: int) -> float:
    """Seconds `calls` take at the current pace (the configured rate, slowed after 429s)."""
    per_second = settings.SPOTIFY_CALLS_PER_SECOND / pacing.level(state.app_id())
    return calls / per_second if per_second else 0.0


def refresh_estimate(batch: ActionBatch) -> None:
    """After items were ticked or unticked: the total and the calls they need."""
    total = batch.items.filter(selected=True).exclude(status=ItemStatus.SKIPPED).count()
    calls = estimate_calls(batch)
    ActionBatch.objects.filter(pk=batch.pk).update(total=total, calls_estimated=calls)
    batch.total, batch.calls_estimated = total, calls
