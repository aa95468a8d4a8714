from django.contrib import admin

from playlists.models import (
    Album,
    Artist,
    Enrichment,
    LibraryRefresh,
    MBRecording,
    Playlist,
    PlaylistImport,
    Track,
    TrackEnrichment,
)


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "artist_names", "isrc", "original_year", "fetched_at"]
    search_fields = ["id", "name", "artist_names", "isrc"]
    raw_id_fields = ["album"]
    list_select_related = False


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ["name", "album_type", "release_date", "fetched_at"]
    search_fields = ["id", "name"]
    raw_id_fields = ["mb_release_group"]


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "fetched_at"]
    search_fields = ["id", "name"]


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "owner_name", "item_count", "items_total", "mirrored_at"]
    list_filter = ["is_owner", "collaborative", "items_readable"]
    search_fields = ["name", "spotify_id", "user__username"]
    raw_id_fields = ["user"]


@admin.register(TrackEnrichment)
class TrackEnrichmentAdmin(admin.ModelAdmin):
    list_display = ["track", "status", "method", "confidence", "enriched_at"]
    list_filter = ["status", "method"]
    raw_id_fields = ["track", "recording", "decided_by"]


@admin.register(MBRecording)
class MBRecordingAdmin(admin.ModelAdmin):
    list_display = ["title", "artist_credit", "first_release_date", "fetched_at"]
    search_fields = ["mbid", "title"]


@admin.register(LibraryRefresh, Enrichment, PlaylistImport)
class LibraryJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "status", "done", "total", "step", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["user"]
