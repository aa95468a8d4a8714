from django.urls import path, re_path

from sandbox.spotify import accounts, api, catalog_api, library_api, pages, playlists_api

app_name = "sandbox"

urlpatterns = [
    path("accounts/authorize", accounts.authorize, name="authorize"),
    path("accounts/api/token", accounts.token, name="token"),
    re_path(
        r"^images/(?P<kind>album|artist|playlist)/(?P<spotify_id>[0-9A-Za-z]{22})/(?P<size>[0-9]{1,4})\.svg$",
        catalog_api.image,
        name="image",
    ),
    re_path(
        r"^open/(?P<kind>playlist|track|album|artist)/(?P<spotify_id>[0-9A-Za-z]{22})$",
        pages.open_page,
        name="open",
    ),
    path("v1/me", api.me, name="me"),
    path("v1/me/playlists", playlists_api.my_playlists, name="my-playlists"),
    path("v1/me/tracks", library_api.me_tracks, name="saved-tracks"),
    path("v1/me/tracks/contains", library_api.me_tracks_contains),
    path("v1/me/albums", library_api.me_albums, name="saved-albums"),
    path("v1/me/albums/contains", library_api.me_albums_contains),
    path("v1/me/following", library_api.me_following, name="following"),
    path("v1/me/following/contains", library_api.me_following_contains),
    path("v1/me/library", library_api.me_library, name="library"),
    path("v1/me/library/contains", library_api.me_library_contains, name="library-contains"),
    path(
        "v1/me/player/recently-played",
        library_api.me_recently_played,
        name="recently-played",
    ),
    path("v1/playlists/<str:playlist_id>", playlists_api.playlist_detail, name="playlist"),
    path(
        "v1/playlists/<str:playlist_id>/items",
        playlists_api.playlist_items,
        name="playlist-items",
    ),
    path("v1/playlists/<str:playlist_id>/tracks", playlists_api.playlist_tracks_old),
    path("v1/users/<str:user_id>", playlists_api.user_profile),
    path("v1/users/<str:user_id>/playlists", playlists_api.user_playlists),
    path("v1/tracks", catalog_api.several_tracks),
    path("v1/tracks/<str:track_id>", catalog_api.track, name="track"),
    path("v1/albums", catalog_api.several_albums),
    path("v1/albums/<str:album_id>", catalog_api.album, name="album"),
    path("v1/albums/<str:album_id>/tracks", catalog_api.album_tracks_view),
    path("v1/artists", catalog_api.several_artists),
    path("v1/artists/<str:artist_id>", catalog_api.artist, name="artist"),
    path("v1/search", catalog_api.search_view, name="search"),
    re_path(r"^v1/", api.not_found),
]
