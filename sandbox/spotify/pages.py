"""The sandbox's stand-in for open.spotify.com: what a playlist, track, album or artist is, so an
"Open in Spotify" link from Tunekeeper in sandbox mode leads somewhere real."""

from django.http import Http404
from django.shortcuts import render

from sandbox.spotify.models import Album, Artist, Playlist, PlaylistItem, Track

MODELS = {"playlist": Playlist, "track": Track, "album": Album, "artist": Artist}
SHOWN_ITEMS = 200


def open_page(request, kind: str, spotify_id: str):
    model = MODELS.get(kind)
    found = model.objects.filter(spotify_id=spotify_id).first() if model else None
    if found is None:
        raise Http404("Nothing in the sandbox has that id")
    rows = []
    if kind == "playlist":
        items = (
            PlaylistItem.objects.filter(playlist=found)
            .select_related("track__album__artist")
            .order_by("position")
        )
        rows = [
            item.local_name if item.is_local else item.track.name if item.track else "(unavailable)"
            for item in items[:SHOWN_ITEMS]
        ]
    elif kind == "album":
        rows = list(
            found.tracks.order_by("disc_number", "track_number").values_list("name", flat=True)
        )
    return render(
        request,
        "sandbox/open.html",
        {"kind": kind, "thing": found, "rows": rows, "more": len(rows) == SHOWN_ITEMS},
    )
