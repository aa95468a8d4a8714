"""A new person's history is checked the moment they connect Spotify, not at the next hourly
plan."""

from allauth.account.signals import user_signed_up
from django.conf import settings
from django.dispatch import receiver

from archive.tasks import check_history_now


@receiver(user_signed_up, dispatch_uid="tk-first-history-check")
def first_history_check(sender, request, user, **kwargs) -> None:
    if settings.START_FIRST_RUN_JOBS:
        check_history_now(user.pk)
