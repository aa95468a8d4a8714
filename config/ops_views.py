"""The activity page (a person's jobs) and the operator page: they read every app (jobs,
health, dead letters, Spotify usage), so they sit with the URLs above the apps, not in ops."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from ops import health
from ops.jobs import (
    JobStatus,
    can_cancel,
    cancel_queued,
    find_job,
    job_models,
    job_url,
    retry_url,
)
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
    rows = [
        {
            "job": job,
            "url": job_url(job),
            "duration": _duration(job),
            "can_retry": job.status == JobStatus.FAILED,
            "retry_url": retry_url(job),
            "can_cancel": can_cancel(job),
        }
        for job in jobs[:50]
    ]
    return render(request, "ops/activity.html", {"rows": rows})


def _duration(job):
    if not job.started_at:
        return None
    end = job.finished_at or (timezone.now() if job.is_active else None)
    return (end - job.started_at) if end else None


def _back(request, job) -> str:
    """Where to go after Retry or Cancel: the page the form came from (a path on this site), or
    the job's own page. Anything else in `next` — another host, a view name, "²" — is ignored:
    redirect() would try to reverse a bare word as a view name."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, {request.get_host()})
    ):
        return target
    return job_url(job)


@require_POST
@login_required
def job_retry(request, job_id: str):
    """Retry a failed job of the person's, from any page that lists it."""
    job = find_job(job_id, request.user)
    if job is None:
        raise Http404("No such job.")
    try:
        with transaction.atomic():
            retried = job.retry()
    except IntegrityError:  # its kind allows one at a time, and another is under way
        messages.error(
            request, f"Another {job.kind.lower()} is under way: retry once it has finished."
        )
        return redirect(_back(request, job))
    if retried:
        messages.success(request, f"{job.kind} queued again.")
    else:
        messages.error(
            request,
            f"That {job.kind.lower()} is {job.get_status_display().lower()}, not failed: "
            "only failed jobs can be retried.",
        )
    return redirect(_back(request, job))


@require_POST
@login_required
def job_cancel(request, job_id: str):
    """Cancel a job of the person's that no worker has started."""
    job = find_job(job_id, request.user)
    if job is None:
        raise Http404("No such job.")
    if can_cancel(job) and cancel_queued(job):
        messages.success(request, f"{job.kind} cancelled.")
    else:
        messages.error(
            request,
            f"That {job.kind.lower()} has already started or finished, so it cannot be "
            "cancelled from here.",
        )
    return redirect(_back(request, job))


@require_GET
@staff_member_required
def operator(request):
    """What an operator needs at a glance: workers, queues, throughput, failures, Spotify."""
    since = timezone.now() - timedelta(hours=24)
    context = {
        "health": health.health()[1],
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


@require_GET
@staff_member_required
def operator_workers(request):
    """The workers line of /ops/, loaded after the page: asking Celery who is online can take
    a second (a broadcast ping), and the rest of the page should not wait for it."""
    return render(request, "ops/_workers.html", {"workers": health.workers_online()})


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
