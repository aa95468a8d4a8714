"""MusicBrainz WS/2 JSON in the shapes recorded in reference/musicbrainz-api.md (§2 ISRC lookup,
§3 recording lookup with releases + release groups, §4 release group, §5 search, §7 errors).
Values are illustrative; the keys, nesting and types are MusicBrainz's."""

from __future__ import annotations

MB = "https://musicbrainz.org/ws/2"
HELP = "For usage, please see: https://musicbrainz.org/development/mmd"

GENRE_LIST_TXT = "\n".join(
    [
        "big beat",
        "breakbeat",
        "drum and bass",
        "electronic",
        "hip hop",
        "j-pop",
        "pop",
        "post-punk",
        "r&b",
        "rock",
        "synth-pop",
        "trip hop",
    ]
)

ARTIST = {
    "id": "1946a82a-f927-40c2-8235-38d64f50d043",
    "name": "The Chemical Brothers",
    "sort-name": "Chemical Brothers, The",
    "type": "Group",
    "type-id": "e431f5f6-b5d2-343d-8b36-72607fffb74b",
    "disambiguation": "",
    "country": "GB",
    "tags": [
        {"name": "electronic", "count": 7},
        {"name": "big beat", "count": 5},
        {"name": "british", "count": 3},
    ],
}


def isrc_lookup(isrc: str, recordings: list[dict]) -> dict:
    return {"isrc": isrc, "recordings": recordings}


def recording(
    mbid: str,
    title: str,
    *,
    length: int | None = 289946,
    first_release_date: str = "1999-06-21",
    isrcs: tuple[str, ...] = (),
    tags: tuple[tuple[str, int], ...] = (("big beat", 3), ("Hip-Hop", 1), ("seen live", 2)),
    artist: dict = ARTIST,
    video: bool = False,
) -> dict:
    return {
        "id": mbid,
        "title": title,
        "length": length,
        "video": video,
        "disambiguation": "",
        "first-release-date": first_release_date,
        "isrcs": list(isrcs),
        "tags": [{"name": name, "count": count} for name, count in tags],
        "artist-credit": [{"name": artist["name"], "joinphrase": "", "artist": artist}],
    }


def recording_with_releases(mbid: str, title: str, groups: list[dict]) -> dict:
    data = recording(mbid, title)
    data["releases"] = [
        {
            "id": f"rel-{index}",
            "title": group["title"],
            "status": "Official",
            "status-id": "4e304316-386d-3409-af2e-78857eec5cfe",
            "date": group.get("first-release-date", ""),
            "country": "GB",
            "release-events": [],
            "barcode": "",
            "packaging": None,
            "quality": "normal",
            "text-representation": {"language": "eng", "script": "Latn"},
            "disambiguation": "",
            "release-group": {
                "id": group["id"],
                "title": group["title"],
                "primary-type": group["primary-type"],
                "primary-type-id": "f529b476-6e62-324f-b0aa-1f3e33d313fc",
                "secondary-types": group.get("secondary-types", []),
                "secondary-type-ids": [],
                "first-release-date": group.get("first-release-date", ""),
                "disambiguation": "",
                "genres": [],  # never loaded inside a recording lookup (§0.5)
                "tags": [],
            },
        }
        for index, group in enumerate(groups)
    ]
    return data


def release_group(mbid: str, title: str, *, tags=(("breakbeat", 4), ("electronic", 6))) -> dict:
    return {
        "id": mbid,
        "title": title,
        "primary-type": "Album",
        "primary-type-id": "f529b476-6e62-324f-b0aa-1f3e33d313fc",
        "secondary-types": [],
        "secondary-type-ids": [],
        "first-release-date": "1999-06-21",
        "disambiguation": "",
        "genres": [
            {"id": f"g-{name}", "name": name, "count": count, "disambiguation": ""}
            for name, count in tags
        ],
        "tags": [{"name": name, "count": count} for name, count in tags],
    }


def search_hit(
    mbid: str,
    title: str,
    artist_name: str,
    *,
    score: int = 100,
    length: int | None = 200000,
    first_release_date: str = "2001-01-01",
    tags: tuple[tuple[str, int], ...] = (("synth-pop", 2),),
    group_id: str = "rg-search-1",
    isrcs: tuple[str, ...] = (),
) -> dict:
    return {
        "id": mbid,
        "score": score,
        "title": title,
        "length": length,
        "video": None,
        "artist-credit": [
            {
                "name": artist_name,
                "artist": {
                    "id": f"artist-{artist_name.lower().replace(' ', '-')}",
                    "name": artist_name,
                    "sort-name": artist_name,
                },
            }
        ],
        "artist-credit-id": "ac-1",
        "first-release-date": first_release_date,
        "releases": [
            {
                "id": "rel-s-1",
                "title": "Some Album",
                "status": "Official",
                "status-id": "4e304316-386d-3409-af2e-78857eec5cfe",
                "release-group": {
                    "id": group_id,
                    "primary-type": "Album",
                    "secondary-types": [],
                },
                "date": first_release_date,
                "country": "XE",
                "release-events": [],
                "track-count": 10,
                "media": [],
            }
        ],
        "isrcs": list(isrcs),
        "tags": [{"count": count, "name": name} for name, count in tags],
    }


def search_results(hits: list[dict]) -> dict:
    return {
        "created": "2026-11-24T12:00:00.000Z",
        "count": len(hits),
        "offset": 0,
        "recordings": hits,
    }


NOT_FOUND = {"error": "Not Found", "help": HELP}
BAD_INC = {"error": "genres is not a valid inc parameter for the isrc resource.", "help": HELP}
RATE_LIMITED = {
    "error": "Your requests are exceeding the allowable rate limit. Please see "
    "http://wiki.musicbrainz.org/XMLWebService for more information."
}
RATE_LIMITED_HEADERS = {
    "Retry-After": "1",
    "X-RateLimit-Zone": "ws ip=203.0.113.7",
    "X-RateLimit-Limit": "1",
    "X-RateLimit-Remaining": "0",
    "Server": "openresty",
}
BUSY = {"error": "The MusicBrainz web server is currently busy. Please try again later."}
BUSY_HEADERS = {"Retry-After": "0", "X-RateLimit-Zone": "global", "Server": "openresty"}
