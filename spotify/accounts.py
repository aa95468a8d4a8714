"""Signup rules: only through Spotify, never asking for an email, capped at MAX_USERS."""

import re

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.db import transaction
from django.shortcuts import redirect

from spotify.models import Connection, SeatsFull, UserSeat, WaitlistEntry


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts come from Spotify logins only; there is no local signup form.
        return False


def _to_waitlist(sociallogin) -> ImmediateHttpResponse:
    data = sociallogin.account.extra_data or {}
    WaitlistEntry.objects.get_or_create(
        spotify_id=sociallogin.account.uid,
        defaults={"display_name": (data.get("display_name") or "")[:200]},
    )
    return ImmediateHttpResponse(redirect("waitlist"))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def pre_social_login(self, request, sociallogin) -> None:
        if sociallogin.is_existing:
            return
        if UserSeat.free_count() == 0 and not _is_approved(sociallogin.account.uid):
            raise _to_waitlist(sociallogin)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or sociallogin.account.uid
        user.username = re.sub(r"[^\w.@+-]", "", name.replace(" ", "."))[:120] or "spotify-user"
        return user

    def save_user(self, request, sociallogin, form=None):
        # The seat is claimed in the same transaction as the user: no seat, no user.
        try:
            with transaction.atomic():
                user = super().save_user(request, sociallogin, form)
                UserSeat.claim(user, approved_over_cap=_is_approved(sociallogin.account.uid))
                Connection.objects.create(user=user)
        except SeatsFull:
            raise _to_waitlist(sociallogin) from None
        return user


def _is_approved(spotify_id: str) -> bool:
    return WaitlistEntry.objects.filter(spotify_id=spotify_id, approved_at__isnull=False).exists()
