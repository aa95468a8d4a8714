"""The sandbox MusicBrainz (`/sandbox-musicbrainz/ws/2/…`): the lookups enrichment makes, answered
from the sandbox Spotify's catalog, at MusicBrainz's pace (1 request/s, 503 when faster)."""
