"""The sandbox's Soulseek network: which peers share which files.

Songs are published into the world (tests do it directly; the demo also finds the sandbox
Spotify's catalog, so a demo playlist's tracks can be found). For each song a fixed cast of peers
shares realistic copies — hi-res FLAC album folders, CD rips with their cue and log, MP3 320
singles, V0 album folders, 128 kbps leftovers — next to the traps a downloader must avoid: a live
recording, a club remix, a karaoke version, a hi-res file of the wrong length, locked files.

Which peers share a song is derived from a hash of the song, so a scenario replays identically;
a test can name the peers itself.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime

from core import clock
from downloads.matching import normalize


@dataclass(frozen=True)
class Peer:
    username: str
    free_slot: bool
    queue_length: int
    upload_speed: int  # bytes per second, as the peer reports it (and as it really uploads)


@dataclass(frozen=True)
class Song:
    artist: str
    title: str
    album: str = ""
    duration_s: int = 215
    track_number: int = 1
    year: int = 2001
    album_tracks: int = 10

    @property
    def key(self) -> str:
        return normalize(f"{self.artist} {self.title} {self.album}")


@dataclass(frozen=True)
class SharedFile:
    peer: Peer
    filename: str
    size: int
    length: int | None
    bit_rate: int | None = None
    bit_depth: int | None = None
    sample_rate: int | None = None
    is_vbr: bool | None = None
    locked: bool = False

    def as_json(self) -> dict:
        data = {
            "filename": self.filename,
            "size": self.size,
            "extension": "",  # slskd often leaves it empty: clients read the filename
            "code": 1,
        }
        # Peers report what they like; absent values are left out, as slskd does with nulls.
        for key, value in (
            ("bitRate", self.bit_rate),
            ("bitDepth", self.bit_depth),
            ("sampleRate", self.sample_rate),
            ("length", self.length),
            ("isVariableBitRate", self.is_vbr),
        ):
            if value is not None:
                data[key] = value
        return data


PEERS = {
    peer.username: peer
    for peer in (
        Peer("flac_hoarder", True, 0, 4_000_000),
        Peer("cd_ripper", True, 0, 2_500_000),
        Peer("mp3_collector", True, 0, 1_200_000),
        Peer("vbr_fan", False, 3, 800_000),
        Peer("old_rips", True, 0, 300_000),
        Peer("bootlegger", True, 0, 3_000_000),
        Peer("dj_pool", True, 0, 5_000_000),
        Peer("karaoke_king", True, 0, 2_000_000),
        Peer("mislabeled", True, 0, 6_000_000),
        Peer("locked_vault", True, 0, 9_000_000),
        Peer("slow_hires", False, 40, 150_000),
    )
}
EVERY_PEER = tuple(PEERS)
# Shared by every song in the demo; the rest by some songs only (see default_peers).
ALWAYS = ("mp3_collector", "old_rips", "bootlegger", "dj_pool", "karaoke_king", "mislabeled")
SOMETIMES = {
    "flac_hoarder": 50,
    "cd_ripper": 70,
    "vbr_fan": 50,
    "locked_vault": 30,
    "slow_hires": 30,
}
NOWHERE_PERCENT = 8  # songs nobody shares: the demo's wishlist

# Bytes per second of audio, by kind of file (FLAC varies with the music; these are typical).
BYTES_PER_SECOND = {
    "flac 24/96": 350_000,
    "flac 24/192": 700_000,
    "flac 16/44.1": 112_000,
}


def _percent(song: Song, salt: str) -> int:
    digest = hashlib.sha256(f"{song.key}|{salt}".encode()).digest()
    return int.from_bytes(digest[:2], "big") % 100


def default_peers(song: Song) -> tuple[str, ...]:
    if _percent(song, "nowhere") < NOWHERE_PERCENT:
        return ()
    sometimes = tuple(name for name, pct in SOMETIMES.items() if _percent(song, name) < pct)
    return ALWAYS + sometimes


def _other_titles(song: Song) -> list[str]:
    return [f"Track {n:02d}" for n in range(1, song.album_tracks + 1) if n != song.track_number]


def files_for(song: Song, peers: tuple[str, ...]) -> list[SharedFile]:
    """Every file the named peers share for this song (including its album folders)."""
    a, t, n, d = song.artist, song.title, song.track_number, song.duration_s
    album = song.album or "Singles"
    files: list[SharedFile] = []

    def add(peer: str, filename: str, seconds: int | None, kind: str, **attrs) -> None:
        rate = BYTES_PER_SECOND.get(kind) or (attrs.get("bit_rate") or 128) * 125
        length = seconds if seconds is not None else d
        files.append(SharedFile(PEERS[peer], filename, int(rate * length), seconds, **attrs))

    def album_folder(peer: str, folder: str, name: str, kind: str, **attrs) -> None:
        add(peer, f"{folder}\\{name.format(n=n, title=t)}", d, kind, **attrs)
        for index, other in enumerate(_other_titles(song), start=1):
            number = index if index < n else index + 1
            add(peer, f"{folder}\\{name.format(n=number, title=other)}", 200, kind, **attrs)

    for peer in peers:
        if peer == "flac_hoarder":
            album_folder(
                peer,
                f"@@hoard\\Music\\{a}\\{song.year} - {album} [24-96 FLAC]",
                "{n:02d} - {title}.flac",
                "flac 24/96",
                bit_depth=24,
                sample_rate=96_000,
            )
        elif peer == "cd_ripper":
            folder = f"@@cdrip\\Rips\\{a} - {album} ({song.year})"
            album_folder(
                peer,
                folder,
                "{n:02d}. " + a + " - {title}.flac",
                "flac 16/44.1",
                bit_depth=16,
                sample_rate=44_100,
            )
            files.append(SharedFile(PEERS[peer], f"{folder}\\{a} - {album}.cue", 1_800, None))
            files.append(SharedFile(PEERS[peer], f"{folder}\\{a} - {album}.log", 6_200, None))
            files.append(SharedFile(PEERS[peer], f"{folder}\\folder.jpg", 240_000, None))
        elif peer == "mp3_collector":
            add(
                peer, f"@@mp3s\\Music\\Singles\\{a} - {t}.mp3", d, "mp3", bit_rate=320, is_vbr=False
            )
        elif peer == "vbr_fan":
            album_folder(
                peer,
                f"@@vbr\\{a}\\{album} (V0)",
                "{n:02d} {title}.mp3",
                "mp3",
                bit_rate=245,
                is_vbr=True,
            )
        elif peer == "old_rips":
            add(peer, f"@@old\\mp3\\{a} - {t}.mp3", d, "mp3", bit_rate=128, is_vbr=False)
        elif peer == "bootlegger":
            add(
                peer,
                f"@@boots\\{a} - Live at Wembley 1998\\{n:02d} {t} (Live).flac",
                d + 2,
                "flac 16/44.1",
                bit_depth=16,
                sample_rate=44_100,
            )
        elif peer == "dj_pool":
            add(
                peer,
                f"@@djpool\\Remixes\\{a} - {t} (Club Remix).mp3",
                d + 1,
                "mp3",
                bit_rate=320,
                is_vbr=False,
            )
        elif peer == "karaoke_king":
            add(
                peer,
                f"@@karaoke\\Karaoke Hits\\{t} (Karaoke Version) [In the Style of {a}].mp3",
                d,
                "mp3",
                bit_rate=320,
                is_vbr=False,
            )
        elif peer == "mislabeled":
            # Right names, wrong recording: 47 s longer (an extended mix filed as the original).
            add(
                peer,
                f"@@misc\\incoming\\{a} - {t}.flac",
                d + 47,
                "flac 24/96",
                bit_depth=24,
                sample_rate=96_000,
            )
        elif peer == "locked_vault":
            files.append(
                SharedFile(
                    PEERS[peer],
                    f"@@vault\\{a}\\{album}\\{n:02d} - {t}.flac",
                    int(700_000 * d),
                    d,
                    bit_depth=24,
                    sample_rate=192_000,
                    locked=True,
                )
            )
        elif peer == "slow_hires":
            add(
                peer,
                f"@@slow\\{a} - {album}\\{n:02d} - {t}.flac",
                d,
                "flac 24/96",
                bit_depth=24,
                sample_rate=96_000,
            )
    return files


@dataclass
class _Published:
    song: Song
    peers: tuple[str, ...]
    available_from: datetime | None = None


@dataclass
class _World:
    lock: threading.Lock = field(default_factory=threading.Lock)
    songs: dict[str, _Published] = field(default_factory=dict)
    # Songs found through the sandbox Spotify's catalog by recent searches, for folder browsing.
    recent: dict[str, _Published] = field(default_factory=dict)


_world = _World()


def publish(
    song: Song, *, peers: tuple[str, ...] | None = None, available_from: datetime | None = None
) -> Song:
    """Make a song findable (from `available_from` on, if given: someone shares it later)."""
    with _world.lock:
        _world.songs[song.key] = _Published(
            song, default_peers(song) if peers is None else tuple(peers), available_from
        )
    return song


def reset() -> None:
    with _world.lock:
        _world.songs.clear()
        _world.recent.clear()


def _published_now() -> list[_Published]:
    now = clock.now()
    with _world.lock:
        return [
            p for p in _world.songs.values() if p.available_from is None or p.available_from <= now
        ]


def _catalog_songs(terms: list[str]) -> list[_Published]:
    """Songs of the sandbox Spotify's catalog whose title carries the longest query term."""
    try:
        from sandbox.spotify.models import Track
    except ImportError:  # the sandbox Spotify is not installed
        return []
    if not terms:
        return []
    longest = max(terms, key=len)
    found = []
    try:
        rows = (
            Track.objects.filter(name__icontains=longest)
            .select_related("album__artist")
            .prefetch_related("artists")[:50]
        )
        for track in rows:
            artists = list(track.artists.all())
            artist = artists[0].name if artists else track.album.artist.name
            song = Song(
                artist=artist,
                title=track.name,
                album=track.album.name,
                duration_s=round(track.duration_ms / 1000),
                track_number=track.track_number,
                year=int(track.album.release_date[:4] or 2000),
                album_tracks=max(track.album.total_tracks or 1, track.track_number),
            )
            found.append(_Published(song, default_peers(song)))
    except Exception:  # the catalog is a convenience for the demo; never break a search on it
        return found
    return found


def search(text: str) -> list[SharedFile]:
    """Files whose full path carries every search term (`-word` excludes), as on Soulseek."""
    words = normalize(text.replace("-", " -")).split()
    raw = text.lower().split()
    excluded = {normalize(w[1:]) for w in raw if w.startswith("-") and len(w) > 1}
    terms = [w for w in normalize(" ".join(w for w in raw if not w.startswith("-"))).split()]
    terms = [w for w in terms if len(w) > 1]  # Soulseek drops single-character terms
    if not terms or not words:
        return []
    published = {p.song.key: p for p in _published_now()}
    if not published:
        for p in _catalog_songs(terms):
            published.setdefault(p.song.key, p)
        with _world.lock:
            _world.recent.update(published)
            while len(_world.recent) > 500:
                _world.recent.pop(next(iter(_world.recent)))
    results = []
    for entry in published.values():
        text_of_song = normalize(f"{entry.song.artist} {entry.song.title}")
        if not all(term in text_of_song.split() for term in terms[:2]):
            continue  # cheap pre-filter before building the song's files
        for shared in files_for(entry.song, entry.peers):
            path = f" {normalize(shared.filename)} "
            if all(f" {t} " in path for t in terms) and not any(f" {x} " in path for x in excluded):
                results.append(shared)
    return results


def folder(username: str, directory: str) -> list[SharedFile]:
    """Every file `username` shares in `directory` (browsing a folder, not searching)."""
    with _world.lock:
        entries = [*_world.songs.values(), *_world.recent.values()]
    now = clock.now()
    found: dict[str, SharedFile] = {}
    for entry in entries:
        if entry.available_from is not None and entry.available_from > now:
            continue
        if username not in entry.peers:
            continue
        for shared in files_for(entry.song, entry.peers):
            parent = shared.filename.rsplit("\\", 1)[0]
            if shared.peer.username == username and parent == directory:
                found[shared.filename] = shared
    return list(found.values())
