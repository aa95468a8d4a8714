"""`{% play_summary track %}`: the person's plays of a track, with links to its listening
history and its artist's and album's, for pages outside History (the library's track page)."""

from django import template

from archive.drilldown import play_count

register = template.Library()


@register.inclusion_tag("archive/_play_summary.html", takes_context=True)
def play_summary(context, track):
    user = context["request"].user
    return {
        "track": track,
        "plays": play_count(user.pk, track.pk),
        "artists": [link.artist for link in track.artist_links.all() if link.position == 0],
        "album": track.album,
    }
