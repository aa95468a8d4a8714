"""A new person's library starts filling the moment they connect Spotify: nobody should have to
find *Refresh from Spotify* to see anything."""

from allauth.account.signals import user_signed_up
from django.conf import settings
from django.dispatch import receiver

from playlists.refresh import start_refresh


@receiver(user_signed_up, dispatch_uid="tk-first-library-refresh")
def first_library_refresh(sender, request, user, **kwargs) -> None:
    if settings.START_FIRST_RUN_JOBS:
        start_refresh(user)
