"""One simulated day of a household of five against the sandbox Spotify, with the household's
daily budget at its default (1,000 calls) and fair shares on (spotify/shares.py):

- each person has 10 base playlists (one Minimal-changes child each) synced every hour; before
  each hour's syncs two of each person's bases change (3 tracks added, 2 removed);
- history polls as the adaptive poller plans them (archive.poller.plan_hour / poll_user);
- a daily automatic enforcement per person (a blocklist of one artist in their library);
- one person imports a 2,000-line "Artist - Title" text file at 09:00 (tracks the catalog does
  not know yet, so matching needs searches) and the job resumes by itself when its pause ends.

The day runs on a fake clock (Tunekeeper's side; the sandbox serves in real time). It reports
total calls, each person's calls, and each pause with whose budget caused it: a person's own
share ("your daily share") or anyone else's (the household budget, Spotify's pauses). `ok`
requires that nobody's work was paused by anyone else's.

Scaled down to run in a few minutes on 2 cores: bases hold 60 tracks (not thousands) and
children one rule each; the scale of calls per day is what matters here, not per-call cost.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from bench.harness import Outcome, Stopwatch, scenario

PEOPLE = 5
BASES = 10
BASE_ITEMS = 60
HOURS = 24
CHURNED_BASES = 2
ADDED, REMOVED = 3, 2
IMPORT_ROWS = 2_000
IMPORT_HOUR = 9
ENFORCE_HOUR = 3
BUDGET = 1_000
OWN = "your daily share"


def _setup(rng: random.Random):
    from bench.scenarios.common import connect, sandbox_user
    from enforcement.models import BlockEntry, Blocklist, EnforcementSettings, EntryKind
    from sandbox.spotify import models as sandbox
    from sandbox.spotify.seed import build_catalog, seed_library
    from sync.models import BasePlaylist, ChildPlaylist

    catalog = BASES * BASE_ITEMS * 2 + IMPORT_ROWS + 500
    build_catalog(catalog)
    people = []
    for number in range(PEOPLE):
        owner = sandbox_user(f"household-{number}")
        seed_library(
            owner,
            tracks=BASES * BASE_ITEMS * 2,
            playlists=[BASE_ITEMS] * BASES,
            liked=60,
            saved_albums=5,
            followed_artists=5,
            plays=40,
            collaborative_every=10_000,
            rng_seed=number,
        )
        user = connect(owner)
        # Tokens outlive the simulated day (the refresh path is not what is measured).
        from allauth.socialaccount.models import SocialToken

        from core import clock

        SocialToken.objects.filter(account__user=user).update(
            expires_at=clock.now() + timedelta(days=3)
        )
        bases = []
        playlists = sandbox.Playlist.objects.filter(owner=owner).order_by("pk")[:BASES]
        for playlist in playlists:
            base = BasePlaylist.objects.create(
                user=user, spotify_id=playlist.spotify_id, name=playlist.name
            )
            ChildPlaylist.objects.create(
                base=base,
                name=f"{playlist.name} (clean)",
                rules={
                    "kind": "group",
                    "match": "none",
                    "rules": [
                        {"kind": "condition", "field": "explicit", "op": "is", "value": True}
                    ],
                },
            )
            bases.append((base, playlist))
        liked = sandbox.SavedTrack.objects.filter(user=owner).values_list("track_id", flat=True)
        liked_artist = (
            sandbox.TrackArtist.objects.filter(track_id__in=list(liked[:1]))
            .values_list("artist__spotify_id", "artist__name")
            .first()
        )
        blocklist = Blocklist.objects.create(user=user, name="Not for me")
        if liked_artist:
            BlockEntry.objects.create(
                blocklist=blocklist,
                kind=EntryKind.ARTIST,
                spotify_id=liked_artist[0],
                name=liked_artist[1],
                source="manual",
            )
        EnforcementSettings.objects.update_or_create(user=user, defaults={"automatic": True})
        people.append({"user": user, "owner": owner, "bases": bases})
    used = set(sandbox.PlaylistItem.objects.values_list("track_id", flat=True))
    fresh = list(
        sandbox.Track.objects.exclude(pk__in=used)
        .order_by("pk")
        .prefetch_related("artists")[:IMPORT_ROWS]
    )
    lines = [f"{t.artists.all()[0].name} - {t.name}" for t in fresh if t.artists.all()]
    return people, lines, catalog


def _churn(person, rng: random.Random, pool: list) -> None:
    """Two of the person's bases change: a few tracks go, a few arrive at the end."""
    from sandbox.spotify import models as sandbox
    from sandbox.spotify import ops as sandbox_ops

    for _, playlist in rng.sample(person["bases"], CHURNED_BASES):
        playlist.refresh_from_db()
        items = list(
            sandbox.PlaylistItem.objects.filter(playlist=playlist).values_list("uri", "track_id")
        )
        sandbox_ops.remove_items(playlist, [uri for uri, _ in rng.sample(items, REMOVED)])
        playlist.refresh_from_db()
        held = {track_id for _, track_id in items}
        new = [track for track in rng.sample(pool, ADDED * 3) if track.pk not in held][:ADDED]
        sandbox_ops.add_items(playlist, person["owner"], new, None)


@scenario("household_day")
def household_day(server) -> Outcome:
    from django.conf import settings
    from django.db.models import Count

    from archive.models import PollOutcome
    from archive.poller import plan_hour, poll_user
    from core import clock
    from enforcement.automatic import run_automatic
    from ops.jobs import JobStatus
    from playlists.imports.jobs import run_import_job, start_import
    from playlists.imports.parsers import parse_upload
    from spotify import pacing, shares, state
    from spotify.models import ApiCall
    from sync.engine import sync_base

    rng = random.Random(18)
    saved_budget = settings.SPOTIFY_DAILY_BUDGET
    settings.SPOTIFY_DAILY_BUDGET = BUDGET
    start = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    fake = clock.FakeClock(start)
    clock.use(fake)
    pacing.reset(state.app_id())  # slots booked on the real clock would look hours ahead
    pauses: dict[str, Counter] = defaultdict(Counter)  # person → Counter((work, reason))
    try:
        people, lines, _ = _setup(rng)
        from sandbox.spotify import models as sandbox

        pool = list(sandbox.Track.objects.order_by("pk")[: BASES * BASE_ITEMS * 2])
        # The day starts empty: earlier scenarios' calls (today, on the real clock) would
        # otherwise count against this household's budget. Their results are already taken.
        ApiCall.objects.all().delete()
        state.forget()  # the cached household count and every person's share count
        first_call = clock.now()
        names = {p["user"].pk: p["user"].username for p in people}
        importer = people[0]
        job = None

        first_pause: dict[str, str] = {}

        def paused(user_id: int, work: str, reason: str) -> None:
            pauses[names[user_id]][(work, reason)] += 1
            first_pause.setdefault(names[user_id], f"{clock.now():%H:%M} ({work})")

        with Stopwatch() as watch:
            for hour in range(HOURS):
                hour_start = start + timedelta(hours=hour)
                if clock.now() < hour_start:
                    fake.advance((hour_start - clock.now()).total_seconds())
                for person in people:
                    _churn(person, rng, pool)
                for person in people:
                    for base, _ in person["bases"]:
                        event, result = sync_base(base, trigger="schedule")
                        if result is None and event.status == JobStatus.PAUSED:
                            paused(base.user_id, "sync", event.pause_reason)
                for poll in sorted(plan_hour(hour_start), key=lambda p: p.slot):
                    if poll.user_id not in names:
                        continue  # a person of an earlier scenario, not of this household
                    if poll.slot > clock.now():
                        fake.advance((poll.slot - clock.now()).total_seconds())
                    run = poll_user(poll.user_id, poll.slot)
                    if run is not None and run.outcome == PollOutcome.PAUSED:
                        reason = OWN if OWN in run.error else run.error[:40]
                        paused(poll.user_id, "poll", reason)
                if hour == ENFORCE_HOUR:
                    for person in people:
                        batch = run_automatic(person["user"])
                        if batch is not None and batch.status == JobStatus.PAUSED:
                            paused(person["user"].pk, "enforcement", batch.pause_reason)
                if hour == IMPORT_HOUR:
                    parsed = parse_upload("family-favourites.txt", "\n".join(lines).encode())
                    job = start_import(
                        importer["user"], parsed, name="Favourites", file_name="favourites.txt"
                    )
                if job is not None:
                    job.refresh_from_db()
                    due = job.status == JobStatus.QUEUED or (
                        job.status == JobStatus.PAUSED and job.paused_until <= clock.now()
                    )
                    if due:
                        if job.status == JobStatus.PAUSED:
                            type(job).objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
                        job.refresh_from_db()
                        job.claim()
                        run_import_job(job)
                        job.refresh_from_db()
                        if job.status == JobStatus.PAUSED:
                            paused(job.user_id, "import", job.pause_reason)
        calls = ApiCall.objects.filter(at__gte=first_call).exclude(app="accounts")
        per_person = {
            names[row["user_id"]]: row["n"]
            for row in calls.exclude(user_id=None).values("user_id").annotate(n=Count("id"))
        }
        by_purpose = dict(Counter(calls.values_list("purpose", flat=True)))
        total = calls.count()
        by_others = {
            name: sum(n for (work, reason), n in counter.items() if reason != OWN)
            for name, counter in pauses.items()
        }
        own = {
            name: sum(n for (work, reason), n in counter.items() if reason == OWN)
            for name, counter in pauses.items()
        }
        nobody_paused_by_others = not any(by_others.values())
        share = shares.share()
        within_share = all(
            calls.filter(user_id=p["user"].pk, interactive=False).count() <= share for p in people
        )
        job.refresh_from_db()
        import_state = (
            f"import: {job.rows.exclude(status='pending').count()} of {job.total} lines matched "
            f"today, {job.status}"
            + (f" until {job.paused_until:%H:%M} ({job.pause_reason})" if job.paused_until else "")
        )
        notes = (
            f"share {share}/person of {BUDGET}; per person {per_person}; "
            f"share spent at {first_pause}; paused by own share {sum(own.values())}, "
            f"by others {sum(by_others.values())}; {import_state}"
        )
        return Outcome(
            spotify_calls=total,
            minimum_calls=None,
            ok=nobody_paused_by_others and within_share and total <= BUDGET,
            wall_s=watch.seconds,
            notes=notes,
            extra={
                "per_person": per_person,
                "by_purpose": by_purpose,
                "share": share,
                "budget": BUDGET,
                "paused_by_own_share": own,
                "paused_by_others": by_others,
                "share_spent_at": first_pause,
                "import_estimate": job.step if job.status != JobStatus.PAUSED else "",
                "pauses": {
                    name: {f"{w}: {r}": n for (w, r), n in c.items()} for name, c in pauses.items()
                },
                "import": import_state,
                "scaled": f"{PEOPLE} people x {BASES} bases of {BASE_ITEMS} tracks, "
                f"1 child each, {HOURS} hourly syncs, {IMPORT_ROWS}-line import",
            },
        )
    finally:
        settings.SPOTIFY_DAILY_BUDGET = saved_budget
        clock.reset()
        # The simulated day booked pacing slots and counted calls on its own clock: forget them,
        # or the scenarios after this one would find a day's worth of work queued ahead.
        pacing.reset(state.app_id())
        state.forget()
