from django.contrib import admin

from archive import breaker
from archive.models import (
    HistoryProfile,
    HistorySearch,
    ImportFile,
    ImportJob,
    ListeningGap,
    PlayEvent,
    PollRun,
    UnmatchedPlay,
)


@admin.register(PlayEvent)
class PlayEventAdmin(admin.ModelAdmin):
    list_display = ["played_at", "user", "track", "source", "ms_played", "context_type"]
    list_filter = ["source"]
    search_fields = ["user__username", "track__name", "track__artist_names"]
    raw_id_fields = ["user", "track"]
    date_hierarchy = "played_at"
    show_full_result_count = False  # a million plays: no COUNT(*) on every page


@admin.register(HistoryProfile)
class HistoryProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "time_zone",
        "polling_enabled",
        "poll_interval_minutes",
        "last_polled_at",
        "next_poll_at",
        "breaker_state",
    ]
    list_filter = ["polling_enabled", "breaker_kind"]
    search_fields = ["user__username"]
    readonly_fields = ["rollup_time_zone", "breaker_state"]
    actions = ["close_breaker"]

    @admin.display(description="Poll breaker")
    def breaker_state(self, profile):
        return breaker.describe(profile) or "closed"

    @admin.action(description="Close the poll breaker (poll at the next slot)")
    def close_breaker(self, request, queryset):
        for profile in queryset:
            breaker.record_success(profile)
        self.message_user(request, f"Closed the breaker for {queryset.count()} users.")


@admin.register(PollRun)
class PollRunAdmin(admin.ModelAdmin):
    list_display = ["slot", "user", "outcome", "calls", "received", "stored", "error"]
    list_filter = ["outcome"]
    search_fields = ["user__username"]
    date_hierarchy = "slot"


@admin.register(ListeningGap)
class ListeningGapAdmin(admin.ModelAdmin):
    list_display = ["user", "start", "end", "detected_at", "filled_by"]
    search_fields = ["user__username"]


class ImportFileInline(admin.TabularInline):
    model = ImportFile
    extra = 0
    can_delete = False
    fields = ["name", "kind", "status", "records_done", "imported", "duplicates", "error"]
    readonly_fields = fields


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "status", "done", "total", "step", "created_at"]
    list_filter = ["status"]
    search_fields = ["user__username"]
    inlines = [ImportFileInline]
    readonly_fields = ["upload_dir", "uploaded_names", "ignored_files"]


@admin.register(HistorySearch)
class HistorySearchAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "status", "done", "total", "plays_placed", "step", "created_at"]
    list_filter = ["status"]
    search_fields = ["user__username"]


@admin.register(UnmatchedPlay)
class UnmatchedPlayAdmin(admin.ModelAdmin):
    list_display = ["played_at", "user", "artist_name", "track_name", "ms_played", "searched_at"]
    search_fields = ["artist_name", "track_name", "user__username"]
