"""Operators read enforcement here; they do not change it (the audit stays what happened)."""

from django.contrib import admin, messages

from enforcement.executor import AlreadyRunning
from enforcement.models import (
    ActionBatch,
    ActionChunk,
    ActionItem,
    AllowEntry,
    BlockEntry,
    Blocklist,
    BlocklistImport,
    EnforcementSettings,
)
from enforcement.rollback import RollbackNotAllowed
from enforcement.tasks import queue_resume, queue_rollback
from ops.jobs import JobStatus


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChunkInline(ReadOnlyInline):
    model = ActionChunk
    fields = ["seq", "target", "playlist_spotify_id", "status", "attempts", "reconciled", "error"]
    readonly_fields = fields


@admin.register(ActionBatch)
class ActionBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "user",
        "mode",
        "origin",
        "dry_run",
        "status",
        "done",
        "failed",
        "total",
        "calls_made",
        "created_at",
    ]
    list_filter = ["mode", "origin", "dry_run", "status"]
    search_fields = ["user__username", "idempotency_key"]
    readonly_fields = [f.name for f in ActionBatch._meta.fields]
    inlines = [ChunkInline]
    actions = ["retry_batches", "roll_back_batches"]

    @admin.action(
        description="Retry failed batches (they continue at their first unfinished chunk)"
    )
    def retry_batches(self, request, queryset):
        retried = 0
        for batch in queryset.filter(status=JobStatus.FAILED, dry_run=False):
            try:
                retried += queue_resume(batch).status == JobStatus.QUEUED
            except AlreadyRunning as error:
                self.message_user(request, f"Batch {batch.pk}: {error}.", messages.WARNING)
        self.message_user(request, f"Queued {retried} batch(es) again.")

    @admin.action(description="Roll back these batches (everything they removed)")
    def roll_back_batches(self, request, queryset):
        for batch in queryset:
            try:
                rollback_batch, _ = queue_rollback(batch)
                self.message_user(
                    request, f"Batch {batch.pk}: rollback {rollback_batch.pk} queued."
                )
            except (RollbackNotAllowed, AlreadyRunning) as error:
                self.message_user(request, f"Batch {batch.pk}: {error}.", messages.WARNING)


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["pk", "batch", "kind", "label", "playlist_name", "status", "method"]
    list_filter = ["kind", "status", "method"]
    search_fields = ["uri", "label", "playlist_name", "batch__user__username"]
    readonly_fields = [f.name for f in ActionItem._meta.fields]
    list_select_related = ["batch"]


@admin.register(ActionChunk)
class ActionChunkAdmin(ReadOnlyAdmin):
    list_display = ["pk", "batch", "seq", "target", "status", "attempts", "reconciled"]
    list_filter = ["target", "status", "reconciled"]
    readonly_fields = [f.name for f in ActionChunk._meta.fields]


class EntryInline(ReadOnlyInline):
    model = BlockEntry
    fields = ["kind", "spotify_id", "name", "include_featured", "note", "source"]
    readonly_fields = fields


@admin.register(Blocklist)
class BlocklistAdmin(ReadOnlyAdmin):
    list_display = ["name", "user", "version", "imported", "enabled", "updated_at"]
    list_filter = ["imported", "enabled"]
    search_fields = ["name", "user__username"]
    readonly_fields = [f.name for f in Blocklist._meta.fields]
    inlines = [EntryInline]


@admin.register(BlockEntry)
class BlockEntryAdmin(ReadOnlyAdmin):
    list_display = ["kind", "name", "spotify_id", "include_featured", "blocklist", "source"]
    list_filter = ["kind", "source", "include_featured"]
    search_fields = ["name", "spotify_id"]
    readonly_fields = [f.name for f in BlockEntry._meta.fields]


@admin.register(AllowEntry)
class AllowEntryAdmin(ReadOnlyAdmin):
    list_display = ["kind", "name", "spotify_id", "user"]
    readonly_fields = [f.name for f in AllowEntry._meta.fields]


@admin.register(BlocklistImport)
class BlocklistImportAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "user", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in BlocklistImport._meta.fields]


@admin.register(EnforcementSettings)
class EnforcementSettingsAdmin(ReadOnlyAdmin):
    list_display = ["user", "automatic", "last_automatic_at"]
    readonly_fields = [f.name for f in EnforcementSettings._meta.fields]
