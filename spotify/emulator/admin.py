from django.contrib import admin

from spotify.emulator.models import SandboxUser


@admin.register(SandboxUser)
class SandboxUserAdmin(admin.ModelAdmin):
    list_display = ["display_name", "spotify_id", "account_id"]
    search_fields = ["display_name", "spotify_id"]
