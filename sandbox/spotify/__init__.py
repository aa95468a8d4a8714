"""The sandbox Spotify: a Web API and accounts service in Spotify's 2026 shapes, mounted at
/sandbox-spotify/ — the demo's Spotify and the test double for everything.

Modules: accounts (consent page, code + PKCE, single-use refresh tokens), api (Bearer auth,
errors, paging), playlists_api / library_api / catalog_api (the endpoints), shapes (rows →
Spotify objects), ops (what writes do), fields (`fields=`), faults (knobs), mutations (the log of
applied writes), seed (deterministic content), management commands sandbox_seed and
sandbox_token.

Choices where Spotify is unclear or the sandbox is simpler (reference = spotify-api-2026.md):
- Development mode leaves out every field the spec marks deprecated, including the playlist
  item's `track` alias (`item` only); extended mode sends both (faults.playlist_item_keys).
- Development-mode 403s (removed endpoints, not owner/collaborator) say only "Forbidden", as
  Spotify's do; a missing scope says "Insufficient client scope".
- /me/library takes artist URIs by default (open question §8.1; knob library_artist_uris);
  episode, show, audiobook and user URIs are refused as not emulated.
- Recently played keeps the newest 50 plays reachable; with `after` and more newer plays than
  `limit`, the newest are served (knob recently_played_after, open question §8.4).
- snapshot_id is accepted on writes and recorded, but not used to rebase edits.
- An album has one (primary) artist; compilations belong to "Various Artists".
- Search is a case-insensitive substring match (words, artist:, track:, album:, isrc:, year:,
  upc:), ordered by popularity; playlist/show/episode/audiobook results are always empty.
"""
