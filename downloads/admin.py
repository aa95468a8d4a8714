from django.contrib import admin

from downloads import throttle
from downloads.models import Download, DownloadRun, SearchGate, SlskdSettings


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    list_display = ["artist", "title", "user", "status", "quality_label", "instance", "updated_at"]
    list_filter = ["status", "priority", "instance"]
    search_fields = ["artist", "title", "user__username", "wanted_key"]
    readonly_fields = ["key", "candidates", "rejected", "chosen", "tried"]
    raw_id_fields = ["user", "track", "run"]


@admin.register(DownloadRun)
class DownloadRunAdmin(admin.ModelAdmin):
    list_display = ["playlist_name", "user", "status", "done", "total", "skipped", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["user", "playlist"]


@admin.register(SlskdSettings)
class SlskdSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "base_url", "preset", "last_test_ok", "last_version"]
    # The key is encrypted at rest and never shown here.
    exclude = ["api_key"]


@admin.register(SearchGate)
class SearchGateAdmin(admin.ModelAdmin):
    list_display = ["instance", "in_flight_until", "paused_until", "pause_reason"]
    actions = ["lift_pause"]

    @admin.action(description="Lift the search pause (only once a Soulseek ban has passed)")
    def lift_pause(self, request, queryset):
        for gate in queryset:
            throttle.reset(gate.instance)
        self.message_user(request, f"Reset {queryset.count()} search gates.")
