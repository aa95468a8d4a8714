"""API endpoints for sync, enforcement and the archive: the same domain functions the pages call."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from api import serializers
from api.auth import ApiError, api_view
from api.models import IdempotentRequest
from api.views import page_params, paginated
from core import params


def _body(request) -> dict:
    # Its size was checked by api_view, from Content-Length, before this reads it.
    if not request.body:
        return {}
    try:
        body = params.json_value(request.body)
    except params.BadParameter as bad:
        raise ApiError(400, "bad_json", str(bad)) from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "The body must be a JSON object.")
    return body


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, "bad_request", f"{name} must be a positive whole number.")
    return value


# --- sync ---------------------------------------------------------------------------------------


def _base(request, pk: int):
    from sync.models import BasePlaylist

    base = BasePlaylist.objects.filter(pk=pk, user=request.user).first()
    if base is None:
        raise ApiError(404, "not_found", "No such base playlist.")
    return base


def sync_event_json(event) -> dict:
    return {
        **serializers.job(event),
        "id": event.pk,
        "job_id": event.public_id,
        "base_playlist": event.base_id,
        "trigger": event.trigger,
        "calls": event.calls,
        "stats": event.stats,
        "warnings": event.warnings or None,
    }


def base_json(base) -> dict:
    return {
        "id": base.pk,
        "name": base.name,
        "spotify_id": base.spotify_id,
        "schedule": base.schedule,
        "last_synced_at": serializers.iso(base.last_synced_at),
        "children": [
            {
                "id": child.pk,
                "name": child.name,
                "spotify_id": child.spotify_id or None,
                "order": child.order,
                "write_mode": child.write_mode,
                "last_outcome": child.last_outcome or None,
            }
            for child in base.children.all()
        ],
    }


@api_view()
def base_playlists(request):
    from sync.models import BasePlaylist

    page, per_page = page_params(request)
    bases = (
        BasePlaylist.objects.filter(user=request.user)
        .prefetch_related("children")
        .order_by("name", "pk")
    )
    total = bases.count()
    rows = [base_json(b) for b in bases[(page - 1) * per_page : page * per_page]]
    return JsonResponse(paginated(request, rows, total, page, per_page))


@api_view(write=True, methods=("POST",))
def base_sync(request, pk: int):
    from sync.locks import start_sync
    from sync.models import Trigger

    base = _base(request, pk)
    force = bool(_body(request).get("force", False))
    event, created = start_sync(base, trigger=Trigger.MANUAL, force=force)
    if not created:
        return JsonResponse(
            {
                "error": {
                    "code": "sync_running",
                    "message": f"“{base.name}” is syncing right now.",
                },
                "sync_event": sync_event_json(event),
            },
            status=409,
        )
    return JsonResponse(sync_event_json(event), status=202)


@api_view()
def sync_event(request, pk: int):
    from sync.models import SyncEvent

    event = SyncEvent.objects.filter(pk=pk, user=request.user).first()
    if event is None:
        raise ApiError(404, "not_found", "No such sync event.")
    return JsonResponse(sync_event_json(event))


@api_view()
def base_sync_status(request, pk: int):
    base = _base(request, pk)
    active = base.active_event()
    latest = base.events.order_by("-created_at").first()
    return JsonResponse(
        {
            "base_playlist": base.pk,
            "running": active is not None,
            "active_event": sync_event_json(active) if active else None,
            "latest_event": sync_event_json(latest) if latest else None,
            "last_synced_at": serializers.iso(base.last_synced_at),
        }
    )


# --- enforcement --------------------------------------------------------------------------------


def batch_json(batch) -> dict:
    return {
        **serializers.job(batch),
        "id": batch.pk,
        "job_id": batch.public_id,
        "mode": batch.mode,
        "dry_run": batch.dry_run,
        "parent": batch.parent_id,
        "failed": batch.failed,
        "calls_estimated": batch.calls_estimated,
        "calls_made": batch.calls_made,
        "items": dict(_item_counts(batch)),
    }


def _item_counts(batch):
    from django.db.models import Count

    return batch.items.values_list("status").annotate(n=Count("id")).order_by()


def _batch(request, pk: int):
    from enforcement.models import ActionBatch

    batch = ActionBatch.objects.filter(pk=pk, user=request.user).first()
    if batch is None:
        raise ApiError(404, "not_found", "No such batch.")
    return batch


@api_view(write=True, methods=("POST",))
def enforcement_plan(request):
    from enforcement.planner import plan

    return JsonResponse(batch_json(plan(request.user)), status=201)


def _remembered(request, operation: str, key: str):
    from enforcement.models import ActionBatch

    row = IdempotentRequest.objects.filter(user=request.user, operation=operation, key=key).first()
    return ActionBatch.objects.filter(pk=row.object_id).first() if row else None


def _remember(request, operation: str, key: str, batch) -> None:
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(
                user=request.user, operation=operation, key=key, object_id=batch.pk
            )
    except IntegrityError:
        pass  # a simultaneous request with the same key recorded it first; same batch either way


def _idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 200:
        raise ApiError(
            400, "idempotency_key_required", "Send an Idempotency-Key header (1–200 characters)."
        )
    return key


@api_view(write=True, methods=("POST",))
def enforcement_execute(request):
    from enforcement.executor import AlreadyRunning, NotExecutable, arm
    from enforcement.tasks import enqueue

    key = _idempotency_key(request)
    earlier = _remembered(request, "execute", key)
    if earlier is not None:
        return JsonResponse(batch_json(earlier), status=200)
    plan = _batch(request, _int(_body(request).get("plan"), "plan"))
    if plan.is_rollback:
        raise ApiError(400, "bad_request", "That batch is a rollback; execute a plan.")
    try:
        with transaction.atomic():
            batch, armed = arm(plan)
            if armed:
                enqueue(batch)
            _remember(request, "execute", key, batch)
    except (AlreadyRunning, NotExecutable) as error:
        raise ApiError(409, "not_executable", str(error)) from None
    return JsonResponse(batch_json(batch), status=202 if armed else 200)


@api_view()
def enforcement_progress(request, pk: int):
    return JsonResponse(batch_json(_batch(request, pk)))


@api_view(write=True, methods=("POST",))
def enforcement_rollback(request):
    from enforcement.executor import AlreadyRunning
    from enforcement.rollback import RollbackNotAllowed
    from enforcement.tasks import queue_rollback

    body = _body(request)
    batch = _batch(request, _int(body.get("batch"), "batch"))
    items = body.get("items")
    if items is not None and (
        not isinstance(items, list) or not all(isinstance(i, int) for i in items)
    ):
        raise ApiError(400, "bad_request", "items must be a list of item ids.")
    if items is not None:
        known = set(batch.items.filter(pk__in=items).values_list("pk", flat=True))
        if known != set(items):
            raise ApiError(400, "bad_request", "Some items are not in that batch.")
    try:
        rollback_batch, created = queue_rollback(batch, items)
    except (RollbackNotAllowed, AlreadyRunning) as error:
        raise ApiError(409, "rollback_refused", str(error)) from None
    return JsonResponse(batch_json(rollback_batch), status=202 if created else 200)


# --- archive ------------------------------------------------------------------------------------


@api_view()
def recent_plays(request):
    from archive.models import PlayEvent

    page, per_page = page_params(request)
    plays = (
        PlayEvent.objects.filter(user=request.user).select_related("track").order_by("-played_at")
    )
    total = plays.count()
    rows = [
        {
            "played_at": serializers.iso(play.played_at),
            "track_id": play.track_id,
            "track": play.track.name if play.track else None,
            "artists": play.track.artist_names if play.track else None,
            "ms_played": play.ms_played,
            "source": play.source,
        }
        for play in plays[(page - 1) * per_page : page * per_page]
    ]
    return JsonResponse(paginated(request, rows, total, page, per_page))


def _date(value: str | None, name: str, default: date) -> date:
    # Clamped to years the archive can hold: year 1 and 9999 overflow time-zone arithmetic.
    return params.day(value, name=name, default=default)


@api_view()
def stats(request):
    from archive import stats as archive_stats
    from archive.models import HistoryProfile

    zone = HistoryProfile.for_user(request.user.pk).zone
    today = timezone.now().astimezone(zone).date()
    start = _date(request.GET.get("from"), "from", today - timedelta(days=29))
    end = _date(request.GET.get("to"), "to", today)
    if end < start:
        raise ApiError(400, "bad_request", "to must be on or after from.")
    start, end = archive_stats.held_range(
        start, end, archive_stats.first_day(request.user.pk), today
    )
    period = archive_stats.Range(start, end, zone)
    totals = archive_stats.totals(request.user.pk, period)
    top = archive_stats.top_lists(request.user.pk, period)
    return JsonResponse(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "totals": totals,
            "time_zone": str(zone),
            "top": {
                kind: [
                    {
                        "label": row.label,
                        "detail": row.detail,
                        "plays": row.plays,
                        "minutes": row.minutes,
                    }
                    for row in rows[:10]
                ]
                for kind, rows in top.items()
            },
        }
    )


@api_view()
def imports(request):
    from archive.models import ImportJob

    page, per_page = page_params(request)
    jobs = ImportJob.objects.filter(user=request.user).order_by("-created_at")
    total = jobs.count()
    rows = [serializers.job(job) for job in jobs[(page - 1) * per_page : page * per_page]]
    return JsonResponse(paginated(request, rows, total, page, per_page))
