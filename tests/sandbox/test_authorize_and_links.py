"""The sandbox's authorize page accepts only the redirect URIs its client registered (no open
redirect), and "Open in Spotify" links lead to the sandbox's own pages in sandbox mode."""

from django.conf import settings

from sandbox.spotify.seed import seed_playlist
from spotify import links
from sync.models import ChildPlaylist

AUTHORIZE = "/sandbox-spotify/accounts/authorize"
OAUTH = {"client_id": "tunekeeper-sandbox", "response_type": "code", "state": "s1"}


def test_an_unregistered_redirect_uri_gets_a_400_page_and_no_redirect(client, ada):
    evil = {**OAUTH, "redirect_uri": "https://evil.example/cb"}
    shown = client.get(AUTHORIZE, evil)
    posted = client.post(AUTHORIZE, {**evil, "decision": "agree", "sandbox_user": ada.pk})
    refused = client.post(AUTHORIZE, {**evil, "decision": "cancel"})
    for response in (shown, posted, refused):
        assert response.status_code == 400 and "Location" not in response
        assert b"Invalid redirect URI" in response.content
    # A look-alike of the registered one is refused too (exact match, as at Spotify).
    callback = f"{settings.SITE_URL}/accounts/spotify/login/callback/"
    for near in (
        callback + "x",
        callback.replace("http://", "https://"),
        callback + "?next=//evil",
    ):
        assert client.get(AUTHORIZE, {**OAUTH, "redirect_uri": near}).status_code == 400


def test_the_registered_callback_is_redirected_to(client, ada):
    callback = f"{settings.SITE_URL}/accounts/spotify/login/callback/"
    response = client.post(
        AUTHORIZE, {**OAUTH, "redirect_uri": callback, "decision": "agree", "sandbox_user": ada.pk}
    )
    assert response.status_code == 302 and response["Location"].startswith(callback + "?code=")
    # The same callback on the host serving the sandbox (the person opened it as testserver).
    local = "http://testserver/accounts/spotify/login/callback/"
    assert client.get(AUTHORIZE, {**OAUTH, "redirect_uri": local}).status_code == 200


def test_open_in_spotify_links_lead_to_the_sandbox_page(client, ada):
    playlist = seed_playlist(ada, items=3, name="Kitchen")
    url = ChildPlaylist(spotify_id=playlist.spotify_id).url
    assert url == links.open_url("playlist", playlist.spotify_id)
    assert url.startswith(f"{settings.SITE_URL}/sandbox-spotify/open/playlist/")
    page = client.get(url.removeprefix(settings.SITE_URL))
    assert page.status_code == 200 and "Kitchen" in page.content.decode()
    assert client.get("/sandbox-spotify/open/playlist/" + "0" * 22).status_code == 404
