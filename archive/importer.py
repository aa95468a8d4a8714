"""Importing Spotify's data export: an ImportJob reads its files in batches, with a checkpoint.

Each batch of records is one transaction: the catalog stubs it needs, its new plays (deduped
against everything stored, polled or imported), their rollups, and the file's checkpoint
(records read, counts). A worker killed mid-batch loses only that uncommitted batch; the job
resumes from the checkpoint. A job works for a time slice, then re-enqueues itself, so no task
runs into Celery's time limit.

A file that cannot be read further gets a per-file error saying why and how far it got; the
plays before that point stay (and are counted in the report). Nothing is half-imported without
the report saying so.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.text import get_valid_filename

from archive import conf, spotify_export
from archive.catalog import AccountMatcher, StubWriter
from archive.models import (
    FileStatus,
    ImportFile,
    ImportJob,
    ListeningGap,
    PlaySource,
    UnmatchedPlay,
)
from archive.plays import NewPlay, store
from archive.spotify_export import ExportFileError, FileKind, Row, Source, UploadRefused
from core import clock
from ops.jobs import JobStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
# Files read per slice, at most: a real export's few dozen large files use up the time slice
# first; an upload of many tiny files hands its worker back every FILES_PER_SLICE files, so
# the jobs queued behind it wait seconds, not the whole slice.
FILES_PER_SLICE = 50


# --- creating a job from an upload ------------------------------------------------------------


def create_job(
    user, uploads: Iterable, min_ms_played: int | None = None, *, enqueue: bool = True
) -> ImportJob:
    """Store the uploaded files, list the history files in them and queue the job.

    `uploads` are Django UploadedFiles (or anything with `.name` and `.chunks()`). Raises
    UploadRefused when no upload holds any history file; refused members are listed in the job.
    """
    min_ms = conf.min_ms_played() if min_ms_played is None else min_ms_played
    with transaction.atomic():
        try:
            with transaction.atomic():
                job = ImportJob.objects.create(user=user, min_ms_played=min_ms, upload_dir="")
        except IntegrityError:  # the one-active-import constraint
            raise UploadRefused(
                "An import of your data export is already running; wait for it to finish."
            ) from None
        folder = conf.upload_dir() / f"job-{job.pk}"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            sources, ignored, names = [], [], []
            for number, upload in enumerate(uploads):
                target = folder / f"{number:03d}-{get_valid_filename(Path(upload.name).name)}"
                with open(target, "wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                names.append(upload.name)
                inspection = spotify_export.inspect_upload(target, upload.name)
                sources += inspection.sources
                ignored += inspection.ignored
            if len(sources) > spotify_export.MAX_HISTORY_FILES:
                raise UploadRefused(
                    f"{len(sources):,} listening-history files in this upload; a Spotify export "
                    f"has a few dozen, and at most {spotify_export.MAX_HISTORY_FILES:,} are read."
                )
            if not sources:
                listed = f" (found only: {', '.join(ignored[:5])})" if ignored else ""
                raise UploadRefused(
                    "No listening history in that upload"
                    + listed
                    + ". Upload my_spotify_data.zip from Spotify, or the "
                    "Streaming_History_Audio_*.json / StreamingHistory_music_*.json files."
                )
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        files = [
            ImportFile(
                job=job,
                position=position,
                name=source.name[:500],
                path=source.path,
                member=source.member,
                kind=source.kind,
                size=source.size,
                status=_initial_status(source),
                error=source.problem or _skip_reason(source.kind),
            )
            for position, source in enumerate(sources)
        ]
        ImportFile.objects.bulk_create(files)
        job.upload_dir = str(folder)
        job.uploaded_names = names
        job.ignored_files = ignored[:200]
        job.bytes_total = sum(f.size for f in files if f.status == FileStatus.PENDING)
        job.step = f"Queued: {sum(f.status == FileStatus.PENDING for f in files)} history files"
        job.save()
        if enqueue:
            job.enqueue()
    return job


def _initial_status(source: Source) -> str:
    if source.problem:
        return FileStatus.REFUSED
    if source.kind == FileKind.VIDEO:
        return FileStatus.SKIPPED
    return FileStatus.PENDING


def _skip_reason(kind: str) -> str:
    return "video plays are not part of the listening archive" if kind == FileKind.VIDEO else ""


# --- running ------------------------------------------------------------------------------------


class _Progress:
    """Records and bytes read across the job, for the progress bar's estimate of the total."""

    def __init__(self, job: ImportJob):
        done = [(f.records_done, f.bytes_done) for f in job.files.all()]
        self.records = sum(r for r, _ in done)
        self.bytes = sum(b for _, b in done)
        self.bytes_total = job.bytes_total

    def estimate_total(self) -> int | None:
        if not self.records or not self.bytes:
            return None
        per_record = self.bytes / self.records
        return self.records + int(max(self.bytes_total - self.bytes, 0) / per_record)


def run_import_job(job: ImportJob, *, requeue: bool = True) -> None:
    """Work on a claimed job until it is done or its time slice is used up (then it is queued
    again, and re-enqueued unless the caller drives it itself: `requeue=False`)."""
    deadline = clock.monotonic() + conf.import_slice_seconds()
    job.start(total=job.total, step=job.step or "Reading")
    stubs = StubWriter()
    matcher: AccountMatcher | None = None
    progress = _Progress(job)
    archives = spotify_export.ZipCache()
    with archives:
        _run_files(job, stubs, matcher, progress, deadline, archives, requeue)


def _run_files(job, stubs, matcher, progress, deadline, archives, requeue) -> None:
    pending = job.files.filter(status__in=[FileStatus.PENDING, FileStatus.READING])
    for read, import_file in enumerate(pending.order_by("position")):
        if import_file.kind in (FileKind.ACCOUNT, FileKind.UNKNOWN) and matcher is None:
            matcher = AccountMatcher(job.user_id)
        # Checked before every file too, not only every BATCH_SIZE records: thousands of tiny
        # files would otherwise hold the worker past Celery's limit, with other people's jobs
        # waiting behind it.
        out_of_time = read > 0 and (clock.monotonic() > deadline or read >= FILES_PER_SLICE)
        if out_of_time or not _read_file(
            job, import_file, stubs, matcher, progress, deadline, archives
        ):
            # Out of time: hand over to a fresh task, which resumes from the checkpoint.
            job._update(status=JobStatus.QUEUED, heartbeat_at=clock.now())
            if requeue:
                job.enqueue()
            return
    _finish(job)


def _read_file(job, import_file, stubs, matcher, progress, deadline, archives=None) -> bool:
    """Read one file from its checkpoint; False when the time slice ran out first."""
    source = Source(
        import_file.name,
        import_file.path,
        import_file.member,
        import_file.kind,
        import_file.size,
    )
    if import_file.status == FileStatus.PENDING:
        import_file.status = FileStatus.READING
        import_file.save(update_fields=["status"])
    skip = import_file.records_done
    kind = import_file.kind
    batch: list = []
    try:
        with spotify_export.open_source(source, archives) as reader:
            for record in spotify_export.records(reader, skip=skip):
                if kind == FileKind.UNKNOWN:
                    kind = _recognise(import_file, record)
                elif not batch and import_file.records_done == 0:
                    _check_schema(kind, record)
                batch.append(record)
                if len(batch) >= BATCH_SIZE:
                    _commit_batch(job, import_file, kind, batch, stubs, matcher, progress, reader)
                    batch = []
                    if clock.monotonic() > deadline:
                        return False
            _commit_batch(job, import_file, kind, batch, stubs, matcher, progress, reader)
    except ExportFileError as error:
        _commit_batch(job, import_file, kind, batch, stubs, matcher, progress, None)
        _fail_file(import_file, str(error))
        return True
    except (OSError, zipfile.BadZipFile) as error:
        _commit_batch(job, import_file, kind, batch, stubs, matcher, progress, None)
        _fail_file(import_file, f"it could not be read ({error}).")
        return True
    ImportFile.objects.filter(pk=import_file.pk).update(status=FileStatus.DONE)
    import_file.status = FileStatus.DONE
    if not import_file.records_done:
        _fail_file(import_file, "it holds no plays (an empty list).", status=FileStatus.DONE)
    return True


def _recognise(import_file: ImportFile, record) -> str:
    kind = spotify_export.sniff_kind(record)
    if kind is None:
        raise ExportFileError(_schema_message(record))
    import_file.kind = kind
    ImportFile.objects.filter(pk=import_file.pk).update(kind=kind)
    return kind


def _check_schema(kind: str, record) -> None:
    if kind in (FileKind.PODCAST, FileKind.VIDEO):
        return
    if spotify_export.missing_keys(record, kind):
        raise ExportFileError(_schema_message(record, kind))


def _schema_message(record, kind: str | None = None) -> str:
    if not isinstance(record, dict):
        return (
            "its entries are not JSON objects; it is not a Spotify listening-history file "
            f"(the first entry is a {type(record).__name__})."
        )
    if kind == FileKind.ACCOUNT:
        expected = "StreamingHistory_music files have endTime, artistName, trackName, msPlayed"
    elif kind == FileKind.EXTENDED:
        expected = "extended streaming history has ts, ms_played, spotify_track_uri, …"
    else:
        expected = (
            "expected extended streaming history (ts, ms_played, …) or account data "
            "(endTime, artistName, trackName, msPlayed)"
        )
    found = ", ".join(sorted(str(key) for key in record)[:8]) or "nothing"
    return f"it does not look like Spotify listening history: {expected}; found {found}."


def _fail_file(import_file: ImportFile, message: str, status: str = FileStatus.FAILED) -> None:
    import_file.status = status
    import_file.error = message
    ImportFile.objects.filter(pk=import_file.pk).update(status=status, error=message)


def _commit_batch(job, import_file, kind, batch, stubs, matcher, progress, reader) -> None:
    """One transaction: the batch's plays and the file's checkpoint move together."""
    if not batch and reader is None:
        return
    counts = dict.fromkeys(ImportFile.COUNTERS, 0)
    counts["records_done"] = len(batch)
    problems: dict[str, int] = {}
    with transaction.atomic():
        if kind == FileKind.EXTENDED:
            new = _extended_plays(job, batch, counts, stubs, problems)
        elif kind == FileKind.ACCOUNT:
            new = _account_plays(job, batch, counts, matcher, problems)
        else:  # podcast and video files: counted, not imported
            new = []
            counts["podcasts" if kind == FileKind.PODCAST else "no_track"] = len(batch)
        stored = store(job.user_id, new)
        counts["imported"] = len(stored)
        counts["duplicates"] = len(new) - len(stored)
        if stored:
            low = min(p.played_at for p in stored)
            high = max(p.played_at for p in stored)
            if job.first_played_at is None or low < job.first_played_at:
                job.first_played_at = low
            if job.last_played_at is None or high > job.last_played_at:
                job.last_played_at = high
            ImportJob.objects.filter(pk=job.pk).update(
                first_played_at=job.first_played_at, last_played_at=job.last_played_at
            )
        for name, value in counts.items():
            setattr(import_file, name, getattr(import_file, name) + value)
        merged = dict(import_file.problems or {})
        for reason, number in problems.items():
            merged[reason] = merged.get(reason, 0) + number
        import_file.problems = merged
        bytes_now = reader.count if reader is not None else import_file.bytes_done
        progress.bytes += max(bytes_now - import_file.bytes_done, 0)
        progress.records += len(batch)
        import_file.bytes_done = bytes_now
        ImportFile.objects.filter(pk=import_file.pk).update(
            bytes_done=bytes_now,
            problems=import_file.problems,
            **{name: getattr(import_file, name) for name in counts},
        )
        job.advance(
            progress.records,
            total=progress.estimate_total(),
            step=f"{import_file.name}: {import_file.records_done:,} records",
        )


def _skip(counts, problems: dict, reason: str, counter: str = "invalid") -> None:
    counts[counter] += 1
    problems[reason] = problems.get(reason, 0) + 1


def _read(reader, record, job, counts, problems):
    """(what, play) for one record, with bad records counted and their reason kept."""
    try:
        what, play = reader(record)
    except spotify_export.BadRecord as bad:
        _skip(counts, problems, str(bad))
        return None
    if what != Row.PLAY:
        counts[_COUNTER[what]] += 1
        return None
    reason = spotify_export.problem_with(play, job.created_at)
    if reason:
        _skip(counts, problems, reason, "future")
        return None
    return play


def _extended_plays(job, batch, counts, stubs: StubWriter, problems: dict) -> list[NewPlay]:
    new: list[NewPlay] = []
    names: dict[str, tuple[str, str, str]] = {}
    minimum = job.min_ms_played
    for record in batch:
        play = _read(spotify_export.read_extended, record, job, counts, problems)
        if play is None:
            continue
        if play.ms_played < minimum:
            counts["too_short"] += 1
            continue
        names.setdefault(play.track_id, (play.track_name, play.artist_name, play.album_name))
        new.append(
            NewPlay(
                track_id=play.track_id,
                played_at=play.played_at,
                source=PlaySource.EXTENDED,
                ms_played=play.ms_played,
                platform=play.platform,
                reason_start=play.reason_start,
                reason_end=play.reason_end,
                shuffle=play.shuffle,
                skipped=play.skipped,
                offline=play.offline,
                incognito=play.incognito,
            )
        )
    stubs.ensure(names)
    return new


def _account_plays(job, batch, counts, matcher: AccountMatcher, problems: dict) -> list[NewPlay]:
    new: list[NewPlay] = []
    unmatched: list[UnmatchedPlay] = []
    minimum = job.min_ms_played
    for record in batch:
        play = _read(spotify_export.read_account, record, job, counts, problems)
        if play is None:
            continue
        if play.ms_played < minimum:
            counts["too_short"] += 1
            continue
        track_id = matcher.match(play.artist_name, play.track_name)
        if track_id is None:
            counts["unmatched"] += 1
            unmatched.append(
                UnmatchedPlay(
                    user_id=job.user_id,
                    artist_name=play.artist_name[:500],
                    track_name=play.track_name[:500],
                    played_at=play.played_at,
                    ms_played=play.ms_played,
                    job=job,
                )
            )
            continue
        new.append(
            NewPlay(
                track_id=track_id,
                played_at=play.played_at,
                source=PlaySource.ACCOUNT,
                ms_played=play.ms_played,
            )
        )
    UnmatchedPlay.objects.bulk_create(unmatched, ignore_conflicts=True)
    return new


_COUNTER = {
    Row.PODCAST: "podcasts",
    Row.AUDIOBOOK: "audiobooks",
    Row.NO_TRACK: "no_track",
    Row.INVALID: "invalid",
}


def _finish(job: ImportJob) -> None:
    files = list(job.files.all())
    problems = [f for f in files if f.status in (FileStatus.FAILED, FileStatus.REFUSED)]
    totals = job.totals()
    if job.first_played_at and job.last_played_at:
        ListeningGap.objects.filter(
            user_id=job.user_id,
            filled_by__isnull=True,
            start__gte=job.first_played_at,
            end__lte=job.last_played_at,
        ).update(filled_by=job)
    shutil.rmtree(job.upload_dir, ignore_errors=True)  # the plays are in; the upload can go
    summary = f"Imported {totals['imported']:,} plays"
    if totals["duplicates"]:
        summary += f", {totals['duplicates']:,} already in the archive"
    if problems:
        summary += f"; {len(problems)} of {len(files)} files had problems (see below)"
    if problems and not (totals["imported"] or totals["duplicates"]):
        job.fail("Nothing was imported: " + "; ".join(f"{f.name}: {f.error}" for f in problems[:5]))
        return
    job.complete(step=summary)
