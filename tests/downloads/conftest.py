"""Fixtures for downloads: the sandbox slskd on the live test server, a simulated task queue
driven by a FakeClock, and catalog tracks/playlists to download."""

from __future__ import annotations

import heapq
import itertools
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache
from django.test import Client

from core import clock
from downloads import engine, http, scheduling, tasks, throttle
from downloads.client import SlskdClient
from downloads.http import Endpoint
from sandbox.slskd import network
from sandbox.slskd import state as sandbox


@pytest.fixture(autouse=True)
def fresh_sandbox_slskd():
    """The sandbox's searches, transfers, knobs and world are process state: start clean."""
    sandbox.reset()
    yield
    sandbox.reset()
    scheduling.use(None)


SANDBOX_SITE = "http://sandbox-slskd.test"


class InProcessTransport(requests.adapters.BaseAdapter):
    """Serves requests for the sandbox slskd through Django's test client, in this thread.

    Everything above the socket is real — the chokepoint, requests, Django's routing and the
    sandbox's views — but no server thread is involved, so tests keep their fast, rolled-back
    database transaction (a live server forces truncation after every test).
    """

    def __init__(self):
        super().__init__()
        self.client = Client()
        self.sent = 0

    def send(self, request, **kwargs):
        self.sent += 1
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in ("content-length", "content-type", "host")
        }
        answer = self.client.generic(
            request.method,
            path,
            data=body,
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            headers=headers,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.reason_phrase
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        response._content = answer.content
        response.url = request.url
        response.request = request
        return response

    def close(self):
        return None


def _use_sandbox(settings, site: str):
    settings.SITE_URL = site
    settings.SLSKD_URL = ""
    base = f"{site}/sandbox-slskd"
    instance = SlskdClient(Endpoint(base, sandbox.API_KEY)).instance_key

    def forget():
        throttle.reset(instance)
        engine.forget_pump(instance)
        cache.delete(f"slskd:version:{instance}")

    forget()
    sandbox.instance = instance
    sandbox.base_url = base
    return forget


@pytest.fixture
def slskd(settings, db):
    """The sandbox slskd as the household's slskd, answered in-process (see InProcessTransport).

    Yields the sandbox state module (knobs, search log, transfers) with `instance` (the
    throttle's key for it) and `base_url`. Throttle, pump and version caches are forgotten
    before and after.
    """
    forget = _use_sandbox(settings, SANDBOX_SITE)
    transport = InProcessTransport()
    session = http.session()
    session.mount(f"{SANDBOX_SITE}/", transport)
    sandbox.transport = transport
    yield sandbox
    session.adapters.pop(f"{SANDBOX_SITE}/", None)
    forget()


@pytest.fixture
def slskd_over_http(live_server, settings):
    """The sandbox slskd on the live test server: real sockets (and a truncated database)."""
    forget = _use_sandbox(settings, live_server.url)
    yield sandbox
    forget()


class SimulatedWorker:
    """A Celery stand-in: tasks scheduled with a countdown run in due order, and the FakeClock
    jumps to each one's due time. Records every task it ran."""

    def __init__(self, fake):
        self.clock = fake
        self.queue: list = []
        self.counter = itertools.count()
        self.ran: list[tuple] = []

    def __call__(self, task: str, args: list, seconds: float) -> None:
        due = self.clock.now() + timedelta(seconds=max(seconds, 0))
        heapq.heappush(self.queue, (due, next(self.counter), task, list(args)))

    def run(self, *, until=None, max_tasks: int = 100_000, stop=None) -> int:
        """Run due tasks in order until the queue is empty, `until` (a datetime) is passed,
        or `stop()` says so. Returns how many ran."""
        count = 0
        while self.queue and count < max_tasks:
            due, _, task, args = self.queue[0]
            if until is not None and due > until:
                break
            heapq.heappop(self.queue)
            if due > self.clock.now():
                self.clock.advance((due - self.clock.now()).total_seconds())
            getattr(tasks, task.rsplit(".", 1)[1])(*args)
            self.ran.append((self.clock.now(), task, tuple(args)))
            count += 1
            if stop is not None and stop():
                break
        if until is not None and self.clock.now() < until:
            self.clock.advance((until - self.clock.now()).total_seconds())
        return count


@pytest.fixture
def worker(fake_clock):
    simulated = SimulatedWorker(fake_clock)
    scheduling.use(simulated)
    yield simulated
    scheduling.use(None)


def publish(
    artist,
    title,
    *,
    album="",
    duration_s=215,
    peers=network.EVERY_PEER,
    available_from=None,
    **extra,
):
    """Share a song on the sandbox network (by every peer of the cast unless told)."""
    return network.publish(
        network.Song(artist, title, album, duration_s, **extra),
        peers=peers,
        available_from=available_from,
    )


@pytest.fixture
def make_track(db):
    """A catalog track (playlists.Track) with its artist and album."""
    from playlists.models import Album, Artist, ArtistRole, Track, TrackArtist

    counter = itertools.count(1)

    def make(artist="Nina Simone", title="Feeling Good", album="I Put a Spell on You", seconds=173):
        n = next(counter)
        now = clock.now()
        artist_row, _ = Artist.objects.get_or_create(
            id=f"ar{abs(hash(artist)) % 10**12:012d}", defaults={"name": artist, "fetched_at": now}
        )
        album_row, _ = Album.objects.get_or_create(
            id=f"al{abs(hash(album)) % 10**12:012d}", defaults={"name": album, "fetched_at": now}
        )
        track = Track.objects.create(
            id=f"tr{n:06d}{abs(hash(title)) % 10**8:08d}",
            name=title,
            album=album_row,
            duration_ms=seconds * 1000,
            artist_names=artist,
            fetched_at=now,
        )
        TrackArtist.objects.create(
            track=track, artist=artist_row, position=0, role=ArtistRole.PRIMARY
        )
        return track

    return make


@pytest.fixture
def make_playlist(db):
    from playlists.models import Playlist, PlaylistItem

    def make(user, tracks, name="Road trip"):
        playlist = Playlist.objects.create(
            user=user,
            spotify_id=f"pl{Playlist.objects.count():020d}",
            name=name,
            is_owner=True,
            listed_at=clock.now(),
        )
        PlaylistItem.objects.bulk_create(
            PlaylistItem(playlist=playlist, position=i, track=t, uri=t.uri)
            for i, t in enumerate(tracks)
        )
        return playlist

    return make
