from django.urls import path, re_path

from api import domain_views, views

app_name = "api"

urlpatterns = [
    path("openapi.json", views.openapi_document, name="openapi"),
    path("jobs", views.jobs, name="jobs"),
    path("jobs/<str:job_id>", views.job_detail, name="job"),
    path("jobs/<str:job_id>/retry", views.job_retry, name="job-retry"),
    path("rate-limits/spotify/status", views.spotify_status, name="spotify-status"),
    path("base-playlists", domain_views.base_playlists, name="base-playlists"),
    path("base-playlists/<int:pk>/sync", domain_views.base_sync, name="base-sync"),
    path(
        "base-playlists/<int:pk>/sync-status",
        domain_views.base_sync_status,
        name="base-sync-status",
    ),
    path("sync-events/<int:pk>", domain_views.sync_event, name="sync-event"),
    path("enforcement/plans", domain_views.enforcement_plan, name="enforcement-plans"),
    path("enforcement/execute", domain_views.enforcement_execute, name="enforcement-execute"),
    path(
        "enforcement/batches/<int:pk>/progress",
        domain_views.enforcement_progress,
        name="enforcement-progress",
    ),
    path("enforcement/rollback", domain_views.enforcement_rollback, name="enforcement-rollback"),
    path("playlists/<int:pk>/export", domain_views.playlist_export, name="playlist-export"),
    path("library/liked/export", domain_views.liked_export, name="liked-export"),
    path("archive/plays", domain_views.recent_plays, name="archive-plays"),
    path("archive/stats", domain_views.stats, name="archive-stats"),
    path("archive/imports", domain_views.imports, name="archive-imports"),
    path(
        "archive/artists/<str:subject_id>",
        domain_views.listening_history,
        {"kind": "artist"},
        name="archive-artist",
    ),
    path(
        "archive/albums/<str:subject_id>",
        domain_views.listening_history,
        {"kind": "album"},
        name="archive-album",
    ),
    path(
        "archive/tracks/<str:subject_id>",
        domain_views.listening_history,
        {"kind": "track"},
        name="archive-track",
    ),
    # Anything else under /api/v1/ (an unknown path, or an id that is not a number) gets the
    # API's JSON error, not Django's HTML page.
    re_path(r"^.*$", views.not_found),
]
