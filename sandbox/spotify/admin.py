"""Admin for the sandbox: look at what the fake Spotify holds, and at what it was sent."""

import uuid

from django import forms
from django.contrib import admin

from sandbox.spotify import faults
from sandbox.spotify.models import (
    Album,
    Artist,
    FaultSettings,
    Mutation,
    Play,
    Playlist,
    PlaylistItem,
    SandboxUser,
    Track,
    TrackArtist,
)


@admin.register(SandboxUser)
class SandboxUserAdmin(admin.ModelAdmin):
    list_display = ["display_name", "spotify_id", "account_id"]
    search_fields = ["display_name", "spotify_id"]


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "spotify_id", "popularity"]
    search_fields = ["name", "spotify_id"]


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ["name", "artist", "album_type", "release_date", "total_tracks", "upc"]
    list_filter = ["album_type", "release_date_precision"]
    search_fields = ["name", "spotify_id", "upc"]
    raw_id_fields = ["artist"]


class CreditInline(admin.TabularInline):
    model = TrackArtist
    raw_id_fields = ["artist"]
    extra = 0


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "album", "isrc", "duration_ms", "explicit"]
    search_fields = ["name", "spotify_id", "isrc"]
    raw_id_fields = ["album"]
    inlines = [CreditInline]
    list_select_related = ["album"]


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "spotify_id", "public", "collaborative", "snapshot_id"]
    list_filter = ["collaborative", "public"]
    search_fields = ["name", "spotify_id"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["collaborators"]
    list_select_related = ["owner"]


@admin.register(PlaylistItem)
class PlaylistItemAdmin(admin.ModelAdmin):
    list_display = ["playlist", "position", "uri", "is_local", "added_at", "added_by"]
    search_fields = ["uri", "playlist__spotify_id"]
    raw_id_fields = ["playlist", "track", "added_by"]
    list_select_related = ["playlist", "added_by"]


@admin.register(Play)
class PlayAdmin(admin.ModelAdmin):
    list_display = ["user", "track", "played_at", "context_type"]
    raw_id_fields = ["user", "track"]
    list_select_related = ["user", "track"]


@admin.register(Mutation)
class MutationAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "endpoint", "target_id", "user", "client_id", "status"]
    list_filter = ["endpoint", "client_id"]
    search_fields = ["target_id", "fingerprint"]
    readonly_fields = [field.name for field in Mutation._meta.fields]

    def has_add_permission(self, request):
        return False


class FaultSettingsForm(forms.ModelForm):
    knobs = forms.JSONField(required=False, initial=dict)
    script = forms.JSONField(required=False, initial=list)

    class Meta:
        model = FaultSettings
        fields = ["knobs", "script"]

    def clean_knobs(self):
        knobs = self.cleaned_data["knobs"] or {}
        if not isinstance(knobs, dict):
            raise forms.ValidationError('Knobs are a JSON object, e.g. {"latency_ms": 200}')
        try:
            faults.build(knobs)
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(str(error)) from None
        return knobs

    def clean_script(self):
        script = self.cleaned_data["script"] or []
        if not isinstance(script, list):
            raise forms.ValidationError('The script is a JSON list, e.g. [{"status": 503}]')
        return script


@admin.register(FaultSettings)
class FaultSettingsAdmin(admin.ModelAdmin):
    """The knobs in force (edit `knobs` as JSON, e.g. {"latency_ms": 200, "rate_limit": 60})."""

    form = FaultSettingsForm
    list_display = ["knobs", "updated_at"]
    readonly_fields = ["generation", "updated_at"]

    def has_add_permission(self, request):
        return not FaultSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = faults.ROW  # the one row the sandbox reads
        obj.generation = obj.generation or uuid.uuid4().hex
        super().save_model(request, obj, form, change)
