"""Where ffmpeg is: FFMPEG_BINARY, else the system's, else the one in the imageio-ffmpeg wheel."""

from __future__ import annotations

import functools
import shutil
import subprocess

from django.conf import settings


@functools.cache
def ffmpeg_binary() -> str | None:
    configured = settings.FFMPEG_BINARY
    if configured:
        return shutil.which(configured) or None
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # the wheel may lack a binary for this platform
        return None


@functools.cache
def ffmpeg_version() -> str | None:
    binary = ffmpeg_binary()
    if not binary:
        return None
    try:
        out = subprocess.run([binary, "-hide_banner", "-version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = out.stdout.splitlines()[0] if out.stdout else ""
    # "ffmpeg version 7.1.1-1+b1 Copyright …" → "7.1.1-1+b1"
    parts = first.split()
    return parts[2] if len(parts) > 2 and parts[1] == "version" else (first or None)
