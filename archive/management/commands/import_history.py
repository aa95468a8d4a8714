"""Import a Spotify data export from the command line (the same job the web upload starts)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive import conf
from archive.importer import create_job, run_import_job
from archive.models import HistoryProfile, ImportJob
from archive.spotify_export import LocalFile, UploadRefused
from archive.tasks import claim
from ops.terminal import JobProgress


class Command(BaseCommand):
    help = (
        "Import my_spotify_data.zip or history JSON files for a user, or resume a job (--resume)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)
        parser.add_argument("--user", help="username")
        parser.add_argument("--min-seconds", type=int, default=conf.min_ms_played() // 1000)
        parser.add_argument("--resume", type=int, metavar="JOB_ID")

    def handle(self, *args, paths, user=None, min_seconds=30, resume=None, **options):
        if resume:
            job = ImportJob.objects.filter(pk=resume).first()
            if job is None:
                raise CommandError(f"no import job {resume}")
            if job.status == "running":
                # Resuming by hand: whoever had it is gone (or this is a mistake to retry).
                ImportJob.objects.filter(pk=job.pk).update(status="queued")
        else:
            if not user or not paths:
                raise CommandError("give --user NAME and one or more files (or --resume JOB_ID)")
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"no user {user!r}")
            HistoryProfile.for_user(owner.pk)
            missing = [str(p) for p in paths if not p.is_file()]
            if missing:
                raise CommandError(f"not found: {', '.join(missing)}")
            try:
                job = create_job(
                    owner, [LocalFile(p) for p in paths], min_seconds * 1000, enqueue=False
                )
            except UploadRefused as refused:
                raise CommandError(str(refused)) from None
        with JobProgress(self.stderr, lambda: ImportJob.objects.filter(pk=job.pk).first()):
            while True:
                claimed = claim(job.pk)
                if claimed is None:
                    break
                run_import_job(claimed, requeue=False)
                job.refresh_from_db()
                if job.status != "queued":
                    break
        job.refresh_from_db()
        self.stdout.write(f"import {job.pk}: {job.status}. {job.step} {job.error}".strip())
        for file in job.files.all():
            line = f"  {file.name}: {file.status}, {file.imported} imported"
            self.stdout.write(line + (f" — {file.error}" if file.error else ""))
