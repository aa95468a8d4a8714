# allauth's provider registry looks for `<app>.provider`; the provider lives in spotify.oauth.
from spotify.oauth.provider import provider_classes

__all__ = ["provider_classes"]
