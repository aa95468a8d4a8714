from allauth.socialaccount.providers.oauth.urls import default_urlpatterns

from spotify.oauth.provider import SpotifyProvider

urlpatterns = default_urlpatterns(SpotifyProvider)
