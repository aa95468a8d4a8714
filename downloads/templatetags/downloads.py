"""`{% load downloads %}{% download_button track %}`: the "Download" button (or the track's
download status) for any page that lists a catalog track, e.g. the library's track page."""

from django import template

from downloads.models import Download, Status

register = template.Library()


@register.inclusion_tag("downloads/_track_button.html", takes_context=True)
def download_button(context, track):
    request = context["request"]
    key = f"track:{track.pk}"
    mine = Download.objects.filter(user=request.user, wanted_key=key)
    download = (
        mine.filter(status=Status.COMPLETED).order_by("-finished_at").first()
        or mine.order_by("-created_at").first()
    )
    return {
        "track": track,
        "download": download,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
