"""Supervision: the live supervisor that follows events and owns every ffmpeg (supervisor), and the
processes it starts, none of which outlives it (processes)."""
