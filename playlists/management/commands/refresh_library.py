import json

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from core import clock
from ops.jobs import JobStatus
from ops.terminal import JobProgress
from playlists.management.commands._users import find_user
from playlists.models import LibraryRefresh
from playlists.refresh import refresh_library
from spotify.errors import Paused, SpotifyError


class Command(BaseCommand):
    help = (
        "Mirror a user's Spotify library now (playlists, liked songs, saved albums, followed "
        "artists) and print what it cost. Unchanged playlists are skipped unless --full."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username or id")
        parser.add_argument("--full", action="store_true", help="read every list again")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args, user, full=False, json=False, **options):
        person = find_user(user)
        try:
            job = LibraryRefresh.objects.create(
                user=person, full=full, status=JobStatus.RUNNING, started_at=clock.now()
            )
        except IntegrityError:
            raise CommandError("A library refresh of this user is already running.") from None
        try:
            with JobProgress(self.stderr, lambda: LibraryRefresh.objects.filter(pk=job.pk).first()):
                result = refresh_library(person, job, full=full)
                job.complete(step=f"{result.items_seen} items read with {result.calls} calls")
        except Paused as pause:
            job.pause(pause.until, pause.reason)
            raise CommandError(
                f"Spotify is paused until {pause.until:%Y-%m-%d %H:%M} UTC ({pause.reason}); "
                "what was read before the pause is kept, and the refresh resumes by itself."
            ) from None
        except SpotifyError as error:
            job.fail(f"Spotify: {error}")
            raise CommandError(f"Spotify: {error}") from None
        if json:
            self.stdout.write(_json_dumps(result.as_dict()))
            return
        self.stdout.write(
            f"{result.items_seen} items read with {result.calls} calls in {result.seconds:.1f} s "
            f"({result.ingest_seconds:.2f} s writing). Playlists: {result.playlists_listed} "
            f"listed, {result.playlists_read} read, {result.playlists_skipped} unchanged, "
            f"{result.playlists_unreadable} not readable, {result.playlists_pruned} removed."
        )


def _json_dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
