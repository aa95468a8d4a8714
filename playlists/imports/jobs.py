"""The import job: rows in, matches out, then (after the person's confirmation) a new Spotify
playlist with the chosen tracks, added in chunks of 100.

Creation is resumable without duplicates: the new playlist's id is stored the moment Spotify
returns it, and each row is marked `landed` after its chunk (with `added`, their count). A worker
that died between a POST and its checkpoint is resumed by reading the playlist's item count from
Spotify (one call) instead of re-sending a chunk that may have landed.

Creation fails cleanly (DESIGN 11, 12): the playlist is made only when something is ticked; a
chunk Spotify refuses for a bad id is halved until the bad rows are found (marked, with why) and
every good row still lands; a playlist left empty by a failure is removed again; and a failure
puts the job back to the review table, whose button then retries from the checkpoint.
"""

from __future__ import annotations

from django.db import transaction

from ops.jobs import JobStatus
from playlists.imports.matching import estimate_calls, match_rows
from playlists.imports.parsers import FORMAT_LABELS, ParsedFile
from playlists.models import ImportRow, ImportStage, MatchStatus, PlaylistImport
from spotify import shares
from spotify.client import PLAYLIST_WRITE_LIMIT, SpotifyClient, chunks
from spotify.errors import BadRequest, NeedsReconnect, Paused, SpotifyError
from spotify.models import Purpose


def start_import(user, parsed: ParsedFile, *, name: str, file_name: str) -> PlaylistImport:
    """Store the parsed rows and queue matching, in one transaction."""

    calls = estimate_calls(parsed.rows)
    cost = shares.cost(user.pk, calls)
    with transaction.atomic():
        job = PlaylistImport.objects.create(
            user=user,
            name=name[:100],
            file_name=file_name[:255],
            file_format=parsed.format,
            stage=ImportStage.MATCHING,
            total=len(parsed.rows),
            estimated_calls=calls,
            # The cost is said before the first call (DESIGN 13); past the person's share the
            # job pauses at it and goes on the next day by itself.
            step=(
                f"Matching {len(parsed.rows)} lines from a {FORMAT_LABELS[parsed.format]}: "
                f"{cost.sentence}"
            )[:200],
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
            stage=ImportStage.CREATING, status=JobStatus.QUEUED, step="Queued", done=0, error=""
        )
        if not moved:
            return False
        # Rows already on the playlist (a retry after a partial failure) stay ticked.
        rows = job.rows.filter(status__in=[MatchStatus.MATCHED, MatchStatus.REVIEW], landed=False)
        rows.update(include=False)
        rows.filter(pk__in=include_ids).update(include=True)
        job.enqueue()
    return True


def _client(job: PlaylistImport) -> SpotifyClient:
    return SpotifyClient(job.user, purpose=Purpose.LIBRARY, job_id=job.ledger_job_id)


class NothingLanded(Exception):
    """Spotify refused every ticked track: nothing to make a playlist of."""


def _waiting(job: PlaylistImport) -> list[tuple[int, str]]:
    """(row pk, uri) of the ticked rows not yet on the playlist, in file order."""
    return list(
        job.rows.filter(include=True, landed=False).exclude(matched_uri="").order_by("position")
        .values_list("pk", "matched_uri")
    )  # fmt: skip


def _landed(job: PlaylistImport, pks: list[int]) -> None:
    ImportRow.objects.filter(pk__in=pks).update(landed=True)
    job._update(added=job.added + len(pks))


def add_narrowing(job: PlaylistImport, client: SpotifyClient, batch: list[tuple[int, str]]):
    """POST `batch`; when Spotify refuses it (400: "non-existing ID", "invalid base62 id"),
    halve it until the refused rows are alone: they are marked, every other row lands, in
    order. A single bad id in 100 costs about 2·log2(100) ≈ 14 calls instead of the import."""
    try:
        client.add_items(job.spotify_playlist_id, [uri for _, uri in batch])
    except BadRequest as error:
        if len(batch) == 1:
            ImportRow.objects.filter(pk=batch[0][0]).update(
                include=False,
                status=MatchStatus.UNMATCHED,
                problem=f"Spotify refused this track ({error}); it was left out.",
            )
            return
        middle = len(batch) // 2
        add_narrowing(job, client, batch[:middle])
        add_narrowing(job, client, batch[middle:])
        return
    _landed(job, [pk for pk, _ in batch])


def _resume_checkpoint(job: PlaylistImport, client: SpotifyClient, waiting) -> list:
    """A chunk may have landed after the last checkpoint: Spotify's item count says how many
    of the waiting rows are already there."""
    summary = client.playlist(job.spotify_playlist_id)
    extra = (summary.items_total or 0) - job.added
    if extra > 0:
        _landed(job, [pk for pk, _ in waiting[:extra]])
        waiting = waiting[extra:]
    return waiting


def create_on_spotify(job: PlaylistImport, client: SpotifyClient) -> None:
    waiting = _waiting(job)
    total = job.added + len(waiting)
    job.advance(done=job.added, total=total, step="Creating the playlist on Spotify")
    if not total:
        raise NothingLanded("Nothing is ticked to add, so no playlist was made.")
    if not job.spotify_playlist_id:
        created = client.create_playlist(
            job.name, public=False, description=f"Imported by Tunekeeper from {job.file_name}"
        )
        job._update(spotify_playlist_id=created.id)
    elif waiting:
        waiting = _resume_checkpoint(job, client, waiting)
    for batch in chunks(waiting, PLAYLIST_WRITE_LIMIT):
        add_narrowing(job, client, batch)
        job.advance(done=job.added, step=f"Added {job.added} of {total} tracks")
    if not job.added:
        raise NothingLanded("Spotify refused every ticked track (see why below).")
    job._update(stage=ImportStage.CREATED)


def _remove_if_empty(job: PlaylistImport, client: SpotifyClient) -> str:
    """After a failure: a playlist we made that holds nothing is removed again (on Spotify,
    removing a playlist is taking it out of your library). Returns a sentence for the person."""
    if not job.spotify_playlist_id or job.added:
        return ""
    try:
        # A write whose answer was lost may have landed: ask before removing anything.
        if client.playlist(job.spotify_playlist_id).items_total:
            return " The new playlist holds tracks already; Retry goes on from there."
        client.library_remove([f"spotify:playlist:{job.spotify_playlist_id}"])
    except SpotifyError:
        return " The empty playlist could not be removed yet; Retry uses it."
    job._update(spotify_playlist_id="")
    return " The empty playlist it had made was removed."


def _creation_failed(job: PlaylistImport, client: SpotifyClient, why: str) -> None:
    """Back to the review table (kept as it was), with what happened and a Retry."""
    note = _remove_if_empty(job, client)
    if job.added:
        note += f" {job.added} tracks are on the playlist already; Retry adds the rest."
    job._update(stage=ImportStage.PREVIEW)
    job.fail(f"{why}{note}")


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
            left_out = job.rows.filter(problem__startswith="Spotify refused").count()
            job.complete(
                step=f"Created with {job.added} tracks"
                + (f"; Spotify refused {left_out} (marked below)" if left_out else "")
            )
        else:  # PREVIEW (a generic Retry): the person's review decides what happens next
            job.complete(step="Waiting for your review")
    except Paused as pause:
        job.pause(pause.until, pause.reason)
    except NothingLanded as why:
        _creation_failed(job, client, str(why))
    except NeedsReconnect:
        message = "Spotify needs reconnecting: use the Reconnect button, then try again."
        if job.stage == ImportStage.CREATING:
            job._update(stage=ImportStage.PREVIEW)  # the review table and its Retry stay
        job.fail(message)
    except SpotifyError as error:
        if job.stage == ImportStage.CREATING:
            _creation_failed(job, client, f"Spotify answered with an error: {error}.")
        else:
            job.fail(f"Spotify answered with an error: {error}")
