"""A synthetic Spotify extended-history export (the account-data "Streaming_History_Audio_N.json"
files), shared by the archive benchmark command (manage.py archive_bench) and `make bench`'s
archive scenarios: both measure the importer on the same files.
"""

from __future__ import annotations

import json
import multiprocessing
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.spotify_export import LocalFile

FILE_RECORDS = 25_000  # about what one of Spotify's ~12 MB files holds


def fake_history(records: int, tracks: int, seed: int = 7):
    """Extended-history records, oldest first, ~3.5 minutes apart with nightly breaks."""
    rng = random.Random(seed)
    moment = datetime(2016, 1, 1, 8, tzinfo=UTC)
    weights = [1 / (rank + 1) for rank in range(tracks)]  # a few favourites, a long tail
    numbers = rng.choices(range(tracks), weights=weights, k=records)
    for index, number in enumerate(numbers):
        moment += timedelta(seconds=rng.randint(150, 260))
        if moment.hour >= 23:
            moment += timedelta(hours=9)
        kind = index % 50
        yield {
            "ts": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "platform": "Android OS",
            "ms_played": rng.randint(5_000, 260_000),
            "conn_country": "DE",
            "ip_addr": "192.0.2.1",
            "master_metadata_track_name": f"Song {number}",
            "master_metadata_album_artist_name": f"Artist {number % 2000}",
            "master_metadata_album_album_name": f"Album {number % 6000}",
            "spotify_track_uri": None if kind == 0 else f"spotify:track:bench{number:017d}",
            "episode_name": "An episode" if kind == 0 else None,
            "episode_show_name": "A show" if kind == 0 else None,
            "spotify_episode_uri": "spotify:episode:x" if kind == 0 else None,
            "audiobook_title": None,
            "audiobook_uri": None,
            "audiobook_chapter_uri": None,
            "audiobook_chapter_title": None,
            "reason_start": "trackdone",
            "reason_end": "trackdone",
            "shuffle": bool(index % 2),
            "skipped": False,
            "offline": False,
            "offline_timestamp": 0,
            "incognito_mode": False,
        }


def _file_number(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def _write_history(folder: Path, records: int, tracks: int) -> None:
    batch, number = [], 0
    for record in fake_history(records, tracks):
        batch.append(record)
        if len(batch) == FILE_RECORDS:
            (folder / f"Streaming_History_Audio_{number}.json").write_text(
                json.dumps(batch, indent=2)
            )
            batch, number = [], number + 1
    if batch:
        (folder / f"Streaming_History_Audio_{number}.json").write_text(json.dumps(batch, indent=2))


def write_history_files(folder: Path, records: int, tracks: int) -> list[LocalFile]:
    """Write `records` plays over `tracks` songs into `folder`, as the export splits them."""
    # In a child process, so building the JSON does not count in this one's peak memory.
    child = multiprocessing.get_context("fork").Process(
        target=_write_history, args=(folder, records, tracks)
    )
    child.start()
    child.join()
    return [LocalFile(path) for path in sorted(folder.glob("*.json"), key=_file_number)]
