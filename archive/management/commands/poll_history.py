"""Poll recently-played now, for one user or everyone, outside the hourly plan."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive.poller import poll_user, pollable_user_ids
from core import clock
from ops.terminal import CountProgress


class Command(BaseCommand):
    help = "Poll Spotify's recently played for one user (--user) or every connected user (--all)."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username")
        parser.add_argument("--all", action="store_true")

    def handle(self, *args, user=None, all=False, **options):
        if bool(user) == bool(all):
            raise CommandError("give --user NAME or --all")
        if user:
            found = get_user_model().objects.filter(username=user).first()
            if found is None:
                raise CommandError(f"no user {user!r}")
            user_ids = [found.pk]
        else:
            user_ids = pollable_user_ids()
        # A manual poll has its own slot (this second), so it never collides with a planned one.
        slot = clock.now().replace(microsecond=0)
        stored = 0
        with CountProgress(self.stdout, total=len(user_ids), step="Polling") as bar:
            for user_id in user_ids:
                run = poll_user(user_id, slot)
                if run is None:
                    bar.note(f"user {user_id}: already polled for {slot:%H:%M:%S}")
                else:
                    stored += run.stored
                    bar.note(
                        f"user {user_id}: {run.outcome}, {run.calls} call(s), "
                        f"{run.received} received, {run.stored} new"
                        + (f" ({run.error})" if run.error else "")
                    )
                bar.advance(step=f"{stored} new plays")
