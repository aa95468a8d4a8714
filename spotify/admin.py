from django.contrib import admin
from django.utils import timezone

from ops.jobs import JobStatus, job_models
from spotify import state
from spotify.models import ApiCall, AppState, Connection, UserSeat, WaitlistEntry


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["user", "needs_reconnect_since", "needs_reconnect_reason", "jobs_paused_at"]
    list_filter = [
        ("needs_reconnect_since", admin.EmptyFieldListFilter),
        ("jobs_paused_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["user__username"]
    actions = ["pause_jobs", "resume_jobs", "force_reconnect"]

    @admin.action(description="Pause these users' background jobs")
    def pause_jobs(self, request, queryset):
        count = queryset.update(jobs_paused_at=timezone.now())
        self.message_user(request, f"Paused background jobs of {count} user(s).")

    @admin.action(description="Resume these users' background jobs")
    def resume_jobs(self, request, queryset):
        users = list(queryset.values_list("user_id", flat=True))
        count = queryset.update(jobs_paused_at=None)
        for model in job_models():
            model.objects.filter(
                user_id__in=users, status=JobStatus.PAUSED, pause_reason="paused by operator"
            ).update(paused_until=timezone.now())
        self.message_user(request, f"Resumed {count} user(s); held jobs restart within a minute.")

    @admin.action(description="Force a reconnect (the user must log in with Spotify again)")
    def force_reconnect(self, request, queryset):
        for connection in queryset:
            connection.mark_needs_reconnect("an operator asked for a reconnect")
        self.message_user(request, f"{queryset.count()} user(s) must reconnect Spotify.")


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


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    """The call ledger: an audit trail, so read-only."""

    list_display = [
        "at",
        "method",
        "endpoint",
        "status",
        "duration_ms",
        "retry_after",
        "purpose",
        "user",
        "job_id",
    ]
    list_filter = ["purpose", "status", "method", "app"]
    search_fields = ["endpoint", "job_id", "user__username"]
    date_hierarchy = "at"
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AppState)
class AppStateAdmin(admin.ModelAdmin):
    list_display = ["app", "paused_until", "pause_reason", "updated_at"]
    readonly_fields = ["app", "paused_until", "pause_reason", "updated_at"]
    actions = ["lift_pause"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Lift the pause now (Spotify may answer 429 again)")
    def lift_pause(self, request, queryset):
        for row in queryset:
            state.clear_pause(row.app)
        self.message_user(request, f"Lifted the pause of {queryset.count()} app(s).")
