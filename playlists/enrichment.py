"""MusicBrainz enrichment: genres and the original year for the tracks in a user's library.

Per track (reference/musicbrainz-api.md §9):

1. ISRC → `/isrc/{isrc}?inc=artist-credits+isrcs+tags` (cached per ISRC, misses too). Keep the
   non-video recordings whose artist and length (±15 s) fit the Spotify track; several
   survivors are the same song: their tags are summed and the earliest first-release date wins.
2. No ISRC, or nothing survived: search by title + primary artist + duration, scored by
   `playlists.matching` — ≥ 0.9 accepted, 0.7-0.9 kept for a person to review on the Library
   page (nothing applied until accepted), below dropped.
3. For an accepted recording: the album's release group (one `/recording/{mbid}` lookup for
   its releases, one `/release-group/{mbid}` for its tags), remembered on the Spotify album so
   the album's other tracks cost nothing more; compilations are not mapped.
4. Genres = recording + release-group tags normalised to MusicBrainz's genre list (summed votes,
   best five); the artist's genres only when those give none. Year = the recording's first
   release; else the release group's; else (at read time) Spotify's album year.

Everything MusicBrainz said is cached with its time (MB* models); a track is enriched again only
when its result is old (90 days for matches, 30 for misses).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from core import clock
from ops.jobs import JobStatus
from playlists import genres as genre_rules
from playlists.matching import ACCEPT, REVIEW, Candidate, artist_distance, clean_title, judge
from playlists.models import (
    Album,
    Enrichment,
    EnrichmentMethod,
    EnrichmentStatus,
    Genre,
    GenreSource,
    IsrcStatus,
    MBArtist,
    MBGenre,
    MBIsrc,
    MBRecording,
    MBReleaseGroup,
    Track,
    TrackEnrichment,
    TrackGenre,
    YearSource,
)
from playlists.musicbrainz import http
from playlists.musicbrainz.client import MusicBrainzClient, Recording, Release, choose_release_group
from spotify.models import ApiCall

logger = logging.getLogger(__name__)

FOUND_TTL = timedelta(days=90)
NOT_FOUND_TTL = timedelta(days=30)
GENRE_LIST_TTL = timedelta(days=7)
ISRC_LENGTH_TOLERANCE_MS = 15_000
ISRC_ARTIST_MAX_DISTANCE = 0.25
RUN_SECONDS = 600  # one task run; a longer backlog continues in a new run (soft limit: 900 s)


@dataclass
class EnrichmentResult:
    tracks: int = 0
    matched: int = 0
    review: int = 0
    no_match: int = 0
    requests: int = 0
    remaining: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


# --- the cache ----------------------------------------------------------------------------------


def genre_names(mb: MusicBrainzClient | None) -> frozenset[str]:
    """MusicBrainz's genre list, fetched (one request) when missing or a week old."""
    now = clock.now()
    newest = MBGenre.objects.order_by("-fetched_at").values_list("fetched_at", flat=True).first()
    if mb is not None and (newest is None or newest < now - GENRE_LIST_TTL):
        names = {name.strip().lower() for name in mb.genre_names() if name.strip()}
        with transaction.atomic():
            MBGenre.objects.exclude(name__in=names).delete()
            MBGenre.objects.bulk_create(
                [MBGenre(name=name[:100], fetched_at=now) for name in sorted(names)],
                update_conflicts=True,
                unique_fields=["name"],
                update_fields=["fetched_at"],
            )
        return frozenset(names)
    return frozenset(MBGenre.objects.values_list("name", flat=True))


def _releases_json(releases: tuple[Release, ...]) -> list:
    return [
        [r.release_group_mbid, r.primary_type, list(r.secondary_types), r.status, r.date]
        for r in releases
        if r.release_group_mbid
    ]


def _releases_from_json(rows) -> list[Release]:
    return [
        Release(
            mbid="",
            status=status,
            date=date,
            release_group_mbid=group,
            release_group_title="",
            primary_type=primary,
            secondary_types=tuple(secondary),
        )
        for group, primary, secondary, status, date in rows or ()
    ]


def store_recordings(recordings: list[Recording], *, with_releases: bool = False) -> None:
    """Cache recordings (and the artist tags their credits carried)."""
    now = clock.now()
    for recording in recordings:
        defaults = {
            "title": recording.title,
            "length_ms": recording.length_ms,
            "first_release_date": recording.first_release_date[:10],
            "artist_credit": recording.credited_as,
            "artist_mbids": [artist.mbid for artist in recording.artists],
            "isrcs": list(recording.isrcs),
            "tags": recording.tags,
            "fetched_at": now,
        }
        if with_releases or recording.has_releases:
            defaults["releases"] = _releases_json(recording.releases)
        MBRecording.objects.update_or_create(mbid=recording.mbid, defaults=defaults)
        for artist in recording.artists:
            if artist.tags is not None:
                MBArtist.objects.update_or_create(
                    mbid=artist.mbid,
                    defaults={"name": artist.name, "tags": artist.tags, "fetched_at": now},
                )


def _isrc_recordings(isrc: str, mb: MusicBrainzClient) -> list[str]:
    now = clock.now()
    cached = MBIsrc.objects.filter(isrc=isrc).first()
    if cached is not None:
        ttl = FOUND_TTL if cached.status == IsrcStatus.FOUND else NOT_FOUND_TTL
        if cached.fetched_at > now - ttl:
            return list(cached.recording_mbids)
    try:
        found = [r for r in mb.isrc(isrc) if not r.video]
    except http.NotFound:
        found = []
    store_recordings(found)
    mbids = [r.mbid for r in found]
    MBIsrc.objects.update_or_create(
        isrc=isrc,
        defaults={
            "status": IsrcStatus.FOUND if mbids else IsrcStatus.NOT_FOUND,
            "recording_mbids": mbids,
            "fetched_at": now,
        },
    )
    # Sibling ISRCs of a found recording (other territories, reissues) then hit the cache.
    siblings = {s for r in found for s in r.isrcs if s != isrc and len(s) == 12}
    MBIsrc.objects.bulk_create(
        [
            MBIsrc(
                isrc=sibling,
                status=IsrcStatus.FOUND,
                recording_mbids=[r.mbid for r in found if sibling in r.isrcs],
                fetched_at=now,
            )
            for sibling in sorted(siblings)
        ],
        ignore_conflicts=True,
    )
    return mbids


def _plausible(recording: MBRecording, names: list[str], duration_ms: int) -> bool:
    """An ISRC candidate fits the Spotify track: artist and length (unknown = neutral)."""
    credited = [recording.artist_credit] if recording.artist_credit else []
    if credited and names and artist_distance(names, credited) > ISRC_ARTIST_MAX_DISTANCE:
        return False
    if recording.length_ms and duration_ms:
        return abs(recording.length_ms - duration_ms) <= ISRC_LENGTH_TOLERANCE_MS
    return True


# --- applying a match ---------------------------------------------------------------------------


def _year(date: str) -> int | None:
    return int(date[:4]) if date[:4].isdigit() and int(date[:4]) > 0 else None


def _release_group_for(
    track: Track, recording: MBRecording, mb: MusicBrainzClient | None
) -> MBReleaseGroup | None:
    """The album's release group; looked up (at most two requests) only when unknown."""
    now = clock.now()
    album: Album | None = track.album
    if album is not None and album.mb_release_group_id:
        group = album.mb_release_group
        if group.fetched_at > now - FOUND_TTL or mb is None:
            return group
    if recording.releases is None and mb is not None:
        try:
            looked_up = mb.recording(recording.mbid)
        except http.NotFound:
            looked_up = None
        if looked_up is not None:
            store_recordings([looked_up], with_releases=True)
            recording.refresh_from_db()
    chosen = choose_release_group(
        _releases_from_json(recording.releases), album.album_type if album else ""
    )
    if chosen is None:
        return None
    group = MBReleaseGroup.objects.filter(mbid=chosen.release_group_mbid).first()
    if (group is None or group.fetched_at < now - FOUND_TTL) and mb is not None:
        try:
            fetched = mb.release_group(chosen.release_group_mbid)
        except http.NotFound:
            return group
        group, _ = MBReleaseGroup.objects.update_or_create(
            mbid=fetched.mbid,
            defaults={
                "title": fetched.title,
                "primary_type": fetched.primary_type,
                "secondary_types": list(fetched.secondary_types),
                "first_release_date": fetched.first_release_date[:10],
                "tags": fetched.tags,
                "fetched_at": now,
            },
        )
    if group is not None and album is not None and album.album_type != "compilation":
        # The album's other tracks reuse it: no further requests for this album.
        Album.objects.filter(pk=album.pk).update(mb_release_group=group)
        album.mb_release_group = group
    return group


def _write_genres(track: Track, ranked: list[tuple[str, int]], source: str) -> None:
    names = [name for name, _ in ranked]
    Genre.objects.bulk_create([Genre(name=name) for name in names], ignore_conflicts=True)
    ids = dict(Genre.objects.filter(name__in=names).values_list("name", "pk"))
    TrackGenre.objects.filter(track=track).delete()
    TrackGenre.objects.bulk_create(
        [
            TrackGenre(track=track, genre_id=ids[name], weight=weight, source=source)
            for name, weight in ranked
        ]
    )


def apply_match(
    track: Track,
    recordings: list[MBRecording],
    *,
    method: str,
    confidence: float,
    mb: MusicBrainzClient | None,
    genre_set: frozenset[str],
    decided_by=None,
) -> None:
    """Derive and store genres and year from accepted recordings (`mb=None`: cache only)."""
    primary = recordings[0]
    group = _release_group_for(track, primary, mb)
    tag_lists = [r.tags for r in recordings]
    ranked = genre_rules.genres_from_tags(tag_lists, genre_set)
    source = GenreSource.RECORDING
    if group is not None:
        with_group = genre_rules.genres_from_tags([*tag_lists, group.tags], genre_set)
        if with_group and not ranked:
            source = GenreSource.RELEASE_GROUP
        ranked = with_group
    if not ranked and primary.artist_mbids:
        artist = MBArtist.objects.filter(mbid=primary.artist_mbids[0]).first()
        if artist is not None:
            ranked = genre_rules.genres_from_tags([artist.tags], genre_set)
            source = GenreSource.ARTIST
    years = [y for y in (_year(r.first_release_date) for r in recordings) if y]
    year, year_source = None, ""
    if years:
        year, year_source = min(years), YearSource.MUSICBRAINZ_RECORDING
    elif group is not None and _year(group.first_release_date):
        year, year_source = _year(group.first_release_date), YearSource.MUSICBRAINZ_RELEASE_GROUP
    with transaction.atomic():
        _write_genres(track, ranked, source)
        Track.objects.filter(pk=track.pk).update(
            original_year=year, original_year_source=year_source
        )
        TrackEnrichment.objects.update_or_create(
            track=track,
            defaults={
                "status": EnrichmentStatus.MATCHED,
                "method": method,
                "confidence": confidence,
                "recording": primary,
                "candidate": None,
                "enriched_at": clock.now(),
                "decided_by": decided_by,
            },
        )


def _record_outcome(track: Track, status: str, **fields) -> None:
    TrackEnrichment.objects.update_or_create(
        track=track,
        defaults={
            "status": status,
            "method": fields.get("method", ""),
            "confidence": fields.get("confidence"),
            "recording": fields.get("recording"),
            "candidate": fields.get("candidate"),
            "enriched_at": clock.now(),
            "decided_by": None,
        },
    )


# --- one track ----------------------------------------------------------------------------------


def enrich_track(track: Track, mb: MusicBrainzClient, genre_set: frozenset[str]) -> str:
    """Enrich one track; returns the TrackEnrichment status it ended in."""
    names = [link.artist.name for link in track.artist_links.select_related("artist")]
    if track.isrc:
        mbids = _isrc_recordings(track.isrc, mb)
        rows = {r.mbid: r for r in MBRecording.objects.filter(mbid__in=mbids)}
        survivors = [
            rows[m] for m in mbids if m in rows and _plausible(rows[m], names, track.duration_ms)
        ]
        if survivors:
            apply_match(
                track,
                survivors,
                method=EnrichmentMethod.ISRC,
                confidence=1.0,
                mb=mb,
                genre_set=genre_set,
            )
            return EnrichmentStatus.MATCHED

    found = mb.search_recordings(
        clean_title(track.name), names[0] if names else "", track.duration_ms or None
    )
    store_recordings(found)
    # Earliest first release first: between equals, the original wins.
    found.sort(key=lambda r: r.first_release_date or "9999")
    by_isrc = [r for r in found if track.isrc and track.isrc in r.isrcs]
    candidates = [Candidate(r.title, r.artist_names, r.length_ms, payload=r) for r in found]
    verdict = judge(track.name, names, track.duration_ms or None, candidates)
    if by_isrc:  # the ISRC is an identifier: it overrides the text score
        best, decision, confidence = by_isrc[0], ACCEPT, max(verdict.confidence, 0.9)
    else:
        best = verdict.best.payload if verdict.best else None
        decision, confidence = verdict.decision, verdict.confidence
    if best is None or decision not in (ACCEPT, REVIEW):
        _record_outcome(track, EnrichmentStatus.NO_MATCH, confidence=confidence or None)
        return EnrichmentStatus.NO_MATCH
    recording = MBRecording.objects.get(mbid=best.mbid)
    if decision == REVIEW:
        _record_outcome(
            track,
            EnrichmentStatus.REVIEW,
            method=EnrichmentMethod.SEARCH,
            confidence=confidence,
            recording=recording,
            candidate={
                "mbid": best.mbid,
                "title": best.title,
                "artist": best.credited_as,
                "length_ms": best.length_ms,
                "first_release_date": best.first_release_date,
            },
        )
        return EnrichmentStatus.REVIEW
    apply_match(
        track,
        [recording],
        method=EnrichmentMethod.SEARCH,
        confidence=confidence,
        mb=mb,
        genre_set=genre_set,
    )
    return EnrichmentStatus.MATCHED


# --- review decisions (no requests: the candidate is cached) ------------------------------------


def accept_review(enrichment: TrackEnrichment, user) -> None:
    if enrichment.status != EnrichmentStatus.REVIEW or enrichment.recording is None:
        return
    apply_match(
        enrichment.track,
        [enrichment.recording],
        method=EnrichmentMethod.REVIEWED,
        confidence=enrichment.confidence or 0.0,
        mb=None,
        genre_set=genre_names(None),
        decided_by=user,
    )


def reject_review(enrichment: TrackEnrichment, user) -> None:
    if enrichment.status != EnrichmentStatus.REVIEW:
        return
    enrichment.status = EnrichmentStatus.REJECTED
    enrichment.decided_by = user
    enrichment.enriched_at = clock.now()
    enrichment.save(update_fields=["status", "decided_by", "enriched_at"])


def relabel_genres() -> int:
    """Re-derive every matched track's genres from the cache (after the genre list or the
    alias map changed): no requests."""
    genre_set = genre_names(None)
    count = 0
    for enrichment in TrackEnrichment.objects.filter(
        status=EnrichmentStatus.MATCHED, recording__isnull=False
    ).select_related("track__album__mb_release_group", "recording"):
        apply_match(
            enrichment.track,
            [enrichment.recording],
            method=enrichment.method,
            confidence=enrichment.confidence or 0.0,
            mb=None,
            genre_set=genre_set,
            decided_by=enrichment.decided_by,
        )
        count += 1
    return count


# --- a user's library ---------------------------------------------------------------------------


def tracks_to_enrich(user):
    """The user's tracks with no result yet or an old one; album by album, so an album's
    release group is looked up once."""
    now = clock.now()
    return (
        Track.objects.filter(library_rows__user=user)
        .filter(
            Q(enrichment__isnull=True)
            | (
                Q(
                    enrichment__status=EnrichmentStatus.MATCHED,
                    enrichment__enriched_at__lt=now - FOUND_TTL,
                )
                # A person's decision does not expire: only automatic matches are redone.
                & ~Q(enrichment__method=EnrichmentMethod.REVIEWED)
            )
            | Q(
                enrichment__status=EnrichmentStatus.NO_MATCH,
                enrichment__enriched_at__lt=now - NOT_FOUND_TTL,
            )
        )
        .order_by("album_id", "pk")
    )


def enrich_library(
    user, job: Enrichment | None = None, *, limit: int | None = None, seconds: float | None = None
) -> EnrichmentResult:
    """Enrich the user's tracks until done, `limit` tracks, or `seconds` elapsed.

    MusicBrainz errors propagate (`http.Unavailable` carries when to come back)."""
    job_id = job.ledger_job_id if job else f"enrichment-{user.pk}-{clock.now():%Y%m%d%H%M%S}"
    mb = MusicBrainzClient(user_id=user.pk, job_id=job_id)
    result = EnrichmentResult()
    deadline = clock.monotonic() + seconds if seconds else None
    try:
        genre_set = genre_names(mb)
        # Ids first: rows are written while we go, and SQLite cursors do not isolate that.
        pending = list(tracks_to_enrich(user).values_list("pk", flat=True))
        if limit is not None:
            pending = pending[:limit]
        if job is not None:
            job.advance(by=0, total=job.done + len(pending), step="Asking MusicBrainz")
        for index, track_id in enumerate(pending):
            if deadline is not None and clock.monotonic() >= deadline:
                result.remaining = len(pending) - index
                break
            track = Track.objects.select_related("album__mb_release_group").get(pk=track_id)
            try:
                status = enrich_track(track, mb, genre_set)
            except http.BadRequest as error:
                # One odd title must not stop the queue; the miss is retried in 30 days.
                logger.warning("MusicBrainz refused a request for %s: %s", track_id, error)
                _record_outcome(track, EnrichmentStatus.NO_MATCH)
                status = EnrichmentStatus.NO_MATCH
            result.tracks += 1
            if status == EnrichmentStatus.MATCHED:
                result.matched += 1
            elif status == EnrichmentStatus.REVIEW:
                result.review += 1
            else:
                result.no_match += 1
            if job is not None:
                job.advance(by=1, step=f"{track.artist_names} – {track.name}"[:200])
    finally:
        result.requests = ApiCall.objects.filter(job_id=job_id[:64], app=http.APP).count()
        if job is not None:
            job._update(
                requests=result.requests,
                matched=job.matched + result.matched,
                review=job.review + result.review,
                unmatched=job.unmatched + result.no_match,
            )
    return result


def start_enrichment(user) -> tuple[Enrichment, bool]:
    return Enrichment.start_or_get_active(user=user)


def run_enrichment_job(job: Enrichment) -> EnrichmentResult | None:

    job.start(step="Starting")
    try:
        result = enrich_library(job.user, job, seconds=RUN_SECONDS)
    except http.Unavailable as error:
        job.pause(error.until, "MusicBrainz busy")
        return None
    except http.MusicBrainzError as error:
        job.fail(str(error))
        return None
    if result.remaining:
        # Long backlogs run as a chain of bounded task runs, not one task for hours.
        with transaction.atomic():
            job._update(status=JobStatus.QUEUED, step="Continuing")
            job.enqueue()
        return result
    job.complete(
        step=f"{job.matched} matched, {job.review} to review, {job.unmatched} without a match"
    )
    return result
