"""Times on every page in the person's own zone (DESIGN: store UTC, show in the user's zone)."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone


class UserTimeZoneMiddleware:
    """Activate the signed-in person's time zone (chosen in Settings) for the request, so
    every `|date` and `|time` in a template shows their local time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from archive.models import HistoryProfile

        user = getattr(request, "user", None)
        name = None
        if user is not None and user.is_authenticated:
            name = (
                HistoryProfile.objects.filter(user_id=user.pk)
                .values_list("time_zone", flat=True)
                .first()
            )
        try:
            if name:
                timezone.activate(zoneinfo.ZoneInfo(name))
            return self.get_response(request)
        finally:
            timezone.deactivate()
