from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from api import pages as api_pages
from config import accounts, views
from ops import views as ops_views
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
    path("downloads/", include("downloads.urls")),
    path("ops/", ops_views.operator, name="operator"),
    path("settings/api-tokens/", api_pages.tokens, name="api_tokens"),
    path("settings/api-tokens/new", api_pages.create_token, name="api_token_create"),
    path("settings/api-tokens/<int:pk>/revoke", api_pages.revoke_token, name="api_token_revoke"),
    path("api/v1/", include("api.urls")),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("healthz", views.healthz, name="healthz"),
    # Before allauth's own: its password, email and reset pages are off (config/accounts.py).
    path("accounts/", include(accounts.urlpatterns())),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

if settings.SPOTIFY_SANDBOX:
    urlpatterns.append(path("sandbox-spotify/", include("spotify.emulator.urls")))
if not settings.SLSKD_URL:
    urlpatterns.append(path("sandbox-slskd/", include("downloads.sandbox.urls")))
