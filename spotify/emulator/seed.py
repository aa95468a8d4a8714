"""Deterministic sandbox content."""

from spotify.emulator.models import SandboxUser

DEMO_NAMES = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Frances Allen",
]


def seed_users(count: int) -> list[SandboxUser]:
    users = []
    for index in range(count):
        name = DEMO_NAMES[index % len(DEMO_NAMES)]
        if index >= len(DEMO_NAMES):
            name = f"{name} {index // len(DEMO_NAMES) + 1}"
        spotify_id = name.lower().replace(" ", "")
        user, _ = SandboxUser.objects.get_or_create(
            spotify_id=spotify_id,
            defaults={"display_name": name, "account_id": f"acct{index:04d}{spotify_id}"[:22]},
        )
        users.append(user)
    return users
