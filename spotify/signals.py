from allauth.socialaccount.signals import social_account_updated
from django.dispatch import receiver

from spotify.models import Connection


@receiver(social_account_updated)
def clear_reconnect_flag(sender, request, sociallogin, **kwargs) -> None:
    """Logging in again with Spotify brings fresh tokens: the connection works again."""
    connection, _ = Connection.objects.get_or_create(user=sociallogin.user)
    if connection.needs_reconnect:
        connection.mark_reconnected()
