"""Import a playlist from a file: parse (`parsers`), match (`matching`), create (`jobs`)."""
