"""Placing account-data plays the catalog could not match, with Spotify search.

Account data names a play by artist and title only. The import matches them against the
catalog (no calls), and keeps the rest as UnmatchedPlay. This job first tries the catalog
again (it may have grown since: a library refresh, a sync, another import), then asks Spotify
once per song still unplaced, most played songs first, so a budget or quota stop leaves the
most valuable work done. It uses the catalog's confidence gate (playlists.matching.judge,
accepted at ≥ 0.9 and unambiguous). A match turns the song's plays into PlayEvents, in one
transaction with their removal from the unmatched list. A song Spotify has no confident
answer for is marked searched and not asked about again. The job resumes where it stopped:
what is left is what is still unmatched and unsearched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from archive import plays
from archive.catalog import AccountMatcher
from archive.models import HistoryProfile, HistorySearch, PlaySource, UnmatchedPlay
from core import clock
from playlists.catalog import CatalogWriter
from playlists.imports.matching import search_candidates
from playlists.matching import ACCEPT, clean_title, judge
from playlists.models import Track
from spotify import shares
from spotify.client import SpotifyClient
from spotify.errors import NeedsReconnect, Paused, SpotifyError
from spotify.models import Purpose


@dataclass(frozen=True)
class Song:
    artist_name: str
    track_name: str
    plays: int


def songs_to_search(user_id: int) -> list[Song]:
    """The user's unmatched songs Spotify was not asked about yet, most played first."""
    rows = (
        UnmatchedPlay.objects.filter(user_id=user_id, searched_at__isnull=True)
        .values("artist_name", "track_name")
        .annotate(plays=Count("id"))
        .order_by("-plays", "artist_name", "track_name")
    )
    return [Song(row["artist_name"], row["track_name"], row["plays"]) for row in rows]


def unmatched_summary(user_id: int) -> dict:
    """For the import page: plays and songs still unmatched, and how many could be searched."""
    unmatched = UnmatchedPlay.objects.filter(user_id=user_id)
    searchable = unmatched.filter(searched_at__isnull=True)
    return {
        "plays": unmatched.count(),
        "songs": unmatched.values("artist_name", "track_name").distinct().count(),
        "songs_to_search": searchable.values("artist_name", "track_name").distinct().count(),
    }


def start_history_search(user) -> tuple[HistorySearch, bool]:
    """Queue a search job for the user, or return the one in progress: (job, created)."""
    total = len(songs_to_search(user.pk))
    return HistorySearch.start_or_get_active(
        user=user, total=total, step=f"Queued: {total} songs to look up"
    )


def _query(song: Song) -> str:
    title = clean_title(song.track_name).replace('"', "")
    return f'track:"{title}" artist:"{song.artist_name.replace(chr(34), "")}"'


def place_song(
    user_id: int,
    song: Song,
    client: SpotifyClient,
    writer: CatalogWriter,
    matcher: AccountMatcher,
) -> int:
    """Place one song's plays: from the catalog when it knows the song now, else from a
    confident Spotify search. Returns the plays placed."""
    rows = UnmatchedPlay.objects.filter(
        user_id=user_id, artist_name=song.artist_name, track_name=song.track_name
    )
    known = matcher.match(song.artist_name, song.track_name)
    if known is not None:
        track_id = known
        duration_ms = Track.objects.filter(pk=known).values_list("duration_ms", flat=True)[0]
    else:
        candidates = search_candidates(client, _query(song), writer)
        verdict = judge(song.track_name, [song.artist_name], None, candidates)
        if verdict.decision != ACCEPT:
            rows.update(searched_at=clock.now())
            return 0
        track_id, duration_ms = verdict.best.payload.id, verdict.best.payload.duration_ms
        writer.flush()  # the track row must exist before plays point at it
    with transaction.atomic():
        waiting = list(rows.select_for_update().values_list("pk", "played_at", "ms_played"))
        plays.store(
            user_id,
            [
                plays.NewPlay(
                    track_id=track_id,
                    played_at=played_at,
                    source=PlaySource.ACCOUNT,
                    ms_played=ms_played,
                    duration_ms=duration_ms or 0,
                )
                for _, played_at, ms_played in waiting
            ],
        )
        UnmatchedPlay.objects.filter(pk__in=[pk for pk, _, _ in waiting]).delete()
    return len(waiting)


def run_history_search(job: HistorySearch) -> None:
    """Run a claimed job to its end, a pause or a failure; never raises Spotify errors."""
    HistoryProfile.objects.get_or_create(user_id=job.user_id)
    songs = songs_to_search(job.user_id)
    # The cost is said as it starts (one search per song at most, the catalog answers some):
    # past the person's daily share the job pauses there and goes on the next day by itself.
    cost = shares.cost(job.user_id, len(songs))
    job.start(
        total=job.done + len(songs),
        step=f"Looking up {len(songs)} songs: {cost.sentence}"[:200],
    )
    client = SpotifyClient(job.user, purpose=Purpose.ARCHIVE, job_id=job.ledger_job_id)
    writer = CatalogWriter(now=clock.now())
    matcher = AccountMatcher(job.user_id)
    try:
        for song in songs:
            placed = place_song(job.user_id, song, client, writer, matcher)
            job._update(
                songs_matched=job.songs_matched + bool(placed),
                plays_placed=job.plays_placed + placed,
            )
            job.advance(by=1, step=f"{song.artist_name} – {song.track_name}"[:200])
    except Paused as pause:
        job.pause(pause.until, pause.reason)
        return
    except NeedsReconnect:
        job.fail("Spotify needs reconnecting: use the Reconnect button, then try again.")
        return
    except SpotifyError as error:
        job.fail(f"Spotify answered with an error: {error}. What was placed is kept.")
        return
    finally:
        writer.flush()
    missed = job.total - job.songs_matched
    job.complete(
        step=f"Placed {_count(job.plays_placed, 'play')} of {_count(job.songs_matched, 'song')}; "
        f"{_count(missed, 'song')} had no confident match"
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
