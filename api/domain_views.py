"""API endpoints for sync, enforcement and the archive: the same domain functions the pages call."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import JsonResponse
from django.utils import timezone

from api import serializers
from api.auth import ApiError, api_view
from api.models import IdempotentRequest
from api.views import cached_count, owner_key, page_params, paginated
from archive import stats as archive_stats
from archive.models import HistoryProfile, ImportJob, PlayEvent
from core import params
from enforcement.automatic import approve_plan
from enforcement.executor import AlreadyRunning, NotExecutable, arm
from enforcement.models import ActionBatch
from enforcement.planner import plan
from enforcement.rollback import RollbackNotAllowed
from enforcement.tasks import enqueue, queue_rollback
from sync.locks import start_sync
from sync.models import BasePlaylist, SyncEvent, Trigger


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
        "source": base.source,
        "spotify_id": None if base.is_liked_songs else base.spotify_id,
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
    batch = ActionBatch.objects.filter(pk=pk, user=request.user).first()
    if batch is None:
        raise ApiError(404, "not_found", "No such batch.")
    return batch


@api_view(write=True, methods=("POST",))
def enforcement_plan(request):
    return JsonResponse(batch_json(plan(request.user)), status=201)


# --- idempotency, as Stripe does it: a key names one request. The same key with the same body
# replays the first answer (status and body); with a different body it is refused with 422,
# because the caller has a bug and doing either request silently would hide it.


def _fingerprint(request) -> str:
    """The request body, canonical: key order and whitespace do not make a body different."""
    try:
        canonical = json.dumps(
            json.loads(request.body or b"{}"), sort_keys=True, separators=(",", ":")
        ).encode()
    except ValueError:
        canonical = b"raw:" + request.body  # malformed: compared byte for byte
    return hashlib.sha256(canonical).hexdigest()


def _idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 200:
        raise ApiError(
            400, "idempotency_key_required", "Send an Idempotency-Key header (1–200 characters)."
        )
    return key


def _replay(row: IdempotentRequest, fingerprint: str) -> JsonResponse:
    if row.fingerprint and row.fingerprint != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body. Send the "
            "same body to get the first answer again, or use a new key for a new request.",
        )
    if row.response is not None:
        response = JsonResponse(row.response, status=row.status or 200)
    else:  # remembered before answers were stored: the batch as it is now
        from enforcement.models import ActionBatch

        batch = ActionBatch.objects.filter(pk=row.object_id).first()
        if batch is None:
            raise ApiError(404, "not_found", "The batch made with this key is gone.")
        response = JsonResponse(batch_json(batch), status=200)
    response["Idempotent-Replayed"] = "true"
    return response


def _remembered(request, operation: str, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(user=request.user, operation=operation, key=key).first()


@api_view(write=True, methods=("POST",))
def enforcement_execute(request):
    key = _idempotency_key(request)
    fingerprint = _fingerprint(request)
    earlier = _remembered(request, "execute", key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    # A request that fails validation is not remembered (as at Stripe): fixing it and sending
    # it again with the same key works.
    plan = _batch(request, _int(_body(request).get("plan"), "plan"))
    if plan.is_rollback:
        raise ApiError(400, "bad_request", "That batch is a rollback; execute a plan.")
    try:
        with transaction.atomic():
            batch, armed = arm(plan)
            if armed:
                approve_plan(batch)  # a person executed it: its entries are approved
                enqueue(batch)
            status = 202 if armed else 200
            answer = batch_json(batch)
            IdempotentRequest.objects.create(
                user=request.user,
                operation="execute",
                key=key,
                object_id=batch.pk,
                fingerprint=fingerprint,
                status=status,
                response=answer,
            )
    except (AlreadyRunning, NotExecutable) as error:
        raise ApiError(409, "not_executable", str(error)) from None
    except IntegrityError:
        # A simultaneous request with this key committed first; ours was rolled back whole
        # (nothing armed, nothing enqueued): answer as that one did, or refuse a different body.
        return _replay(_remembered(request, "execute", key), fingerprint)
    return JsonResponse(answer, status=status)


@api_view()
def enforcement_progress(request, pk: int):
    return JsonResponse(batch_json(_batch(request, pk)))


@api_view(write=True, methods=("POST",))
def enforcement_rollback(request):
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


PLAYS_CURSOR = "plays"


def _plays_cursor(page: int, play) -> str:
    """Where the next page starts: after this play (played_at, track), the unique key the
    play_once index is ordered by; and the page number it will be."""
    text = f"{page}|{play.played_at.isoformat()}|{play.track_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read_plays_cursor(token: str) -> tuple[int, datetime, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        page, moment, track_id = base64.urlsafe_b64decode(padded).decode().split("|", 2)
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None or not track_id or not 2 <= int(page) <= 10**9:
            raise ValueError
        return int(page), when, track_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError(
            400, "bad_request", "cursor is not one this API gave out; follow the next link."
        ) from None


@api_view()
def recent_plays(request):
    """Plays, newest first, by keyset: `next` carries the last play's (played_at, track), so
    a deep page costs what the first does, and `total` is a count cached for a minute."""
    page, per_page = page_params(request)
    mine = PlayEvent.objects.filter(user=request.user)
    plays = mine.select_related("track").order_by("-played_at", "-track_id")
    cursor = request.GET.get("cursor")
    if cursor:
        page, played_at, track_id = _read_plays_cursor(cursor)
        plays = plays.filter(
            Q(played_at__lt=played_at) | Q(played_at=played_at, track_id__lt=track_id)
        )
        window = list(plays[: per_page + 1])
    else:  # the first page, or an old-style ?page=N (an offset, for scripts that use it)
        window = list(plays[(page - 1) * per_page : page * per_page + 1])
    more, window = len(window) > per_page, window[:per_page]
    rows = [
        {
            "played_at": serializers.iso(play.played_at),
            "track_id": play.track_id,
            "track": play.track.name if play.track else None,
            "artists": play.track.artist_names if play.track else None,
            "ms_played": play.ms_played,
            "source": play.source,
        }
        for play in window
    ]
    next_url = None
    if more:
        query = urlencode({"cursor": _plays_cursor(page + 1, window[-1]), "per_page": per_page})
        next_url = request.build_absolute_uri(f"{request.path}?{query}")
    return JsonResponse(
        {
            "items": rows,
            "page": page,
            "per_page": per_page,
            "total": cached_count(mine, f"plays:{owner_key(request.user)}"),
            "next": next_url,
        }
    )


def _date(value: str | None, name: str, default: date) -> date:
    # Clamped to years the archive can hold: year 1 and 9999 overflow time-zone arithmetic.
    return params.day(value, name=name, default=default)


@api_view()
def stats(request):
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
    page, per_page = page_params(request)
    jobs = ImportJob.objects.filter(user=request.user).order_by("-created_at")
    total = jobs.count()
    rows = [serializers.job(job) for job in jobs[(page - 1) * per_page : page * per_page]]
    return JsonResponse(paginated(request, rows, total, page, per_page))


# --- library exports ----------------------------------------------------------------------------


def _export_format(request) -> str:
    from playlists import exports

    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        raise ApiError(400, "bad_request", "format must be csv, json or m3u8.")
    return fmt


@api_view()
def playlist_export(request, pk: int):
    from playlists import exports
    from playlists.models import Playlist

    fmt = _export_format(request)
    playlist = Playlist.objects.filter(pk=pk, user=request.user).first()
    if playlist is None:
        raise ApiError(404, "not_found", "No such playlist in your library.")
    return exports.download(
        fmt, playlist.name, exports.playlist_rows(playlist), exports.file_name(playlist.name, fmt)
    )


@api_view()
def liked_export(request):
    from playlists import exports

    fmt = _export_format(request)
    return exports.download(fmt, "Liked Songs", exports.liked_rows(request.user), f"liked.{fmt}")


@api_view()
def listening_history(request, kind: str, subject_id: str):
    from archive import drilldown

    history = drilldown.history_of(request.user.pk, kind, subject_id[:64])
    if history is None:
        raise ApiError(404, "not_found", f"No plays of this {kind} in your history.")
    return JsonResponse(
        {
            "kind": kind,
            "id": history.subject.pk,
            "name": history.subject.name,
            "plays": history.plays,
            "minutes": history.minutes,
            "first_played_at": serializers.iso(history.first_played_at),
            "last_played_at": serializers.iso(history.last_played_at),
            "rank": history.rank,
            "ranked_of": history.ranked_of,
            "monthly": [
                {"month": month.isoformat(), "plays": plays} for month, plays in history.monthly
            ],
            "top_tracks": [
                {"id": track.pk, "name": track.name, "plays": plays}
                for track, plays in history.top_tracks
            ],
        }
    )
