from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.spotify.accounts import SANDBOX_CLIENT_IDS
from sandbox.spotify.models import IssuedToken, SandboxUser

# Every scope the sandbox knows, so any client can do anything the sandbox emulates.
ALL_SCOPES = [
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-public",
    "playlist-modify-private",
    "user-library-read",
    "user-library-modify",
    "user-follow-read",
    "user-follow-modify",
    "user-read-recently-played",
    "user-top-read",
    "user-read-private",
    "user-read-email",
]


class Command(BaseCommand):
    help = (
        "Print a fresh access token (all scopes, one hour) for a sandbox user — the first one "
        "when none is named — for curl, spotipy or any other Spotify client pointed at the "
        "sandbox's /v1."
    )

    def add_arguments(self, parser):
        parser.add_argument("spotify_id", nargs="?", help="the sandbox user's Spotify id")
        parser.add_argument(
            "--seconds", type=int, default=3600, help="token lifetime (default 3600)"
        )

    def handle(self, *args, spotify_id=None, seconds=3600, **options):
        users = SandboxUser.objects.order_by("id")
        user = users.filter(spotify_id=spotify_id).first() if spotify_id else users.first()
        if user is None:
            known = ", ".join(users.values_list("spotify_id", flat=True)) or "none yet"
            raise CommandError(
                f"No sandbox user {spotify_id!r} (known: {known}); run manage.py sandbox_seed"
                if spotify_id
                else "No sandbox users yet; run manage.py sandbox_seed"
            )
        if seconds < 1:
            raise CommandError("--seconds must be positive")
        client_id = (
            settings.SPOTIFY_CLIENT_ID
            if settings.SPOTIFY_CLIENT_ID in SANDBOX_CLIENT_IDS
            else sorted(SANDBOX_CLIENT_IDS)[0]
        )
        issued = IssuedToken.issue(user, client_id, " ".join(ALL_SCOPES), seconds=seconds)
        self.stdout.write(issued.access_token)
        self.stderr.write(
            f"token for {user.display_name} ({user.spotify_id}), valid {seconds} s; API base: "
            f"{settings.SANDBOX_BASE_URL}/v1"
        )
