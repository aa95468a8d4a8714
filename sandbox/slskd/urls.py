from django.urls import path

from sandbox.slskd import views

app_name = "sandbox_slskd"

urlpatterns = [
    path("health", views.health, name="health"),
    path("api/v0/session", views.session),
    path("api/v0/application/version", views.version),
    path("api/v0/server", views.server),
    path("api/v0/searches", views.searches),
    path("api/v0/searches/<uuid:search_id>", views.search),
    path("api/v0/searches/<uuid:search_id>/responses", views.search_responses),
    path("api/v0/transfers/downloads/batches", views.batches),
    path("api/v0/transfers/downloads/batches/<uuid:batch_id>", views.batch),
    path("api/v0/transfers/downloads/<str:username>", views.user_downloads),
    path("api/v0/transfers/downloads/<str:username>/<uuid:transfer_id>", views.user_download),
    path("api/v0/users/<str:username>/directory", views.user_directory),
]
