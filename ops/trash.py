"""Soft delete: what a person deletes can be restored for `RESTORE_DAYS` days.

A model that mixes in `SoftDeletable` keeps its deleted rows with a `deleted_at`. Its default
manager (`objects`, and so every reverse relation such as `base.children`) hides them, so no
sync, plan or page sees a deleted row; `all_objects` sees everything (the "Recently deleted"
lists, restore, purge). Joins through a relation (`BlockEntry.objects.filter(blocklist__…)`)
do not go through a manager: such queries add `…__deleted_at__isnull=True` themselves.

`purge_expired()` (beat, daily) deletes for good what has been in the trash longer than that.
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.db import models

from core import clock

RESTORE_DAYS = 30


class AliveManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeletable(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = AliveManager()
    all_objects = models.Manager()  # noqa: DJ012 (a manager; second, so `objects` is the default)

    class Meta:
        abstract = True

    @property
    def restorable_until(self):
        return self.deleted_at + timedelta(days=RESTORE_DAYS) if self.deleted_at else None


def deleted(queryset):
    """The rows of `queryset` (built on `all_objects`) still in the trash, newest first."""
    cutoff = clock.now() - timedelta(days=RESTORE_DAYS)
    return queryset.filter(deleted_at__gte=cutoff).order_by("-deleted_at")


def soft_delete_models() -> list[type[SoftDeletable]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, SoftDeletable) and not model._meta.abstract
    ]


def purge_expired() -> dict[str, int]:
    """Delete for good every row deleted more than RESTORE_DAYS ago (and what cascades with
    it): {model label: rows}."""
    cutoff = clock.now() - timedelta(days=RESTORE_DAYS)
    purged: dict[str, int] = {}
    for model in soft_delete_models():
        _, per_model = model.all_objects.filter(deleted_at__lt=cutoff).delete()
        for label, count in per_model.items():
            if count:
                purged[label] = purged.get(label, 0) + count
    return purged
