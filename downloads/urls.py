from django.urls import path

from downloads import views

app_name = "downloads"

urlpatterns = [
    path("", views.index, name="index"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/test/", views.test_connection, name="test_connection"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("tracks/<str:track_id>/", views.download_track, name="track"),
    path("playlists/<int:pk>/", views.playlist, name="playlist"),
    path("playlists/<int:pk>/missing/", views.download_missing, name="missing"),
    path("runs/<int:pk>/", views.run_progress, name="run"),
]
