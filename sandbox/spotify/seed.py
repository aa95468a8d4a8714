"""Deterministic sandbox content: users, a catalog, and each user's library.

    users = seed_users(3)
    seed_library(users[0], tracks=2000, playlists=DEMO_PLAYLIST_SIZES, collaborator=users[1])
    big = seed_playlist(users[0], items=10_000)

Everything is drawn from random.Random instances seeded with strings derived from `rng_seed`,
so the same calls on an empty sandbox give the same ids, names, ISRCs and dates (times are
relative to `anchor`, which defaults to today's midnight UTC on core.clock). Rows are written
with bulk_create: a 50,000-track catalog and library take seconds, not minutes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from core import clock
from sandbox.spotify.ids import base62_id, local_uri
from sandbox.spotify.models import (
    Album,
    Artist,
    AuthorizationCode,
    FollowedArtist,
    IssuedToken,
    Mutation,
    Play,
    Playlist,
    PlaylistFollow,
    PlaylistItem,
    SandboxUser,
    SavedAlbum,
    SavedTrack,
    Track,
    TrackArtist,
    snapshot_for,
)

DEMO_NAMES = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Frances Allen",
]
# The first user's playlists in the demo: small to large, ~3,000 items in all.
DEMO_PLAYLIST_SIZES = [
    12, 25, 40, 60, 80, 100, 150, 200, 30, 45, 75, 120, 250, 18, 33, 90, 140, 500, 8, 1000,
]  # fmt: skip

BATCH = 2000
VARIOUS_ARTISTS = "Various Artists"

# --- Word lists (enough variety for a few thousand albums to read as a real library) --------------

_FIRST = [
    "Mara", "Jonas", "Aiko", "Theo", "Lena", "Kwame", "Ines", "Otto", "Saoirse", "Mateo", "Yara",
    "Felix", "Nadia", "Björn", "Amélie", "Ravi", "Sofia", "Émile", "Hana", "Leif", "Zadie",
    "Ólafur", "Chiara", "Dmitri", "Ngozi", "Tomás", "Ingrid", "Kenji", "Rosa", "Ezra",
]  # fmt: skip
_LAST = [
    "Lindqvist", "Okafor", "Moreau", "Tanaka", "Hart", "Novak", "Silva", "Brennan", "Haddad",
    "Weiss", "Quinn", "Castillo", "Sørensen", "Fitzgerald", "Kowalski", "Andersen", "Delacroix",
    "Mbeki", "Varga", "Holm", "Reyes", "Abernathy", "Nakamura", "Ferreira", "Young", "Larsen",
]  # fmt: skip
_BAND_ADJ = [
    "Velvet", "Electric", "Quiet", "Golden", "Paper", "Neon", "Wandering", "Hollow", "Crimson",
    "Silver", "Midnight", "Northern", "Glass", "Restless", "Lunar", "Wild", "Static", "Blue",
]  # fmt: skip
_BAND_NOUN = [
    "Owls", "Harbours", "Engines", "Tigers", "Lanterns", "Satellites", "Foxes", "Pilots", "Rivers",
    "Machines", "Gardens", "Ghosts", "Horses", "Comets", "Choir", "Parade", "Arcade", "Collective",
]  # fmt: skip
_WORDS = [
    "Midnight", "Summer", "Paper", "Heart", "River", "Stars", "Highway", "Echo", "Gold", "Rain",
    "Neon", "Ocean", "Fire", "Glass", "Dream", "Shadow", "Light", "Winter", "City", "Signal",
    "Garden", "Silence", "Thunder", "Velvet", "Mirror", "Morning", "Satellite", "Wild", "Static",
    "Harbour", "Lanterns", "Honey", "Ghost", "Orbit", "Salt", "Ember", "Fever", "Tide", "Blossom",
]  # fmt: skip
_TRACK_PATTERNS = [
    "{a} {b}", "The {a}", "{a} of {b}", "{a} in the {b}", "Into the {a}", "{a}", "My {a}",
    "{a} & {b}", "No More {a}", "Last {a}", "{a} Song", "Under the {a}", "{a} (Interlude)",
]  # fmt: skip
_ALBUM_PATTERNS = [
    "{a} {b}", "The {a} Sessions", "{a}", "Songs from the {a}", "{a} & {b}", "Tales of {a}",
    "{a} Hours", "Live at the {a}", "{a} Deluxe Edition", "Greatest {a}",
]  # fmt: skip
_GENRES = [
    "indie rock", "dream pop", "synthpop", "jazz", "soul", "neo soul", "folk", "indie folk",
    "hip hop", "trip hop", "techno", "house", "ambient", "post-rock", "shoegaze", "punk",
    "classical", "bossa nova", "afrobeat", "k-pop", "metal", "singer-songwriter", "funk", "disco",
]  # fmt: skip
_LABELS = [
    "Northern Lights Records", "Paper Boat Music", "Harbour Sound", "Glasshouse", "Blue Owl",
    "Static Arcade", "Velvet Tide Recordings", "Ember & Ash", "Satellite Union",
]  # fmt: skip
# ISRC country codes, weighted roughly like a real library (US and GB dominate).
_ISRC_COUNTRIES = (
    ["US"] * 6 + ["GB"] * 4 + ["DE", "SE", "FR", "NL", "JP", "CA", "AU", "BR", "IS", "NO"]
)
_PLAYLIST_NAMES = [
    "Morning Run", "Deep Focus", "Sunday Kitchen", "Road Trip", "Late Night Drive", "Rainy Days",
    "Dinner Party", "Workout Mix", "Chill Evenings", "Throwbacks", "New Finds", "Sleep",
    "Summer 2024", "Coding Flow", "Party Starters", "Acoustic Corner", "Jazz Nights",
    "Liked Archive", "Car Singalongs", "Everything", "Heavy Rotation", "Walks in the Park",
]  # fmt: skip
_DESCRIPTIONS = [
    "", "", "Songs for the way to work.", "Keep it calm.", "Turn it up!",
    "Collected over the years.", "Shared with the household.", "No skips allowed.",
]  # fmt: skip
_LOCAL_FILES = [
    ("Demo Tape", "Garage Band 1998", "Basement Session"),
    ("Aunt Rosa", "Family Recordings", "Happy Birthday (live)"),
    ("Unknown Artist", "Ripped CD", "Track 07"),
    ("The Neighbours", "Bootleg", "Encore"),
]


def _rng(seed: int, *parts) -> random.Random:
    # String seeds are hashed with SHA-512 by random.Random: stable across runs and machines.
    return random.Random(":".join(str(part) for part in (seed, *parts)))


def _pick(rng: random.Random, words: list[str]) -> str:
    return words[rng.randrange(len(words))]


def _title(rng: random.Random, patterns: list[str]) -> str:
    return _pick(rng, patterns).format(a=_pick(rng, _WORDS), b=_pick(rng, _WORDS))


def _upc(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(11)]
    odd = sum(digits[0::2]) * 3 + sum(digits[1::2])
    return "".join(map(str, digits)) + str((10 - odd % 10) % 10)


def default_anchor() -> datetime:
    now = clock.now()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


# --- Users ----------------------------------------------------------------------------------------


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


# --- Catalog --------------------------------------------------------------------------------------


@dataclass
class _ArtistSeed:
    index: int
    spotify_id: str
    name: str
    country: str
    registrant: str


def _artist_seed(seed: int, index: int) -> _ArtistSeed:
    rng = _rng(seed, "artist", index)
    spotify_id = base62_id(rng)
    roll = rng.random()
    if roll < 0.45:
        name = f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"
    elif roll < 0.85:
        name = f"The {_pick(rng, _BAND_ADJ)} {_pick(rng, _BAND_NOUN)}"
    else:
        name = f"{_pick(rng, _BAND_ADJ)} {_pick(rng, _BAND_NOUN)}"
    registrant = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(3))
    return _ArtistSeed(index, spotify_id, name, _pick(rng, _ISRC_COUNTRIES), registrant)


def _artist_row(seed: int, info: _ArtistSeed) -> Artist:
    rng = _rng(seed, "artist-meta", info.index)
    return Artist(
        spotify_id=info.spotify_id,
        name=info.name,
        genres=sorted(rng.sample(_GENRES, rng.randint(1, 3))),
        popularity=rng.randint(5, 95),
        followers=int(rng.paretovariate(1.2) * 1000),
    )


def _release(rng: random.Random) -> tuple[str, str]:
    year = max(1955, 2026 - int(abs(rng.gauss(0, 16))))
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    roll = rng.random()
    # Old releases often carry only a year (or a month), as on Spotify.
    if (year < 1980 and roll < 0.55) or (year >= 1980 and roll < 0.05):
        return f"{year}", "year"
    if (year < 1980 and roll < 0.7) or (year >= 1980 and roll < 0.13):
        return f"{year}-{month:02d}", "month"
    return f"{year}-{month:02d}-{day:02d}", "day"


@transaction.atomic
def build_catalog(tracks: int, *, rng_seed: int = 0) -> int:
    """Make sure the catalog holds at least `tracks` tracks; returns how many were added.

    Albums are generated one after another, each from its own seeded rng, so growing a
    catalog continues the same sequence a single larger call would have produced.
    """
    existing = Track.objects.count()
    if existing >= tracks:
        return 0
    artists_by_id = {a.spotify_id: a for a in Artist.objects.all()}
    album_index = Album.objects.count()
    artist_pool = max(12, tracks // 14)
    various = artists_by_id.get(_various_id(rng_seed))
    new_artists: dict[str, Artist] = {}

    def artist_for(index: int) -> Artist:
        info = _artist_seed(rng_seed, index)
        artist = artists_by_id.get(info.spotify_id) or new_artists.get(info.spotify_id)
        if artist is None:
            artist = _artist_row(rng_seed, info)
            new_artists[info.spotify_id] = artist
        artist.seed_info = info
        return artist

    if various is None:
        various = Artist(spotify_id=_various_id(rng_seed), name=VARIOUS_ARTISTS)
        new_artists[various.spotify_id] = various

    albums: list[Album] = []
    album_tracks: list[tuple[Album, list[tuple[tuple, list[tuple[Artist, str]]]]]] = []
    last_album_track: dict[str, tuple[str, str, int]] = {}
    count = existing
    while count < tracks:
        rng = _rng(rng_seed, "album", album_index)
        album_index += 1
        main = artist_for(int(artist_pool * rng.random() ** 1.6))
        roll = rng.random()
        if roll < 0.62:
            album_type, size = Album.AlbumType.ALBUM, rng.randint(8, 16)
        elif roll < 0.93:
            album_type, size = Album.AlbumType.SINGLE, rng.choice((1, 1, 1, 2, 3))
        else:
            album_type, size = Album.AlbumType.COMPILATION, rng.randint(10, 18)
        discs = 2 if album_type == Album.AlbumType.ALBUM and rng.random() < 0.12 else 1
        release_date, precision = _release(rng)
        year = release_date[:4]
        owner = various if album_type == Album.AlbumType.COMPILATION else main
        album = Album(
            spotify_id=base62_id(rng),
            name=_title(rng, _ALBUM_PATTERNS),
            album_type=album_type,
            artist=owner,
            release_date=release_date,
            release_date_precision=precision,
            total_tracks=size * discs,
            upc=_upc(rng),
            label=_pick(rng, _LABELS),
            popularity=rng.randint(0, 90),
        )
        albums.append(album)
        rows = []
        for disc in range(1, discs + 1):
            for number in range(1, size + 1):
                performer = (
                    artist_for(int(artist_pool * rng.random() ** 1.3))
                    if album_type == Album.AlbumType.COMPILATION
                    else main
                )
                info = performer.seed_info
                name = _title(rng, _TRACK_PATTERNS)
                duration = int(min(max(rng.gauss(215, 55), 75), 540) * 1000)
                isrc = f"{info.country}{info.registrant}{year[2:]}{rng.randrange(100000):05d}"
                reused = last_album_track.get(main.spotify_id)
                if (
                    album_type == Album.AlbumType.SINGLE
                    and number == 1
                    and reused
                    and rng.random() < 0.4
                ):
                    # The single and the album carry the same recording: same name and ISRC.
                    name, isrc, duration = reused
                credits = [(performer, TrackArtist.Role.PRIMARY)]
                extra = rng.random()
                if extra < 0.04:
                    credits.append(
                        (artist_for(rng.randrange(artist_pool)), TrackArtist.Role.PRIMARY)
                    )
                elif extra < 0.16:
                    guest = artist_for(rng.randrange(artist_pool))
                    if guest.spotify_id != performer.spotify_id:
                        credits.append((guest, TrackArtist.Role.FEATURED))
                        if rng.random() < 0.5:
                            name = f"{name} (feat. {guest.name})"
                # A plain tuple, not a model instance: 50,000 of them go in with raw INSERTs.
                track = (
                    base62_id(rng),
                    name,
                    disc,
                    number,
                    duration,
                    rng.random() < 0.14,
                    isrc,
                    rng.randint(0, 95),
                )
                rows.append((track, _dedupe_credits(credits)))
                if album_type == Album.AlbumType.ALBUM:
                    last_album_track[main.spotify_id] = (name, isrc, duration)
        album_tracks.append((album, rows))
        count += len(rows)

    Artist.objects.bulk_create(new_artists.values(), batch_size=BATCH)
    Album.objects.bulk_create(albums, batch_size=BATCH)
    next_id = (Track.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    track_rows, credit_rows = [], []
    for album, rows in album_tracks:
        for track, credits in rows:
            track_rows.append((next_id, album.pk, *track))
            credit_rows.extend(
                (next_id, artist.pk, position, role)
                for position, (artist, role) in enumerate(credits)
            )
            next_id += 1
    _insert(
        Track,
        [
            "id",
            "album",
            "spotify_id",
            "name",
            "disc_number",
            "track_number",
            "duration_ms",
            "explicit",
            "isrc",
            "popularity",
        ],
        track_rows,
    )
    _insert(TrackArtist, ["track", "artist", "position", "role"], credit_rows)
    _reset_sequences(Track)
    return len(track_rows)


def _insert(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT rows (tuples in `fields` order, datetimes adapted by the caller) without building
    model instances: bulk_create spends most of its time in the ORM, not in the database.
    PostgreSQL gets COPY; SQLite an executemany, which is as fast there."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    table = quote(model._meta.db_table)
    # One transaction: outside one, SQLite would commit (and sync) every row.
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def analyze() -> None:
    """Refresh PostgreSQL's statistics after a bulk load, so its plans fit the new sizes
    (autovacuum would get there, minutes later). SQLite plans from its indexes alone."""
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (Artist, Album, Track, TrackArtist, PlaylistItem, SavedTrack, Play)
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _when(moment: datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def _reset_sequences(*models) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them (SQLite needs none)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _dedupe_credits(credits):
    seen, unique = set(), []
    for artist, role in credits:
        if artist.spotify_id not in seen:
            seen.add(artist.spotify_id)
            unique.append((artist, role))
    return unique


def _various_id(seed: int) -> str:
    return base62_id(_rng(seed, "various-artists"))


# --- Libraries ------------------------------------------------------------------------------------


def _catalog_pool(tracks: int) -> list[tuple[int, str, int, int]]:
    """(pk, spotify_id, album_id, duration_ms) of the first `tracks` catalog tracks."""
    return list(
        Track.objects.order_by("pk").values_list("pk", "spotify_id", "album_id", "duration_ms")[
            :tracks
        ]
    )


def _spread(rng: random.Random, count: int, anchor: datetime, days: int) -> list[datetime]:
    """`count` moments in the `days` before `anchor`, newest first, whole seconds."""
    span = days * 86400
    moments = sorted((rng.randrange(span) for _ in range(count)), reverse=False)
    return [anchor - timedelta(seconds=offset + 60) for offset in moments]


@dataclass
class ItemMix:
    duplicates: float = 0.03  # share of rows that repeat a track already in the playlist
    local: float = 0.015  # share of local files
    unavailable: float = 0.01  # share of rows whose track is gone (item: null)


ITEM_FIELDS = [
    "playlist",
    "position",
    "uri",
    "track",
    "is_local",
    "local_name",
    "local_artist",
    "local_album",
    "local_duration_ms",
    "added_at",
    "added_by",
]


def _playlist_rows(
    rng: random.Random,
    playlist: Playlist,
    size: int,
    pool: list,
    *,
    adders: list[SandboxUser],
    added_from: datetime,
    mix: ItemMix,
) -> list[tuple]:
    """Rows for _insert(PlaylistItem, ITEM_FIELDS, …)."""
    rows: list[tuple] = []
    used: list[tuple[int, str]] = []
    step = max(1, int(86400 * 400 / max(size, 1)))
    moment = added_from
    for position in range(size):
        moment = moment + timedelta(seconds=rng.randint(1, step))
        adder = adders[position % len(adders)] if rng.random() < 0.5 else adders[0]
        roll = rng.random()
        local = ("", "", "", 0)
        track_id = None
        if roll < mix.local:
            artist, album, title = _LOCAL_FILES[rng.randrange(len(_LOCAL_FILES))]
            duration = rng.randint(120, 300) * 1000
            local = (title, artist, album, duration)
            uri = local_uri(artist, album, title, duration)
        elif roll < mix.local + mix.unavailable:
            uri = f"spotify:track:{base62_id(rng)}"  # a track Spotify no longer has
        elif used and roll < mix.local + mix.unavailable + mix.duplicates:
            track_id, spotify_id = used[rng.randrange(len(used))]
            uri = f"spotify:track:{spotify_id}"
        else:
            track_id, spotify_id, _, _ = pool[rng.randrange(len(pool))]
            uri = f"spotify:track:{spotify_id}"
            used.append((track_id, spotify_id))
        rows.append(
            (playlist.pk, position, uri, track_id, bool(local[0]), *local, _when(moment), adder.pk)
        )
    return rows


def seed_playlist(
    owner: SandboxUser,
    *,
    items: int,
    name: str | None = None,
    collaborators: list[SandboxUser] | tuple = (),
    public: bool | None = None,
    mix: ItemMix | None = None,
    rng_seed: int = 0,
    tracks: int | None = None,
    anchor: datetime | None = None,
) -> Playlist:
    """One playlist of `items` rows drawn from the catalog (built on demand: `tracks` tracks,
    default max(items, 500)). Collaborators make it collaborative and add items too."""
    pool_size = tracks or max(items, 500)
    build_catalog(pool_size, rng_seed=rng_seed)
    pool = _catalog_pool(pool_size)
    index = Playlist.objects.filter(owner=owner).count()
    rng = _rng(rng_seed, "playlist", owner.spotify_id, index, items)
    anchor = anchor or default_anchor()
    with transaction.atomic():
        playlist = _create_playlist(
            rng,
            owner,
            name=name or f"{_pick(rng, _PLAYLIST_NAMES)} ({items})",
            collaborators=list(collaborators),
            public=public,
            created=anchor - timedelta(days=500),
        )
        rows = _playlist_rows(
            rng,
            playlist,
            items,
            pool,
            adders=[owner, *collaborators],
            added_from=anchor - timedelta(days=450),
            mix=mix or ItemMix(duplicates=0, local=0, unavailable=0),
        )
        _insert(PlaylistItem, ITEM_FIELDS, rows)
    analyze()
    return playlist


def _create_playlist(
    rng: random.Random,
    owner: SandboxUser,
    *,
    name: str,
    collaborators: list[SandboxUser],
    public: bool | None,
    created: datetime,
) -> Playlist:
    collaborative = bool(collaborators)
    if public is None:
        public = False if collaborative else rng.random() < 0.6
    spotify_id = base62_id(rng)
    version = rng.randint(1, 40)  # playlists have a history before the sandbox sees them
    playlist = Playlist.objects.create(
        spotify_id=spotify_id,
        owner=owner,
        name=name,
        description=_pick(rng, _DESCRIPTIONS),
        public=public,
        collaborative=collaborative,
        version=version,
        snapshot_id=snapshot_for(spotify_id, version),
        followers_total=rng.randint(0, 40) if public else 0,
        created_at=created,
    )
    if collaborators:
        playlist.collaborators.set(collaborators)
    PlaylistFollow.objects.bulk_create(
        [
            PlaylistFollow(user=user, playlist=playlist, followed_at=created)
            for user in [owner, *collaborators]
        ],
        ignore_conflicts=True,
    )
    return playlist


def seed_library(
    user: SandboxUser,
    *,
    tracks: int = 2000,
    playlists: list[int] | tuple[int, ...] = tuple(DEMO_PLAYLIST_SIZES),
    liked: int = 600,
    saved_albums: int = 40,
    followed_artists: int = 60,
    plays: int = 200,
    collaborator: SandboxUser | None = None,
    collaborative_every: int = 5,
    mix: ItemMix | None = None,
    rng_seed: int = 0,
    anchor: datetime | None = None,
) -> dict:
    """Build one user's library from a catalog of at least `tracks` tracks.

    `playlists` lists the sizes of the user's own playlists; every `collaborative_every`-th one
    is collaborative with `collaborator` (items added by both). Returns counts of what was made.
    """
    build_catalog(tracks, rng_seed=rng_seed)
    pool = _catalog_pool(tracks)
    anchor = anchor or default_anchor()
    mix = mix or ItemMix()
    rng = _rng(rng_seed, "library", user.spotify_id)
    with transaction.atomic():
        liked_rows = _liked(rng, user, pool, liked, anchor)
        albums = _saved_albums(rng, user, pool, saved_albums, anchor)
        artists = _followed(rng, user, liked_rows, pool, followed_artists, anchor)
        made = []
        for index, size in enumerate(playlists):
            collaborators = (
                [collaborator]
                if collaborator is not None
                and collaborative_every
                and index % collaborative_every == collaborative_every - 1
                else []
            )
            playlist = _create_playlist(
                rng,
                user,
                name=_PLAYLIST_NAMES[index % len(_PLAYLIST_NAMES)]
                + ("" if index < len(_PLAYLIST_NAMES) else f" {index // len(_PLAYLIST_NAMES) + 1}"),
                collaborators=collaborators,
                public=None,
                created=anchor - timedelta(days=900 - index),
            )
            rows = _playlist_rows(
                rng,
                playlist,
                size,
                pool,
                adders=[user, *collaborators],
                added_from=anchor - timedelta(days=800 - index),
                mix=mix,
            )
            _insert(PlaylistItem, ITEM_FIELDS, rows)
            made.append(playlist)
        play_count = _plays(rng, user, pool, plays, anchor, made)
    analyze()
    return {
        "liked": len(liked_rows),
        "saved_albums": albums,
        "followed_artists": artists,
        "playlists": len(made),
        "playlist_items": sum(playlists),
        "plays": play_count,
    }


def _liked(rng, user, pool, count, anchor) -> list[tuple]:
    chosen = rng.sample(pool, min(count, len(pool)))
    moments = _spread(rng, len(chosen), anchor, days=3 * 365)
    already = set(SavedTrack.objects.filter(user=user).values_list("track_id", flat=True))
    _insert(
        SavedTrack,
        ["user", "track", "added_at"],
        [
            (user.pk, row[0], _when(moment))
            for row, moment in zip(chosen, moments, strict=True)
            if row[0] not in already
        ],
    )
    return chosen


def _saved_albums(rng, user, pool, count, anchor) -> int:
    album_ids = sorted({row[2] for row in pool})
    full = set(
        Album.objects.filter(pk__in=album_ids)
        .exclude(album_type=Album.AlbumType.SINGLE)
        .values_list("pk", flat=True)
    )
    candidates = [pk for pk in album_ids if pk in full] or album_ids
    chosen = rng.sample(candidates, min(count, len(candidates)))
    moments = _spread(rng, len(chosen), anchor, days=4 * 365)
    SavedAlbum.objects.bulk_create(
        [
            SavedAlbum(user=user, album_id=pk, added_at=moment)
            for pk, moment in zip(chosen, moments, strict=True)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return len(chosen)


def _followed(rng, user, liked_rows, pool, count, anchor) -> int:
    # Mostly artists of liked songs, like a real listener.
    source = [row[0] for row in (liked_rows or pool)]
    artist_ids = sorted(
        set(
            TrackArtist.objects.filter(track_id__in=source[:5000], position=0).values_list(
                "artist_id", flat=True
            )
        )
    )
    chosen = rng.sample(artist_ids, min(count, len(artist_ids)))
    moments = _spread(rng, len(chosen), anchor, days=5 * 365)
    FollowedArtist.objects.bulk_create(
        [
            FollowedArtist(user=user, artist_id=pk, followed_at=moment)
            for pk, moment in zip(chosen, moments, strict=True)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return len(chosen)


def _plays(rng, user, pool, count, anchor, playlists) -> int:
    rows = []
    moment = anchor - timedelta(minutes=rng.randint(5, 90))
    album_uris = dict(
        Album.objects.filter(pk__in={row[2] for row in pool}).values_list("pk", "spotify_id")
    )
    for _ in range(count):
        pk, _spotify_id, album_id, duration = pool[rng.randrange(len(pool))]
        roll = rng.random()
        if playlists and roll < 0.5:
            context = ("playlist", playlists[rng.randrange(len(playlists))].uri)
        elif roll < 0.8:
            context = ("album", f"spotify:album:{album_uris[album_id]}")
        else:
            context = ("", "")
        played_at = moment.replace(microsecond=rng.randrange(1000) * 1000)
        rows.append((user.pk, pk, _when(played_at), context[0], context[1]))
        # Listening sessions: back-to-back plays, then a gap of hours.
        gap = rng.randint(2, 20) if rng.random() < 0.85 else rng.randint(600, 4000)
        moment -= timedelta(milliseconds=duration) + timedelta(seconds=gap)
    _insert(Play, ["user", "track", "played_at", "context_type", "context_uri"], rows)
    return len(rows)


def has_library(user: SandboxUser) -> bool:
    return (
        Playlist.objects.filter(owner=user).exists()
        or SavedTrack.objects.filter(user=user).exists()
    )


def wipe(*, users: bool = False) -> None:
    """Delete the catalog, every library and the mutation log (and users/tokens if asked)."""
    with transaction.atomic():
        for model in (
            Mutation,
            Play,
            SavedTrack,
            SavedAlbum,
            FollowedArtist,
            PlaylistItem,
            PlaylistFollow,
            Playlist.collaborators.through,
            Playlist,
            TrackArtist,
            Track,
            Album,
            Artist,
        ):
            # Children first, with plain DELETEs: the ORM's cascade collector would load every
            # id of a 50,000-track catalog into memory first.
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's own table name
        if users:
            IssuedToken.objects.all().delete()
            AuthorizationCode.objects.all().delete()
            SandboxUser.objects.all().delete()


def seed_demo(
    *,
    users: int = 3,
    tracks: int = 2000,
    playlists: list[int] | None = None,
    liked: int = 600,
    saved_albums: int = 40,
    followed_artists: int = 60,
    plays: int = 200,
    rng_seed: int = 0,
    anchor: datetime | None = None,
    on_step=None,
) -> list[tuple[SandboxUser, dict | None]]:
    """The demo world: the first user gets the full library, the others a smaller one, the
    first two share collaborative playlists. Users that already have a library are skipped.
    `on_step(text)` is told when the catalog and then each user is done (a progress bar)."""
    people = seed_users(users)
    sizes = list(DEMO_PLAYLIST_SIZES if playlists is None else playlists)
    build_catalog(tracks, rng_seed=rng_seed)
    if on_step is not None:
        on_step(f"catalog of {tracks} tracks")
    results = []

    def done(user, counts) -> None:
        results.append((user, counts))
        if on_step is not None:
            on_step(user.display_name)

    for index, user in enumerate(people):
        if has_library(user):
            done(user, None)
            continue
        share = 1 if index == 0 else 4
        own_sizes = sizes if index == 0 else (sizes[index % 2 :: share] or sizes)
        if index == 1 and len(own_sizes) < 2:
            own_sizes = sizes[:2]  # enough for one playlist shared with the first user
        collaborator = people[1] if index == 0 and len(people) > 1 else None
        if index == 1 and len(people) > 1:
            collaborator = people[0]
        counts = seed_library(
            user,
            tracks=tracks,
            playlists=own_sizes,
            liked=liked // share,
            saved_albums=saved_albums // share,
            followed_artists=followed_artists // share,
            plays=plays // share,
            collaborator=collaborator,
            # The second user has few playlists: share every other one with the first.
            collaborative_every=5 if index == 0 else 2,
            rng_seed=rng_seed,
            anchor=anchor,
        )
        done(user, counts)
    return results
