"""Sync base playlists from the command line, in this process (no Celery needed).

manage.py sync_playlist 12                 # the base with id 12
manage.py sync_playlist --user ada --all   # every base of ada
manage.py sync_playlist 12 --force         # re-read the base and check every child
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ops.terminal import JobProgress
from sync.engine import sync_base
from sync.models import BasePlaylist, SyncEvent, Trigger


def _next_event_of(base: BasePlaylist):
    """Finds the sync event this command is about to start (for the progress bar)."""
    before = (
        SyncEvent.objects.filter(base=base).order_by("-pk").values_list("pk", flat=True).first()
    )

    def find():
        return SyncEvent.objects.filter(base=base, pk__gt=before or 0).order_by("-pk").first()

    return find


class Command(BaseCommand):
    help = "Sync base playlists into their child playlists now, in this process."

    def add_arguments(self, parser):
        parser.add_argument("bases", nargs="*", help="base ids or Spotify playlist ids")
        parser.add_argument("--user", help="username whose bases --all syncs")
        parser.add_argument("--all", action="store_true", help="every base (of --user)")
        parser.add_argument(
            "--force", action="store_true", help="re-read the base and check every child"
        )

    def handle(self, *args, **options):
        bases = BasePlaylist.objects.select_related("user")
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}")
            bases = bases.filter(user=user)
        if options["all"]:
            chosen = list(bases)
        elif options["bases"]:
            chosen = []
            for key in options["bases"]:
                found = bases.filter(pk=int(key)) if key.isdigit() else bases.filter(spotify_id=key)
                if not found:
                    raise CommandError(f"No base playlist {key!r}")
                chosen += list(found)
        else:
            raise CommandError("Name base playlists (ids) or use --all")
        failed = 0
        for base in chosen:
            with JobProgress(self.stderr, _next_event_of(base)):
                event, result = sync_base(base, force=options["force"], trigger=Trigger.COMMAND)
            if result is None and event.is_active:
                self.stdout.write(f"{base}: a sync is already in progress (event {event.pk})")
                continue
            if event.status != "completed":
                failed += 1
                self.stderr.write(f"{base}: {event.status}: {event.error or event.step}")
                continue
            self.stdout.write(f"{base}: {event.step}")
            for report in result.children.values():
                line = (
                    f"  {report.name}: {report.outcome or 'unchanged'}, {report.size} tracks "
                    f"(+{report.added} −{report.removed}), {report.write_calls} write calls"
                )
                self.stdout.write(line + (f" — {report.note}" if report.note else ""))
        if failed:
            raise CommandError(f"{failed} of {len(chosen)} syncs did not complete")
