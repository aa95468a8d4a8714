from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from api import pages as api_pages
from archive import views as archive_views
from config import accounts, ops_views, views
from spotify import views as spotify_views

# Set before admin.site.urls is read below: the admin's URLs bind its login view then.
admin.site.login = accounts.throttled_admin_login(admin.site.login)

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("library/", include("playlists.urls")),
    path("sync/", include("sync.urls")),
    path("blocklist/", include("enforcement.urls")),
    path("history/", include("archive.urls")),
    path("activity/", ops_views.activity, name="activity"),
    path("activity/spotify/", spotify_views.usage_page, name="spotify_usage"),
    path("activity/jobs/<str:job_id>/retry/", ops_views.job_retry, name="job_retry"),
    path("activity/jobs/<str:job_id>/cancel/", ops_views.job_cancel, name="job_cancel"),
    path("downloads/", include("downloads.urls")),
    path("ops/", ops_views.operator, name="operator"),
    path("ops/workers/", ops_views.operator_workers, name="operator_workers"),
    path("settings/", views.settings_home, name="settings_home"),
    path("settings/spotify/disconnect/", views.settings_disconnect, name="settings_disconnect"),
    path("settings/my-data.zip", views.settings_export, name="settings_export"),
    path("settings/delete/", views.settings_delete, name="settings_delete"),
    path("settings/api-tokens/", api_pages.tokens, name="api_tokens"),
    path("settings/api-tokens/new", api_pages.create_token, name="api_token_create"),
    path("settings/api-tokens/<int:pk>/revoke", api_pages.revoke_token, name="api_token_revoke"),
    path("api/v1/", include("api.urls")),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("rewind/<str:token>/", archive_views.rewind_shared, name="rewind_shared"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says; send them to the real icon.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("favicon.svg"), permanent=True),
        name="favicon",
    ),
    # Before allauth's own: its password, email and reset pages are off (config/accounts.py).
    path("accounts/", include(accounts.urlpatterns())),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

# Only the sandboxes settings.SANDBOXES allows (config/sandboxes.py); the rest answer 404.
if settings.SANDBOXES.spotify:
    urlpatterns.append(path("sandbox-spotify/", include("sandbox.spotify.urls")))
if settings.SANDBOXES.slskd:
    urlpatterns.append(path("sandbox-slskd/", include("sandbox.slskd.urls")))
if settings.SANDBOXES.musicbrainz:
    urlpatterns.append(path("sandbox-musicbrainz/", include("sandbox.musicbrainz.urls")))
