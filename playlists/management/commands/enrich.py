import json

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from core import clock
from ops.jobs import JobStatus
from ops.terminal import JobProgress
from playlists.enrichment import enrich_library, relabel_genres
from playlists.management.commands._users import find_user
from playlists.models import Enrichment
from playlists.musicbrainz.http import MusicBrainzError, Unavailable


class Command(BaseCommand):
    help = (
        "Enrich a user's tracks from MusicBrainz (genres, original year) at 1 request per "
        "1.1 s, or --relabel every cached result after the genre list or alias map changed "
        "(no requests)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username or id")
        parser.add_argument("--limit", type=int, help="at most this many tracks")
        parser.add_argument("--relabel", action="store_true", help="re-derive genres only")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args, user=None, limit=None, relabel=False, json=False, **options):
        if relabel:
            self.stdout.write(f"{relabel_genres()} tracks relabelled from the cache.")
            return
        if not user:
            raise CommandError("--user is required (or --relabel)")
        person = find_user(user)
        try:
            job = Enrichment.objects.create(
                user=person, status=JobStatus.RUNNING, started_at=clock.now()
            )
        except IntegrityError:
            raise CommandError("An enrichment of this user's library is already running.") from None
        try:
            with JobProgress(self.stderr, lambda: Enrichment.objects.filter(pk=job.pk).first()):
                result = enrich_library(person, job, limit=limit)
                job.complete(step=f"{result.tracks} tracks looked up")
        except Unavailable as error:
            job.pause(error.until, "MusicBrainz unavailable")
            raise CommandError(f"{error} (try again after {error.until:%H:%M} UTC)") from None
        except MusicBrainzError as error:
            job.fail(str(error))
            raise CommandError(str(error)) from None
        if json:
            self.stdout.write(_dumps(result.as_dict()))
            return
        self.stdout.write(
            f"{result.tracks} tracks: {result.matched} matched, {result.review} to review, "
            f"{result.no_match} without a match; {result.requests} MusicBrainz requests."
        )


def _dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
