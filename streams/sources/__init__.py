"""Feature sources: the local catalog, ReccoBeats and Spotify, as an ordered chain."""
