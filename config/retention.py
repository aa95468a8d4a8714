"""Retention: the call ledger and the job tables do not grow for ever.

- Ledger rows (spotify.ApiCall, every service's calls) older than LEDGER_RETENTION_DAYS are
  folded into daily rollups per service, user and purpose (spotify.ApiCallDay) and deleted;
  the usage page reads both, so its totals are the same before and after.
- Finished jobs (and their items, chunks, rows and files, by cascade) are kept for the
  rollback window, ROLLBACK_DAYS after they finished, then deleted.
- Checkpoints of cut-off playlist reads that nothing resumed within a week are dropped.

Both work in small batches, each in its own transaction, so the beat task that runs them never
holds a long lock; what is left over is done on the next run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from core import clock
from ops.jobs import ACTIVE_STATUSES, job_models
from playlists.models import PlaylistReadPage
from spotify.models import ApiCall, ApiCallDay

logger = logging.getLogger(__name__)

BATCH = 2000  # ledger rows or jobs per transaction
MAX_BATCHES = 50  # per run: a run stops after this many and leaves the rest for the next


@dataclass
class Retained:
    folded_calls: int = 0
    pruned_jobs: int = 0
    pruned_checkpoints: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def ledger_cutoff():
    """The start of the first day that stays in the ledger (whole days are folded, in the
    zone the usage page counts days in)."""
    start_of_today = timezone.localtime(clock.now()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return start_of_today - timedelta(days=settings.LEDGER_RETENTION_DAYS)


def fold_ledger_batch(cutoff, batch: int = BATCH) -> int:
    """Fold up to `batch` of the oldest ledger rows before `cutoff`; returns how many."""
    with transaction.atomic():
        ids = list(
            ApiCall.objects.filter(at__lt=cutoff)
            .order_by("at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return 0
        totals = (
            ApiCall.objects.filter(pk__in=ids)
            .annotate(day=TruncDate("at"))
            .values("day", "app", "user_id", "purpose")
            .annotate(calls=Count("id"), limited=Count("id", filter=Q(status=429)))
            .order_by()
        )
        merged: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for row in totals:
            key = (row["day"], row["app"], row["user_id"], row["purpose"])
            merged[key][0] += row["calls"]
            merged[key][1] += row["limited"]
        for (day, app, user_id, purpose), (calls, limited) in merged.items():
            existing = ApiCallDay.objects.filter(day=day, app=app, purpose=purpose).filter(
                Q(user_id=user_id) if user_id is not None else Q(user__isnull=True)
            )
            updated = existing.update(calls=F("calls") + calls, limited=F("limited") + limited)
            if not updated:
                ApiCallDay.objects.create(
                    day=day,
                    app=app,
                    user_id=user_id,
                    purpose=purpose,
                    calls=calls,
                    limited=limited,
                )
        ApiCall.objects.filter(pk__in=ids).delete()
        return len(ids)


def fold_ledger(*, batch: int = BATCH, max_batches: int = MAX_BATCHES) -> int:
    cutoff = ledger_cutoff()
    folded = 0
    for _ in range(max_batches):
        done = fold_ledger_batch(cutoff, batch)
        folded += done
        if done < batch:
            break
    return folded


def prunable(model, cutoff):
    """Finished jobs of `model` that finished before `cutoff`. An enforcement batch whose
    rollback is still in progress or still undoable is kept with it (the rollback cascades)."""
    finished = model.objects.exclude(status__in=ACTIVE_STATUSES).filter(finished_at__lt=cutoff)
    if any(field.name == "rollbacks" for field in model._meta.get_fields()):
        finished = finished.exclude(
            Q(rollbacks__status__in=ACTIVE_STATUSES) | Q(rollbacks__finished_at__gte=cutoff)
        )
    return finished


def prune_jobs(*, batch: int = BATCH, max_batches: int = MAX_BATCHES) -> int:
    cutoff = clock.now() - timedelta(days=settings.ROLLBACK_DAYS)
    pruned = 0
    for model in job_models():
        for _ in range(max_batches):
            with transaction.atomic():
                ids = list(
                    prunable(model, cutoff).order_by("pk").values_list("pk", flat=True)[:batch]
                )
                if ids:
                    model.objects.filter(pk__in=ids).delete()
            pruned += len(ids)
            if len(ids) < batch:
                break
    return pruned


# A checkpoint of a cut-off playlist read that nothing resumed for this long is dropped (the
# next read of that playlist starts from its first page, as it would after any change).
READ_CHECKPOINT_DAYS = 7


def prune_read_checkpoints() -> int:
    stale = PlaylistReadPage.objects.filter(
        created_at__lt=clock.now() - timedelta(days=READ_CHECKPOINT_DAYS)
    ).values_list("playlist_id", flat=True)
    playlists = list(stale.order_by().distinct()[:BATCH])
    return PlaylistReadPage.objects.filter(playlist_id__in=playlists).delete()[0]


def apply_retention(*, batch: int = BATCH, max_batches: int = MAX_BATCHES) -> Retained:
    result = Retained(
        folded_calls=fold_ledger(batch=batch, max_batches=max_batches),
        pruned_jobs=prune_jobs(batch=batch, max_batches=max_batches),
        pruned_checkpoints=prune_read_checkpoints(),
    )
    if result.folded_calls or result.pruned_jobs:
        logger.info("retention: %s", result.as_dict())
    return result
