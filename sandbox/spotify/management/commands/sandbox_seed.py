import time

from django.core.management.base import BaseCommand, CommandError

from ops.terminal import CountProgress
from sandbox.spotify.seed import DEMO_PLAYLIST_SIZES, seed_demo, wipe


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(
            "--playlist-sizes takes comma-separated numbers, e.g. 10,50,200"
        ) from None
    if any(size < 0 for size in sizes):
        raise CommandError("--playlist-sizes cannot be negative")
    return sizes


class Command(BaseCommand):
    help = (
        "Fill the sandbox Spotify with demo users, a catalog and their libraries. Deterministic "
        "(--seed); users that already have a library are left alone unless --reset wipes the "
        "sandbox first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=3, help="how many sandbox users")
        parser.add_argument("--tracks", type=int, default=2000, help="catalog size")
        parser.add_argument(
            "--playlist-sizes",
            type=_sizes,
            default=DEMO_PLAYLIST_SIZES,
            help="sizes of the first user's playlists, comma-separated (others get a quarter)",
        )
        parser.add_argument("--liked", type=int, default=600, help="the first user's liked songs")
        parser.add_argument("--saved-albums", type=int, default=40)
        parser.add_argument("--followed-artists", type=int, default=60)
        parser.add_argument("--plays", type=int, default=200, help="listening history length")
        parser.add_argument("--seed", type=int, default=0, help="random seed")
        parser.add_argument(
            "--reset", action="store_true", help="wipe the catalog and every library first"
        )

    def handle(self, *args, **options):
        for name in ("users", "tracks", "liked", "saved_albums", "followed_artists", "plays"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative")
        if options["users"] < 1:
            raise CommandError("--users must be at least 1")
        started = time.monotonic()
        if options["reset"]:
            wipe()
            self.stdout.write("sandbox wiped (users and tokens kept)")
        with CountProgress(
            self.stdout, total=options["users"] + 1, step="Building the catalog"
        ) as bar:

            def step_done(what: str) -> None:
                bar.advance(step=f"{what} done")

            results = seed_demo(
                users=options["users"],
                tracks=options["tracks"],
                playlists=options["playlist_sizes"],
                liked=options["liked"],
                saved_albums=options["saved_albums"],
                followed_artists=options["followed_artists"],
                plays=options["plays"],
                rng_seed=options["seed"],
                on_step=step_done,
            )
        for user, counts in results:
            if counts is None:
                self.stdout.write(
                    f"sandbox user: {user.display_name} ({user.spotify_id}) — library kept"
                )
            else:
                summary = ", ".join(
                    f"{value} {key.replace('_', ' ')}" for key, value in counts.items()
                )
                self.stdout.write(
                    f"sandbox user: {user.display_name} ({user.spotify_id}) — {summary}"
                )
        self.stdout.write(f"seeded in {time.monotonic() - started:.1f} s")
