from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ops.jobs import ACTIVE_STATUSES
from sync.models import BasePlaylist, ChildPlaylist, SyncEvent


class ChildInline(admin.TabularInline):
    model = ChildPlaylist
    extra = 0
    fields = [
        "name",
        "spotify_id",
        "order",
        "limit",
        "write_mode",
        "on_external_edit",
        "last_outcome",
    ]
    readonly_fields = ["spotify_id", "last_outcome"]
    show_change_link = True


@admin.register(BasePlaylist)
class BasePlaylistAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "schedule", "schedule_task", "last_synced_at"]
    list_filter = ["schedule"]
    search_fields = ["name", "spotify_id", "user__username"]
    raw_id_fields = ["user", "playlist"]
    readonly_fields = ["synced_snapshot_id", "last_synced_at", "periodic_task", "schedule_task"]
    inlines = [ChildInline]

    @admin.display(description="Beat task")
    def schedule_task(self, base):
        # The schedule itself lives in django-celery-beat: edit times there.
        if base.periodic_task_id is None:
            return "—"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[base.periodic_task_id])
        return format_html('<a href="{}">{}</a>', url, base.periodic_task)


@admin.register(ChildPlaylist)
class ChildPlaylistAdmin(admin.ModelAdmin):
    list_display = ["name", "base", "order", "write_mode", "last_outcome"]
    list_filter = ["write_mode", "on_external_edit", "last_outcome"]
    search_fields = ["name", "spotify_id", "base__name"]
    raw_id_fields = ["base"]
    readonly_fields = ["synced_snapshot_id", "pending_op", "create_marker"]


@admin.register(SyncEvent)
class SyncEventAdmin(admin.ModelAdmin):
    list_display = ["pk", "base", "user", "trigger", "status", "calls", "created_at", "finished_at"]
    list_filter = ["status", "trigger"]
    search_fields = ["base__name", "user__username"]
    raw_id_fields = ["user", "base"]
    readonly_fields = ["stats", "calls", "heartbeat_at", "started_at", "finished_at"]
    actions = ["mark_failed"]

    @admin.action(description="Mark in-progress syncs failed (their worker is gone); Retry resumes")
    def mark_failed(self, request, queryset):
        marked = 0
        for event in queryset.filter(status__in=list(ACTIVE_STATUSES)):
            event.fail("Marked failed by an operator: no worker was running it.")
            marked += 1
        self.message_user(request, f"Marked {marked} sync(s) failed; the base can sync again.")
