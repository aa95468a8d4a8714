from django.core.management.base import BaseCommand

from spotify.emulator.seed import seed_users


class Command(BaseCommand):
    help = "Fill the sandbox Spotify with demo users (deterministic; safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=3, help="how many sandbox users")

    def handle(self, *args, users: int, **options):
        created = seed_users(users)
        for user in created:
            self.stdout.write(f"sandbox user: {user.display_name} ({user.spotify_id})")
