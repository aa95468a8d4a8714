"""Fair shares of the household's daily Spotify budget (DESIGN 13).

Each person's background work (syncs, polls, imports, enforcement, enrichment…) may spend a
share of `SPOTIFY_DAILY_BUDGET`: what is left after the interactive lane's reserve
(`SPOTIFY_INTERACTIVE_RESERVE`), divided equally among the people connected to Spotify. A person
whose share is spent pauses *their own* background work until the next budget day (UTC midnight,
like the household budget) — `spotify.http` raises `BudgetExhausted` with the reason below, the
job pauses and `ops.tasks.resume_paused_jobs` resumes it — and nobody else's. Clicks (interactive
calls) keep their lane: they are counted, never refused by a share.

The shares add up to no more than the household budget less the reserve, so one person's work
can never spend what another's needs. The per-person count lives in the cache (one key per
person per day, recounted from the ledger when missing), like the household count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

from core import clock
from core.cache import fail_safe_cache as cache
from spotify.models import ApiCall

REASON = "your daily share"
PEOPLE_CACHE_SECONDS = 60


def _day() -> str:
    return clock.now().date().isoformat()


def _key(app: str, user_id: int, day: str) -> str:
    # The generation lets `forget_all` drop every person's count without listing keys.
    generation = cache.get("spotify:share:generation") or 0
    return f"spotify:share:{generation}:{app}:{user_id}:{day}"


def people() -> int:
    """How many people share the budget: everyone connected to Spotify (at least one)."""
    count = cache.get("spotify:share:people")
    if count is None:
        from allauth.socialaccount.models import SocialAccount

        count = (
            SocialAccount.objects.filter(provider="spotify").values("user_id").distinct().count()
        )
        cache.set("spotify:share:people", count, timeout=PEOPLE_CACHE_SECONDS)
    return max(int(count), 1)


def background_pool() -> int:
    reserve = float(getattr(settings, "SPOTIFY_INTERACTIVE_RESERVE", 0.1))
    return int(settings.SPOTIFY_DAILY_BUDGET * (1 - min(max(reserve, 0.0), 1.0)))


def share() -> int:
    """One person's background calls per budget day."""
    return background_pool() // people()


def used(user_id: int, app: str | None = None) -> int:
    """The person's background calls today (interactive ones are not in it)."""
    from spotify import state

    app = app or state.app_id()
    day = _day()
    count = cache.get(_key(app, user_id, day))
    if count is None:
        count = ApiCall.objects.filter(
            app=app, user_id=user_id, interactive=False, at__gte=_day_start()
        ).count()
        cache.add(_key(app, user_id, day), count, timeout=2 * 86400)
    return count


def _day_start():
    return clock.now().replace(hour=0, minute=0, second=0, microsecond=0)


def left(user_id: int) -> int:
    return max(share() - used(user_id), 0)


def count(user_id: int, app: str) -> None:
    """One more background call of `user_id` (its ledger row is already written)."""
    key = _key(app, user_id, _day())
    try:
        cache.incr(key)
    except ValueError:
        used(user_id, app)  # not cached yet: the recount includes this call's row


def forget_all() -> None:
    """Drop every cached per-person count and the people count (tests; an operator's reset):
    they are recounted from the ledger."""
    generation = cache.get("spotify:share:generation") or 0
    cache.set("spotify:share:generation", generation + 1, timeout=None)
    cache.delete("spotify:share:people")


@dataclass(frozen=True)
class Cost:
    """What a piece of work will cost, said before it starts."""

    calls: int
    share: int
    left_today: int

    @property
    def days(self) -> int:
        """Budget days it spans: today's remainder, then a full share a day."""
        if self.calls <= self.left_today:
            return 1
        if self.share <= 0:
            return 0  # never: no share at all
        return 1 + math.ceil((self.calls - self.left_today) / self.share)

    @property
    def sentence(self) -> str:
        if self.calls <= self.left_today:
            return (
                f"up to {self.calls:,} Spotify calls, within your daily share "
                f"({self.left_today:,} of {self.share:,} left today)"
            )
        return (
            f"up to {self.calls:,} Spotify calls, more than your daily share of "
            f"{self.share:,} ({self.left_today:,} left today): it goes on each day within the "
            f"share and takes about {self.days} days"
        )


def cost(user_id: int, calls: int) -> Cost:
    return Cost(calls=calls, share=share(), left_today=left(user_id))


def household() -> list[dict]:
    """Each connected person's background and interactive calls today, and their share."""
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from spotify import state

    user_ids = set(
        SocialAccount.objects.filter(provider="spotify").values_list("user_id", flat=True)
    )
    rows = {
        row["user_id"]: row
        for row in ApiCall.objects.filter(app=state.app_id(), at__gte=_day_start())
        .exclude(user_id=None)
        .values("user_id")
        .annotate(
            background=Count("id", filter=Q(interactive=False)),
            interactive=Count("id", filter=Q(interactive=True)),
        )
    }
    user_ids |= set(rows)
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    each = share()
    people_rows = []
    for user_id in sorted(user_ids, key=lambda pk: names.get(pk, "")):
        row = rows.get(user_id, {})
        background = row.get("background", 0)
        people_rows.append(
            {
                "user_id": user_id,
                "name": names.get(user_id, f"user {user_id}"),
                "background": background,
                "interactive": row.get("interactive", 0),
                "share": each,
                "percent": min(int(background * 100 / each), 100) if each else 100,
                "spent": background >= each,
            }
        )
    return people_rows
