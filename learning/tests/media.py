"""Real media files for tests, made with ffmpeg's test sources (nothing downloaded); tests.mediainfo reads
them back."""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.ffmpeg import ffmpeg_binary


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_binary() or "ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True, timeout=120
    )


def make_clip(
    path: Path,
    *,
    seconds: float = 4,
    size: str = "640x360",
    rate: int = 25,
    audio: bool = True,
    video: bool = True,
    source: str = "testsrc2",
    extra: list[str] | None = None,
) -> Path:
    args: list[str] = []
    if video:
        args += ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    args += ["-t", str(seconds)]
    if video:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "96k"]
    args += [*(extra or []), str(path)]
    ffmpeg(*args)
    return path


def make_rotated_clip(path: Path, *, seconds: float = 3) -> Path:
    """A 640x360 picture stored with display-matrix rotation 90, as a phone filming upright writes it."""
    plain = path.with_name(path.stem + "-plain.mp4")
    make_clip(plain, seconds=seconds, size="640x360")
    try:  # ffmpeg ≥ 6 sets the display matrix with an input option; older ones with the "rotate" tag
        ffmpeg("-display_rotation:v:0", "90", "-i", str(plain), "-c", "copy", str(path))
    except subprocess.CalledProcessError:
        ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(path))
    plain.unlink()
    return path
