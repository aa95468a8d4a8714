from django.contrib import admin

from spotify.models import Connection, UserSeat, WaitlistEntry


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["user", "needs_reconnect_since", "needs_reconnect_reason"]
    list_filter = [("needs_reconnect_since", admin.EmptyFieldListFilter)]
    search_fields = ["user__username"]


@admin.register(UserSeat)
class UserSeatAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "taken_at"]
    search_fields = ["user__username"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["display_name", "spotify_id", "requested_at", "approved_at", "approved_by"]
    list_filter = [("approved_at", admin.EmptyFieldListFilter)]
    search_fields = ["display_name", "spotify_id"]
    readonly_fields = ["approved_at", "approved_by"]
    actions = ["approve"]

    @admin.action(description="Approve: let them sign up even when every seat is taken")
    def approve(self, request, queryset):
        entries = list(queryset.filter(approved_at__isnull=True))
        for entry in entries:
            entry.approve(by=request.user)
        self.message_user(
            request,
            f"Approved {len(entries)}. Add them to the Spotify app's allowlist too "
            "(Spotify dashboard → User Management).",
        )
