"""Poll recently-played now, for one user or everyone, outside the hourly plan."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive.poller import poll_user, pollable_user_ids
from spotify import clock


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
        for user_id in user_ids:
            run = poll_user(user_id, slot)
            if run is None:
                self.stdout.write(f"user {user_id}: already polled for {slot:%H:%M:%S}")
                continue
            self.stdout.write(
                f"user {user_id}: {run.outcome}, {run.calls} call(s), {run.received} received, "
                f"{run.stored} new" + (f" ({run.error})" if run.error else "")
            )
