"""The JSON API under /api/v1/: thin views over the same domain functions the pages use."""

from __future__ import annotations

import contextlib

from django.core.cache import cache
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from api import openapi, serializers
from api.auth import ApiError, api_view, error
from core import params
from ops.jobs import find_job, job_models
from spotify import usage

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
PAGE_MAX = 10_000  # an offset past this is a mistake, and some databases overflow on it


def page_params(request) -> tuple[int, int]:
    page = params.integer(
        request.GET.get("page"), name="page", minimum=1, maximum=PAGE_MAX, default=1
    )
    per_page = params.integer(
        request.GET.get("per_page"),
        name="per_page",
        minimum=1,
        maximum=PER_PAGE_MAX,
        default=PER_PAGE_DEFAULT,
    )
    return page, per_page


# How long a list's `total` may be reused: counting every row of a big table on every
# request (a person's plays: hundreds of thousands) is what made a page of plays slow.
COUNT_CACHE_SECONDS = 60


def cached_count(queryset, key: str) -> int:
    """`queryset.count()`, remembered for COUNT_CACHE_SECONDS under `key` (which must name the
    list and its owner): the `total` of a paginated list may lag new rows by that long."""
    full_key = f"api:count:{key}"
    try:
        total = cache.get(full_key)
    except Exception:  # the cache is down: count, as before
        total = None
    if total is None:
        total = queryset.count()
        with contextlib.suppress(Exception):
            cache.set(full_key, total, timeout=COUNT_CACHE_SECONDS)
    return total


def owner_key(user) -> str:
    """A user's part of a cache key: the pk and when they joined, so a pk reused after a user
    was deleted (or a test database rolled back) never reads another person's count."""
    return f"{user.pk}.{user.date_joined.timestamp():.6f}"


def paginated(request, rows: list, total: int, page: int, per_page: int) -> dict:
    next_url = None
    if page * per_page < total:
        next_url = request.build_absolute_uri(f"{request.path}?page={page + 1}&per_page={per_page}")
    return {"items": rows, "page": page, "per_page": per_page, "total": total, "next": next_url}


@csrf_exempt
def not_found(request):
    return error(404, "not_found", "No such API endpoint or object; see /api/v1/openapi.json.")


@api_view()
def openapi_document(request):
    return JsonResponse(openapi.document(request.build_absolute_uri("/api/v1").rstrip("/")))


@api_view()
def jobs(request):
    page, per_page = page_params(request)
    everything = []
    for model in job_models():
        everything += list(
            model.objects.filter(user=request.user).order_by("-created_at")[: page * per_page]
        )
    everything.sort(key=lambda job: job.created_at, reverse=True)
    total = sum(
        cached_count(
            model.objects.filter(user=request.user),
            f"jobs:{model._meta.label_lower}:{owner_key(request.user)}",
        )
        for model in job_models()
    )
    window = everything[(page - 1) * per_page : page * per_page]
    return JsonResponse(
        paginated(request, [serializers.job(j) for j in window], total, page, per_page)
    )


def _job_or_404(request, job_id: str):
    job = find_job(job_id, request.user)
    if job is None:
        raise ApiError(404, "not_found", "No such job.")
    return job


@api_view()
def job_detail(request, job_id: str):
    return JsonResponse(serializers.job(_job_or_404(request, job_id)))


@api_view(write=True, methods=("POST",))
def job_retry(request, job_id: str):
    job = _job_or_404(request, job_id)
    if not job.retry():
        raise ApiError(
            409, "not_failed", f"Only failed jobs can be retried; this one is {job.status}."
        )
    response = JsonResponse(serializers.job(job), status=202)
    response["Location"] = reverse("api:job", kwargs={"job_id": job.public_id})
    return response


@api_view()
def spotify_status(request):
    current = usage.summary(days=1)
    return JsonResponse(
        {
            "pacing": {
                "level": current.pacing_level,
                "calls_per_second": current.calls_per_second,
            },
            "paused_until": serializers.iso(current.pause.until) if current.pause else None,
            "pause_reason": current.pause.reason if current.pause else None,
            "breaker": current.breaker.state,
            "budget": {
                "daily": current.budget,
                "used_today": current.used_today,
                "projected_today": current.projected_today,
            },
        }
    )
