from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ops.jobs import job_models


@require_GET
@login_required
def activity(request):
    """The user's own long jobs, newest first, across every kind of job."""
    jobs = []
    for model in job_models():
        jobs += list(model.objects.filter(user=request.user).order_by("-created_at")[:20])
    jobs.sort(key=lambda job: job.created_at, reverse=True)
    return render(request, "ops/activity.html", {"jobs": jobs[:50]})
