"""Which sandboxes a site serves, decided once from the settings (a plain function so the rule
is tested without reloading settings).

- Under DEBUG, each sandbox whose real service is not configured is on, so `make demo` and a
  developer's checkout need nothing.
- With DEBUG off, none, unless `SANDBOX=true` is set explicitly (a public demo); then every page
  carries a banner saying so.
- Never beside real Spotify credentials with DEBUG off: a production instance does not get a fake
  slskd or MusicBrainz because one setting was forgotten, and SANDBOX=true there is refused.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Sandboxes:
    spotify: bool = False
    slskd: bool = False
    musicbrainz: bool = False
    banner: bool = False

    @property
    def any(self) -> bool:
        return self.spotify or self.slskd or self.musicbrainz


def decide(
    *,
    debug: bool,
    sandbox: bool,
    spotify_configured: bool,
    slskd_configured: bool,
) -> Sandboxes:
    """The MusicBrainz sandbox is served wherever sandboxes are allowed (it is only a stand-in
    for a public service); enrichment uses it when MUSICBRAINZ_CONTACT is unset (settings)."""
    if not debug and not sandbox:
        if not spotify_configured:
            raise ImproperlyConfigured(
                "SPOTIFY_CLIENT_ID is not set: set it and SPOTIFY_CLIENT_SECRET for a real "
                "deployment, or SANDBOX=true to run the sandbox (a demo, not for real use)"
            )
        return Sandboxes()
    if not debug and spotify_configured:
        raise ImproperlyConfigured(
            "SANDBOX=true with real Spotify credentials: a production instance never serves "
            "sandboxes; unset SANDBOX (and set SLSKD_URL for downloads)"
        )
    return Sandboxes(
        spotify=not spotify_configured,
        slskd=not slskd_configured,
        musicbrainz=True,
        banner=not debug,
    )
