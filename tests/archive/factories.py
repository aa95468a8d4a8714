"""Builders for archive tests: users, catalog tracks, export records and files, API payloads."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from archive.models import HistoryProfile
from playlists.catalog import CatalogWriter
from spotify import types


def make_user(username: str = "ada", time_zone: str = "UTC"):
    user = get_user_model().objects.create(username=username)
    HistoryProfile.objects.create(user=user, time_zone=time_zone, rollup_time_zone=time_zone)
    return user


def track_id(number: int) -> str:
    return f"track{number:017d}"[:22]


def api_track(number: int, *, name: str | None = None, artist: str = "Artist", duration=200_000):
    """A track as Spotify's API embeds it (recently played, playlist items)."""
    return {
        "id": track_id(number),
        "uri": f"spotify:track:{track_id(number)}",
        "name": name or f"Song {number}",
        "duration_ms": duration,
        "explicit": False,
        "is_local": False,
        "external_ids": {"isrc": f"USABC{number:07d}"},
        "album": {
            "id": f"album{number:017d}"[:22],
            "name": f"Album {number}",
            "album_type": "album",
            "release_date": "2001-02-03",
            "release_date_precision": "day",
            "artists": [{"id": "artist" + artist.lower()[:16], "name": artist}],
        },
        "artists": [{"id": "artist" + artist.lower()[:16], "name": artist}],
    }


def make_track(number: int, **kwargs) -> str:
    writer = CatalogWriter(now=datetime(2026, 1, 1, tzinfo=UTC))
    writer.add_track(types.Track.from_api(api_track(number, **kwargs)))
    writer.flush()
    return track_id(number)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def extended_record(number: int, ended: datetime, ms_played: int = 180_000, **extra) -> dict:
    record = {
        "ts": iso(ended),
        "platform": "android",
        "ms_played": ms_played,
        "conn_country": "DE",
        "ip_addr": "192.0.2.1",
        "master_metadata_track_name": f"Song {number}",
        "master_metadata_album_artist_name": "Artist",
        "master_metadata_album_album_name": f"Album {number}",
        "spotify_track_uri": f"spotify:track:{track_id(number)}",
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": 0,
        "incognito_mode": False,
    }
    record.update(extra)
    return record


def episode_record(ended: datetime) -> dict:
    return extended_record(
        0,
        ended,
        spotify_track_uri=None,
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        episode_name="Episode 1",
        episode_show_name="A Show",
        spotify_episode_uri="spotify:episode:abc",
    )


def audiobook_record(ended: datetime) -> dict:
    return extended_record(
        0,
        ended,
        spotify_track_uri=None,
        master_metadata_track_name=None,
        audiobook_title="A Book",
        audiobook_uri="spotify:audiobook:abc",
        audiobook_chapter_uri="spotify:chapter:abc",
    )


def account_record(artist: str, title: str, ended: datetime, ms_played: int = 180_000) -> dict:
    return {
        "endTime": ended.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        "artistName": artist,
        "trackName": title,
        "msPlayed": ms_played,
    }


def json_upload(name: str, records) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(records).encode(), "application/json")


def raw_upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/octet-stream")


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def recently_played_payload(plays: list[tuple[int, datetime]], limit: int = 50) -> dict:
    """A GET /me/player/recently-played body, newest first, as the OpenAPI describes it."""
    items = [
        {
            "track": api_track(number),
            "played_at": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "context": {
                "type": "playlist",
                "uri": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
                "href": "https://api.spotify.com/v1/playlists/37i9dQZF1DXcBWIGoYBM5M",
                "external_urls": {"spotify": "https://open.spotify.com/playlist/x"},
            },
        }
        for number, moment in sorted(plays, key=lambda p: p[1], reverse=True)
    ]
    cursors = None
    if items:
        newest = max(moment for _, moment in plays)
        oldest = min(moment for _, moment in plays)
        cursors = {
            "after": str(int(newest.timestamp() * 1000)),
            "before": str(int(oldest.timestamp() * 1000)),
        }
    return {
        "items": items,
        "next": None,
        "cursors": cursors,
        "limit": limit,
        "href": "https://api.spotify.com/v1/me/player/recently-played",
    }


def owned_import_job(owner) -> dict:
    """For the security suite: an import job `owner` owns, as URL kwargs."""
    from archive.models import ImportJob

    job = ImportJob.objects.create(user=owner, min_ms_played=30_000, upload_dir="")
    return {"pk": job.pk}


# --- for tests/security: factory(owner) → URL kwargs of something only the owner may see ---------


def _owner_has_played(owner) -> str:
    """A track the owner played once; returns its id."""
    from django.db import transaction

    from archive import plays
    from archive.models import PlaySource

    HistoryProfile.objects.get_or_create(user=owner)
    number = 7000 + owner.pk
    make_track(number, artist=f"Security Artist {owner.pk}")
    with transaction.atomic():
        plays.store(
            owner.pk,
            [
                plays.NewPlay(
                    track_id=track_id(number),
                    played_at=datetime(2025, 3, 1, tzinfo=UTC),
                    source=PlaySource.EXTENDED,
                    ms_played=100_000,
                )
            ],
        )
    return track_id(number)


def _played_artist(owner) -> dict:
    from playlists.models import TrackArtist

    link = TrackArtist.objects.get(track_id=_owner_has_played(owner))
    return {"subject_id": link.artist_id}


def _played_album(owner) -> dict:
    from playlists.models import Track

    return {"subject_id": Track.objects.get(pk=_owner_has_played(owner)).album_id}


def _share_link(owner) -> dict:
    from archive.rewind import share

    return {"pk": share(owner, 2025, None).pk}


def _revoked_share_token(owner) -> dict:
    """A share link is public by design; a revoked one shows nothing to anyone."""
    from archive.rewind import revoke, share

    link = share(owner, 2025, None)
    revoke(owner, link.pk)
    return {"token": link.token}


OWNED_OBJECTS = {
    "history_track": lambda owner: {"subject_id": _owner_has_played(owner)},
    "history_artist": _played_artist,
    "history_album": _played_album,
    "history_rewind_revoke": _share_link,
    "rewind_shared": _revoked_share_token,
}
