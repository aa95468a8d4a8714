"""The import job: rows in, matches out, then (after the person's confirmation) a new Spotify
playlist with the chosen tracks, added in chunks of 100.

Creation is resumable without duplicates: the new playlist's id is stored the moment Spotify
returns it, and `added` is checkpointed after each chunk. A worker that died between a POST and
its checkpoint is resumed by reading the playlist's item count from Spotify (one call) instead
of re-sending a chunk that may have landed.
"""

from __future__ import annotations

from django.db import transaction

from ops.jobs import JobStatus
from playlists.imports.matching import match_rows
from playlists.imports.parsers import FORMAT_LABELS, ParsedFile
from playlists.models import ImportRow, ImportStage, MatchStatus, PlaylistImport
from spotify.client import PLAYLIST_WRITE_LIMIT, SpotifyClient, chunks
from spotify.errors import NeedsReconnect, Paused, SpotifyError
from spotify.models import Purpose


def start_import(user, parsed: ParsedFile, *, name: str, file_name: str) -> PlaylistImport:
    """Store the parsed rows and queue matching, in one transaction."""

    with transaction.atomic():
        job = PlaylistImport.objects.create(
            user=user,
            name=name[:100],
            file_name=file_name[:255],
            file_format=parsed.format,
            stage=ImportStage.MATCHING,
            total=len(parsed.rows),
            step=f"Matching {len(parsed.rows)} lines from a {FORMAT_LABELS[parsed.format]}",
        )
        ImportRow.objects.bulk_create(
            [
                ImportRow(
                    job=job,
                    position=position,
                    line=row.line,
                    title=row.title,
                    artists=", ".join(row.artists),
                    album=row.album,
                    duration_ms=row.duration_ms,
                    isrc=row.isrc,
                    spotify_id=row.spotify_id,
                    needs_review=row.needs_review,
                )
                for position, row in enumerate(parsed.rows)
            ],
            batch_size=1000,
        )
        job.enqueue()
    return job


def confirm_import(job: PlaylistImport, include_ids: set[int]) -> bool:
    """The person's choice from the preview; queues creation. False when not in preview."""

    with transaction.atomic():
        moved = PlaylistImport.objects.filter(pk=job.pk, stage=ImportStage.PREVIEW).update(
            stage=ImportStage.CREATING, status=JobStatus.QUEUED, step="Queued", done=0
        )
        if not moved:
            return False
        rows = job.rows.filter(status__in=[MatchStatus.MATCHED, MatchStatus.REVIEW])
        rows.update(include=False)
        rows.filter(pk__in=include_ids).update(include=True)
        job.enqueue()
    return True


def _client(job: PlaylistImport) -> SpotifyClient:
    return SpotifyClient(job.user, purpose=Purpose.LIBRARY, job_id=job.ledger_job_id)


def create_on_spotify(job: PlaylistImport, client: SpotifyClient) -> None:
    uris = list(
        job.rows.filter(include=True).exclude(matched_uri="").order_by("position")
        .values_list("matched_uri", flat=True)
    )  # fmt: skip
    job.advance(done=job.added, total=len(uris), step="Creating the playlist on Spotify")
    if not job.spotify_playlist_id:
        created = client.create_playlist(
            job.name, public=False, description=f"Imported by Tunekeeper from {job.file_name}"
        )
        job._update(spotify_playlist_id=created.id)
    elif job.added < len(uris):
        # Resumed: a chunk may have landed after the last checkpoint. Spotify knows.
        summary = client.playlist(job.spotify_playlist_id)
        if summary.items_total is not None:
            job._update(added=min(summary.items_total, len(uris)))
    for batch in chunks(uris[job.added :], PLAYLIST_WRITE_LIMIT):
        client.add_items(job.spotify_playlist_id, batch)
        job._update(added=job.added + len(batch))
        job.advance(done=job.added, step=f"Added {job.added} of {len(uris)} tracks")
    job._update(stage=ImportStage.CREATED)


def run_import_job(job: PlaylistImport) -> None:
    job.start(step=job.step or "Starting")
    client = _client(job)
    try:
        if job.stage == ImportStage.MATCHING:
            match_rows(job, client)
            counts = {
                status: job.rows.filter(status=status).count()
                for status in (MatchStatus.MATCHED, MatchStatus.REVIEW, MatchStatus.UNMATCHED)
            }
            job._update(stage=ImportStage.PREVIEW)
            job.complete(
                step=f"{counts['matched']} matched, {counts['review']} to check, "
                f"{counts['unmatched']} not found: review and create"
            )
        elif job.stage == ImportStage.CREATING:
            create_on_spotify(job, client)
            job.complete(step=f"Created with {job.added} tracks")
    except Paused as pause:
        job.pause(pause.until, pause.reason)
    except NeedsReconnect:
        job.fail("Spotify needs reconnecting: use the Reconnect button, then try again.")
    except SpotifyError as error:
        job.fail(f"Spotify answered with an error: {error}")
