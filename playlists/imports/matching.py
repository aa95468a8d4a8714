"""Match imported rows to Spotify tracks, cheapest first:

1. a Spotify URI in the file: matched when the catalog knows the track (no call), else only
   once Spotify confirms it (`GET /tracks/{id}`, or 50 at a time in extended mode) — a made-up
   or deleted id is "not found", never "matched";
2. the ISRC against the catalog (no call);
3. title + artist against the catalog, scored (no call);
4. Spotify search (limit ≤ 10 in development mode): `isrc:` when the row has one — an equal
   ISRC is an identity — else `track:"…" artist:"…"`, scored with the enrichment's confidence
   gates (≥ 0.9 matched, 0.7-0.9 review, below unmatched).

Search results are full track objects: they go into the catalog as they arrive. Rows are
matched one by one and saved as they go, so a pause (Spotify quota) resumes where it stopped.
"""

from __future__ import annotations

from core import clock
from core.text import fold
from playlists.catalog import CatalogWriter, normalise_isrc
from playlists.matching import ACCEPT, REVIEW, Candidate, clean_title, judge
from playlists.models import ImportRow, MatchStatus, PlaylistImport, Track
from spotify import types
from spotify.client import SEARCH_LIMIT_DEVELOPMENT, chunks
from spotify.errors import BadRequest, NotFound

SEVERAL_TRACKS = 50  # ids per GET /tracks?ids= (extended mode)

CATALOG_CANDIDATES = 20


def _label(track: Track | types.Track) -> str:
    if isinstance(track, Track):
        return f"{track.artist_names} – {track.name}"
    return f"{', '.join(a.name for a in track.artists)} – {track.name}"


def _matched(row: ImportRow, *, uri: str, label: str, method: str, confidence: float) -> None:
    row.status = MatchStatus.MATCHED
    row.method = method
    row.matched_uri = uri
    row.matched_label = label
    row.confidence = confidence
    row.include = True


def estimate_calls(rows) -> int:
    """At most how many Spotify calls matching `rows` (parsed rows) takes, before it starts:
    a link the catalog lacks costs its confirmation, an ISRC the catalog lacks an ISRC search
    (and a text search when that finds nothing), any other titled row a text search (the
    catalog may answer some for free, so this is an upper bound)."""
    ids = {row.spotify_id for row in rows if row.spotify_id}
    known_ids = set(Track.objects.filter(pk__in=ids).values_list("pk", flat=True))
    isrcs = {row.isrc for row in rows if row.isrc and not row.spotify_id}
    known_isrcs = set(Track.objects.filter(isrc__in=isrcs).values_list("isrc", flat=True))
    calls = 0
    for row in rows:
        if row.spotify_id:
            calls += row.spotify_id not in known_ids
        elif row.isrc:
            calls += 0 if row.isrc in known_isrcs else 1 + bool(row.title)
        elif row.title:
            calls += 1
    return calls


def match_without_calls(job: PlaylistImport) -> int:
    """Steps 1-3 for every pending row; returns how many matched."""
    rows = list(job.rows.filter(status=MatchStatus.PENDING))
    known = Track.objects.in_bulk([r.spotify_id for r in rows if r.spotify_id])
    isrcs = {r.isrc for r in rows if r.isrc and not r.spotify_id}
    by_isrc: dict[str, Track] = {}
    for track in Track.objects.filter(isrc__in=isrcs).order_by("id"):
        by_isrc.setdefault(track.isrc, track)
    matched = 0
    for row in rows:
        if row.spotify_id:
            track = known.get(row.spotify_id)
            if track is not None:
                _matched(row, uri=track.uri, label=_label(track), method="uri", confidence=1.0)
            # else: a link the catalog does not know waits for Spotify to confirm it
        elif row.isrc in by_isrc:
            track = by_isrc[row.isrc]
            _matched(row, uri=track.uri, label=_label(track), method="isrc", confidence=1.0)
        elif row.title:
            _match_catalog_text(row)
        if row.status == MatchStatus.MATCHED:
            matched += 1
            row.save(
                update_fields=[
                    "status",
                    "method",
                    "matched_uri",
                    "matched_label",
                    "confidence",
                    "include",
                ]
            )
    return matched


def _artists(row: ImportRow) -> list[str]:
    return [name.strip() for name in row.artists.split(", ") if name.strip()]


def _match_catalog_text(row: ImportRow) -> None:
    words = fold(clean_title(row.title)).split()
    if not words:
        return
    candidates_qs = Track.objects.all()
    for word in words[:4]:
        candidates_qs = candidates_qs.filter(search_text__contains=word)
    tracks = list(candidates_qs.order_by("id")[:CATALOG_CANDIDATES])
    candidates = [
        Candidate(t.name, [t.artist_names], t.duration_ms or None, payload=t) for t in tracks
    ]
    verdict = judge(row.title, _artists(row), row.duration_ms, candidates)
    if verdict.decision == ACCEPT and not row.needs_review:
        track = verdict.best.payload
        _matched(
            row, uri=track.uri, label=_label(track), method="catalog", confidence=verdict.confidence
        )


def _query(row: ImportRow) -> str:
    title = clean_title(row.title).replace('"', "")
    artists = _artists(row)
    if artists:
        return f'track:"{title}" artist:"{artists[0].replace(chr(34), "")}"'
    return f'track:"{title}"'


def search_candidates(client, query: str, writer: CatalogWriter) -> list[Candidate]:
    """Spotify's tracks for a search (at most 10 in development mode), written to the catalog
    as they arrive, as candidates for playlists.matching.judge."""
    found = [
        t
        for t in client.search_tracks(query, limit=SEARCH_LIMIT_DEVELOPMENT)
        if t.id and not t.is_local
    ]
    for track in found:
        writer.add_track(track)
    return [
        Candidate(t.name, [a.name for a in t.artists], t.duration_ms or None, payload=t)
        for t in found
    ]


def _link_confirmed(row: ImportRow, track: types.Track | None, writer: CatalogWriter) -> bool:
    if track is not None and track.id and not track.is_local:
        writer.add_track(track)
        _matched(row, uri=track.uri, label=_label(track), method="uri", confidence=1.0)
        return True
    row.problem = "Spotify does not know this link."
    return False


def confirm_links(rows: list[ImportRow], client, writer: CatalogWriter) -> None:
    """Extended mode: confirm the rows' Spotify links 50 per call. A link Spotify does not know
    leaves its row pending (with a `problem`) for the title search, or unmatched."""
    linked = [row for row in rows if row.spotify_id]
    for batch in chunks(linked, SEVERAL_TRACKS):
        found = client.several_tracks([row.spotify_id for row in batch])
        for row, track in zip(batch, found, strict=False):
            if not _link_confirmed(row, track, writer) and not row.title:
                row.status = MatchStatus.UNMATCHED
            row.save()


def match_with_search(row: ImportRow, client, writer: CatalogWriter) -> None:
    """Step 4 for one row: a link's confirmation (one call), else at most two searches (ISRC,
    then text)."""
    if row.spotify_id and not row.problem:  # (a problem: already asked, Spotify said no)
        try:
            track = client.track(row.spotify_id)
        except (NotFound, BadRequest):
            track = None
        if _link_confirmed(row, track, writer):
            return
        # A dead link with a title in the file: look the title up instead.
    if row.isrc:
        found = client.search_tracks(f"isrc:{row.isrc}", limit=SEARCH_LIMIT_DEVELOPMENT)
        for track in found:
            writer.add_track(track)
        same = [t for t in found if t.id and normalise_isrc(t.isrc) == row.isrc]
        if same:
            _matched(row, uri=same[0].uri, label=_label(same[0]), method="search", confidence=1.0)
            return
    if not row.title:
        row.status = MatchStatus.UNMATCHED
        return
    candidates = search_candidates(client, _query(row), writer)
    verdict = judge(row.title, _artists(row), row.duration_ms, candidates)
    decision = verdict.decision
    if decision == ACCEPT and row.needs_review:
        decision = REVIEW  # the artist/title split was a guess: a person confirms
    if decision in (ACCEPT, REVIEW):
        track = verdict.best.payload
        row.method = "search"
        row.matched_uri = track.uri
        row.matched_label = _label(track)
        row.confidence = verdict.confidence
        row.status = MatchStatus.MATCHED if decision == ACCEPT else MatchStatus.REVIEW
        row.include = decision == ACCEPT
    else:
        row.status = MatchStatus.UNMATCHED
        row.confidence = verdict.confidence or None


def match_rows(job: PlaylistImport, client) -> None:
    """Match every pending row; job progress advances per row. Spotify errors propagate."""
    writer = CatalogWriter(now=clock.now())
    match_without_calls(job)
    pending = list(job.rows.filter(status=MatchStatus.PENDING).order_by("position"))
    job.advance(done=job.rows.count() - len(pending), step="Searching Spotify")
    try:
        if getattr(client, "extended", False) and any(row.spotify_id for row in pending):
            confirm_links(pending, client, writer)
            writer.flush()
            pending = [row for row in pending if row.status == MatchStatus.PENDING]
        for row in pending:
            match_with_search(row, client, writer)
            writer.flush()
            row.save()
            job.advance(by=1)
    finally:
        writer.flush()
