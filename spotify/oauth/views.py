"""allauth's Spotify login, pointed at real Spotify or at the sandbox by settings."""

import requests
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)
from django.conf import settings

from core import clock
from core.outbound import CallContext
from spotify import http
from spotify.models import Purpose


class SpotifyOAuth2Adapter(OAuth2Adapter):
    provider_id = "spotify"

    @property
    def authorize_url(self) -> str:
        return settings.SPOTIFY_AUTHORIZE_URL

    @property
    def access_token_url(self) -> str:
        return f"{settings.SPOTIFY_ACCOUNTS_BASE_URL}/api/token"

    @property
    def profile_url(self) -> str:
        return f"{settings.SPOTIFY_API_BASE_URL}/me"

    def complete_login(self, request, app, token, **kwargs):
        # The one profile read of a login: through the kit's Spotify session, into the ledger
        # (the code exchange before it is allauth's own request and is not counted).
        context = CallContext(user_id=None, purpose=Purpose.AUTH, interactive=True)
        started = clock.monotonic()
        try:
            response = http.session().get(
                self.profile_url,
                headers={"Authorization": f"Bearer {token.token}"},
                timeout=(5, settings.SPOTIFY_TIMEOUT_SECONDS),
            )
        except requests.RequestException as error:
            http.record(context, "GET", "GET /me", 0, started)
            raise OAuth2Error("Spotify did not answer the profile request") from error
        http.record(context, "GET", "GET /me", response.status_code, started)
        if response.status_code != 200:
            raise OAuth2Error(f"Spotify refused the profile request ({response.status_code})")
        return self.get_provider().sociallogin_from_response(request, response.json())


oauth_login = OAuth2LoginView.adapter_view(SpotifyOAuth2Adapter)
oauth_callback = OAuth2CallbackView.adapter_view(SpotifyOAuth2Adapter)
