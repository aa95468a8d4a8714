"""Enforcement from a shell, without Celery.

manage.py enforce USERNAME                 # plan (dry run) and print the summary
manage.py enforce USERNAME --execute       # plan and execute here
manage.py enforce USERNAME --run BATCH     # execute (or resume) batch BATCH here
manage.py enforce USERNAME --rollback BATCH
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from enforcement.executor import AlreadyRunning, NotExecutable, execute, run
from enforcement.models import ActionBatch, ItemKind
from enforcement.planner import pace_seconds, plan
from enforcement.rollback import RollbackNotAllowed, rollback
from ops.terminal import JobProgress


class Command(BaseCommand):
    help = "Plan, execute or roll back blocklist enforcement for one user, in this process."

    def add_arguments(self, parser):
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--execute", action="store_true", help="plan, then execute")
        group.add_argument("--run", type=int, metavar="BATCH", help="execute or resume a batch")
        group.add_argument("--rollback", type=int, metavar="BATCH", help="roll back a batch")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user called {username!r}")
        try:
            if options["run"] or options["rollback"]:
                batch = ActionBatch.objects.filter(
                    user=user, pk=options["run"] or options["rollback"]
                ).first()
                if batch is None:
                    raise CommandError("no such batch for this user")
                if options["rollback"]:
                    with JobProgress(self.stderr, _newest_batch_of(user)):
                        batch = rollback(batch)
                else:
                    with JobProgress(self.stderr, _newest_batch_of(user, batch.pk)):
                        batch = execute(batch) if batch.dry_run else run(batch)
            else:
                batch = plan(user)
                self.describe(batch)
                if not options["execute"]:
                    return
                with JobProgress(self.stderr, _newest_batch_of(user, batch.pk)):
                    batch = execute(batch)
        except (AlreadyRunning, NotExecutable, RollbackNotAllowed) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"batch {batch.pk}: {batch.get_status_display()} — {batch.step} "
            f"({batch.calls_made} Spotify calls){': ' + batch.error if batch.error else ''}"
        )

    def describe(self, batch):
        self.stdout.write(f"plan {batch.pk} (dry run): {batch.total} actions")
        for kind, label in ItemKind.choices:
            count = batch.items.filter(kind=kind, selected=True).count()
            if count:
                self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            f"  {batch.calls_estimated} Spotify calls, about "
            f"{pace_seconds(batch.calls_estimated):.0f} s at the current pace"
        )
        for warning in batch.warnings:
            self.stdout.write(self.style.WARNING(f"  {warning}"))


def _newest_batch_of(user, pk: int | None = None):
    """What the progress bar follows: this batch, or the user's newest one (a rollback)."""

    def find():
        batches = ActionBatch.objects.filter(user=user)
        return batches.filter(pk=pk).first() if pk else batches.order_by("-pk").first()

    return find
