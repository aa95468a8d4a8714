"""allauth's Spotify login, pointed at real Spotify or at the sandbox by settings."""

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)
from django.conf import settings


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
        with get_adapter().get_requests_session() as session:
            response = session.get(
                self.profile_url, headers={"Authorization": f"Bearer {token.token}"}
            )
        if response.status_code != 200:
            raise OAuth2Error(f"Spotify refused the profile request ({response.status_code})")
        return self.get_provider().sociallogin_from_response(request, response.json())


oauth_login = OAuth2LoginView.adapter_view(SpotifyOAuth2Adapter)
oauth_callback = OAuth2CallbackView.adapter_view(SpotifyOAuth2Adapter)
