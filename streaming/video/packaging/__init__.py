"""Packaging: the rendition ladder and the packager's ffmpeg argv (ladder), where the HLS lives on disk and
under which URL (paths), and media playlists, live window and VOD (playlists)."""
