from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("openapi.json", views.openapi_document, name="openapi"),
    path("jobs", views.jobs, name="jobs"),
    path("jobs/<str:job_id>", views.job_detail, name="job"),
    path("jobs/<str:job_id>/retry", views.job_retry, name="job-retry"),
    path("rate-limits/spotify/status", views.spotify_status, name="spotify-status"),
]
