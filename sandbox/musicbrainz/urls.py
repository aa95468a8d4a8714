from django.urls import path, re_path

from sandbox.musicbrainz import views

app_name = "sandbox_musicbrainz"

urlpatterns = [
    path("ws/2/genre/all", views.genre_all),
    path("ws/2/isrc/<str:isrc>", views.isrc),
    path("ws/2/recording/<str:mbid>", views.recording),
    path("ws/2/recording", views.search_recordings),
    path("ws/2/release-group/<str:mbid>", views.release_group),
    re_path(r"^ws/2/", views.not_found),
]
