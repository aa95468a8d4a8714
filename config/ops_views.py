"""The activity page (a person's jobs) and the operator page: they read every app (jobs,
health, dead letters, Spotify usage), so they sit with the URLs above the apps, not in ops."""

from datetime import timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ops import health
from ops.jobs import job_models
from ops.models import DeadLetter
from spotify import usage
from spotify.models import ApiCall


@require_GET
@login_required
def activity(request):
    """The user's own long jobs, newest first, across every kind of job."""
    jobs = []
    for model in job_models():
        jobs += list(model.objects.filter(user=request.user).order_by("-created_at")[:20])
    jobs.sort(key=lambda job: job.created_at, reverse=True)
    return render(request, "ops/activity.html", {"jobs": jobs[:50]})


@require_GET
@staff_member_required
def operator(request):
    """What an operator needs at a glance: workers, queues, throughput, failures, Spotify."""
    since = timezone.now() - timedelta(hours=24)
    context = {
        "health": health.health()[1],
        "workers": health.workers_online(),
        "queues": health.queue_lengths(),
        "succeeded_per_minute": health.tasks_per_minute("succeeded"),
        "failed_per_minute": health.tasks_per_minute("failed"),
        "dead_letters_24h": DeadLetter.objects.filter(last_failed_at__gte=since).count(),
        "recent_dead_letters": DeadLetter.objects.all()[:10],
        "usage": usage.summary(days=1),
        "musicbrainz_last_hour": ApiCall.objects.filter(
            app="musicbrainz", at__gte=timezone.now() - timedelta(hours=1)
        ).count(),
        "schedules": scheduled_tasks(),
    }
    return render(request, "ops/operator.html", context)


def scheduled_tasks() -> list[dict]:
    from django_celery_beat.models import PeriodicTask

    rows = []
    for task in PeriodicTask.objects.select_related("interval", "crontab").order_by("name"):
        schedule = task.schedule
        next_run = None
        if task.enabled and schedule is not None:
            last = task.last_run_at or task.date_changed
            next_run = timezone.now() + schedule.remaining_estimate(last)
        rows.append({"task": task, "next_run": next_run})
    return rows
