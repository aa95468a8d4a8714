"""MusicBrainz WS/2 (JSON): the chokepoint (`http`), typed lookups (`client`)."""
