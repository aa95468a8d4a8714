"""The sandboxes: stand-ins for Spotify, slskd and MusicBrainz served by this site, for the demo
and the tests. No product app imports this package."""
