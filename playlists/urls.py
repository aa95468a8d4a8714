from django.urls import path

from playlists import views
from playlists.imports import views as import_views

# Un-namespaced names: base.html links to "library".
urlpatterns = [
    path("", views.index, name="library"),
    path("tracks/", views.tracks, name="library_tracks"),
    path("tracks/<str:track_id>/", views.track_detail, name="library_track"),
    path("playlists/<int:pk>/", views.playlist_detail, name="library_playlist"),
    path(
        "playlists/<int:pk>/export.<str:fmt>",
        views.export_playlist,
        name="library_playlist_export",
    ),
    path("playlists/<int:pk>/history/", views.playlist_history, name="library_playlist_history"),
    path(
        "playlists/<int:pk>/history/<int:change_pk>/",
        views.playlist_as_of,
        name="library_playlist_as_of",
    ),
    path(
        "playlists/<int:pk>/history/<int:change_pk>/export.<str:fmt>",
        views.playlist_as_of_export,
        name="library_playlist_as_of_export",
    ),
    path("liked/export.<str:fmt>", views.export_liked, name="library_liked_export"),
    path("export/library-<str:fmt>.zip", views.export_library, name="library_export"),
    path("refresh/", views.refresh, name="library_refresh"),
    path("enrich/", views.enrich, name="library_enrich"),
    path("jobs/<str:kind>/<int:pk>/", views.job_progress, name="library_job"),
    path("review/", views.review, name="library_review"),
    path("review/<str:track_id>/accept/", views.review_accept, name="library_review_accept"),
    path("review/<str:track_id>/reject/", views.review_reject, name="library_review_reject"),
    path("import/", import_views.upload, name="library_import"),
    path("import/<int:pk>/", import_views.detail, name="library_import_detail"),
    path("import/<int:pk>/create/", import_views.create, name="library_import_create"),
    path("import/<int:pk>/retry/", import_views.retry, name="library_import_retry"),
]
