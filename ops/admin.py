from django.contrib import admin

from ops.models import DeadLetter


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = [
        "task_name",
        "job",
        "error",
        "attempts",
        "first_failed_at",
        "last_failed_at",
        "retried_at",
    ]
    list_filter = ["task_name", ("retried_at", admin.EmptyFieldListFilter)]
    search_fields = ["task_name", "task_id", "job", "error"]
    readonly_fields = [f.name for f in DeadLetter._meta.fields]
    actions = ["retry", "discard"]

    def has_add_permission(self, request):
        return False

    # A quarantined job (its `job` set) goes back to its queue with its count of lost workers
    # reset; a failed task is sent again with the same arguments.
    @admin.action(description="Retry: send the task again (a quarantined job: queue it again)")
    def retry(self, request, queryset):
        for letter in queryset:
            letter.retry()
        self.message_user(request, f"Sent {queryset.count()} task(s) again.")

    @admin.action(description="Discard: forget these failures")
    def discard(self, request, queryset):
        count = queryset.count()
        queryset.delete()
        self.message_user(request, f"Discarded {count} dead letter(s).")
