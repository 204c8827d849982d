"""Writes of the live-events app. Every push to the screens goes through stream.stream_append."""
