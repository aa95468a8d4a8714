from allauth.socialaccount.providers.spotify.provider import SpotifyOAuth2Provider
from django.conf import settings

from spotify.oauth.views import SpotifyOAuth2Adapter


class SpotifyProvider(SpotifyOAuth2Provider):
    package = "spotify.oauth"
    oauth2_adapter_class = SpotifyOAuth2Adapter

    def extract_uid(self, data: dict) -> str:
        # `account_id` (May 2026) never changes; `id` is the fallback for older responses.
        return data.get("account_id") or data["id"]

    def extract_common_fields(self, data: dict) -> dict:
        # Development mode sends no email: never ask for one.
        return {"name": data.get("display_name") or data.get("id", "")}

    def get_default_scope(self) -> list[str]:
        return list(settings.SPOTIFY_SCOPES)


provider_classes = [SpotifyProvider]
