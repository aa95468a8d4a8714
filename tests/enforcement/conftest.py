"""A sandbox library with known blocked content, mirrored into Tunekeeper, ready to plan."""

from dataclasses import dataclass

import pytest

from bench.scenarios.common import connect, sandbox_user
from enforcement.benchmark import World, block_artists, library_state, seed_world
from playlists.refresh import refresh_library


@dataclass
class Scene:
    owner: object  # the sandbox user
    user: object  # the Tunekeeper user
    world: World
    original: object  # library_state before anything ran


def make_scene(name: str = "enforcer", **world_options) -> Scene:
    owner = sandbox_user(name)
    world = seed_world(owner, **world_options)
    original = library_state(owner)
    user = connect(owner)
    refresh_library(user)
    block_artists(user, world.blocked_artists)
    return Scene(owner=owner, user=user, world=world, original=original)


@pytest.fixture
def scene(sandbox_site, transactional_db):
    """Three playlists (one with a duplicate), liked songs, albums, artists; mirrored."""
    return make_scene()


@pytest.fixture
def spotify_faults():
    from spotify.emulator import faults

    faults.reset()
    yield faults
    faults.reset()
