"""A base's schedule as a django-celery-beat PeriodicTask (visible and editable in admin).

Hourly and daily runs are spread over the hour by the base's id, so a household's bases do
not all knock on Spotify's door at :00. A custom crontab may run at most every 30 minutes:
even an unchanged sync costs a call, and a day may hold only ~1,000 for the whole household.
"""

from __future__ import annotations

import json

from celery.schedules import crontab as celery_crontab
from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from sync.models import BasePlaylist, Schedule

TASK = "sync.tasks.scheduled_sync_task"
MAX_RUNS_PER_DAY = 48


class ScheduleError(ValueError):
    pass


def parse_crontab(text: str) -> dict[str, str]:
    """ "m h dom mon dow" → CrontabSchedule fields; raises ScheduleError with a clear message."""
    parts = text.split()
    if len(parts) != 5:
        raise ScheduleError(
            "A crontab has five fields: minute hour day-of-month month day-of-week "
            "(for example “15 6 * * 1-5”)."
        )
    minute, hour, day_of_month, month_of_year, day_of_week = parts
    try:
        parsed = celery_crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except (ValueError, TypeError) as error:
        raise ScheduleError(f"That crontab is not valid: {error}") from None
    runs_per_day = len(parsed.minute) * len(parsed.hour)
    if runs_per_day > MAX_RUNS_PER_DAY:
        raise ScheduleError(
            f"That runs {runs_per_day} times a day; at most {MAX_RUNS_PER_DAY} (every 30 "
            "minutes) keeps Spotify's daily quota for the rest of the household."
        )
    return {
        "minute": minute,
        "hour": hour,
        "day_of_month": day_of_month,
        "month_of_year": month_of_year,
        "day_of_week": day_of_week,
    }


def crontab_fields(base: BasePlaylist) -> dict[str, str] | None:
    spread = str(base.pk % 60)
    if base.schedule == Schedule.HOURLY:
        return {"minute": spread, "hour": "*", **_every_day()}
    if base.schedule == Schedule.DAILY:
        if base.daily_at is not None:
            return {
                "minute": str(base.daily_at.minute),
                "hour": str(base.daily_at.hour),
                **_every_day(),
            }
        return {"minute": spread, "hour": "4", **_every_day()}
    if base.schedule == Schedule.CUSTOM:
        return parse_crontab(base.crontab)
    return None


def _every_day() -> dict[str, str]:
    return {"day_of_month": "*", "month_of_year": "*", "day_of_week": "*"}


def task_name(base: BasePlaylist) -> str:
    return f"sync-base-{base.pk}"


@transaction.atomic
def apply_schedule(base: BasePlaylist) -> PeriodicTask | None:
    """Create, update or remove the base's PeriodicTask to match its schedule."""
    fields = crontab_fields(base)
    if fields is None:
        remove_schedule(base)
        return None
    schedule, _ = CrontabSchedule.objects.get_or_create(**fields, timezone=schedule_zone(base))
    task, _ = PeriodicTask.objects.update_or_create(
        name=task_name(base),
        defaults={
            "task": TASK,
            "crontab": schedule,
            "interval": None,
            "args": json.dumps([base.pk]),
            "queue": "default",
            "enabled": True,
            "description": f"Sync “{base.name}” for {base.user}",
        },
    )
    if base.periodic_task_id != task.pk:
        BasePlaylist.objects.filter(pk=base.pk).update(periodic_task=task)
        base.periodic_task = task
    return task


def schedule_zone(base: BasePlaylist) -> str:
    """A daily time the person picked is in their own zone; the rest in the server's."""
    if base.schedule == Schedule.DAILY and base.daily_at is not None:
        from archive.models import HistoryProfile

        zone = (
            HistoryProfile.objects.filter(user_id=base.user_id)
            .values_list("time_zone", flat=True)
            .first()
        )
        return zone or settings.TIME_ZONE
    return settings.TIME_ZONE


def next_run(base: BasePlaylist, now=None):
    """When beat next runs the base's sync (None when it has no schedule), to the second."""
    from datetime import timedelta

    from django.utils import timezone

    task = base.periodic_task
    if task is None or not task.enabled or task.schedule is None:
        return None
    now = now or timezone.now()
    last = task.last_run_at or task.date_changed
    moment = now + task.schedule.remaining_estimate(last)
    # remaining_estimate reads its own "now", microseconds after ours: 04:00:59.9998 is 04:01.
    return max((moment + timedelta(microseconds=500_000)).replace(microsecond=0), now)


def remove_schedule(base: BasePlaylist) -> None:
    PeriodicTask.objects.filter(name=task_name(base)).delete()
    if base.periodic_task_id:
        BasePlaylist.objects.filter(pk=base.pk).update(periodic_task=None)
        base.periodic_task = None
