"""Demo lesson videos as slides: readable titles over the platform's colours, drawn with Pillow, and a
quiet tone, at low resolution and frame rate so that transcoding minutes of them stays fast.

Titles need a CJK font; the first one found on the machine is used (Noto CJK, WenQuanYi, Source Han …).
Without one the slides keep their colours and shapes, just no text.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSansSC-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
RED, RED_DARK, GOLD, PAPER, INK = (200, 16, 46), (158, 11, 34), (245, 195, 66), (250, 246, 240), (40, 40, 40)


@cache
def cjk_font_path() -> tuple[str, int] | None:
    """(path, face index) of a font with Simplified Chinese glyphs, or None."""
    candidates = list(FONT_CANDIDATES)
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=10, check=False
        )
        if found.returncode == 0 and found.stdout.strip():
            candidates.insert(0, found.stdout.strip())
    for path in candidates:
        if not Path(path).exists():
            continue
        for index in range(8):  # collections: prefer the Simplified Chinese face
            try:
                face = ImageFont.truetype(path, 20, index=index)
            except OSError:
                break
            if "SC" in " ".join(filter(None, face.getname())) or index == 7:
                return path, index
        return path, 0
    return None


def _font(size: int):
    found = cjk_font_path()
    return ImageFont.truetype(found[0], size, index=found[1]) if found else None


def slide_png(
    *, heading: str, lines: list[str], series: str, number: int, total: int, size: tuple[int, int]
) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(image)
    band = max(48, height // 6)
    draw.rectangle([0, 0, width, band], fill=RED)
    draw.rectangle([0, band, width, band + 6], fill=GOLD)
    scale = min(width, height) / 360
    title_font, body_font, small_font = _font(round(30 * scale)), _font(round(20 * scale)), _font(round(14 * scale))
    if title_font is not None:
        draw.text((round(24 * scale), band // 2), series, font=small_font, fill=(255, 255, 255), anchor="lm")
        draw.text((round(24 * scale), band + round(28 * scale)), heading, font=title_font, fill=RED_DARK)
        y = band + round(84 * scale)
        for line in lines:
            draw.ellipse([round(28 * scale), y + round(8 * scale), round(38 * scale), y + round(18 * scale)], fill=GOLD)
            draw.text((round(50 * scale), y), line, font=body_font, fill=INK)
            y += round(36 * scale)
        draw.text(
            (width - round(20 * scale), height - round(16 * scale)),
            f"{number} / {total}",
            font=small_font,
            fill=(120, 120, 120),
            anchor="rs",
        )
    else:  # no font: the slide's structure still shows which part of the lesson is playing
        for k in range(number):
            draw.rectangle([24 + k * 40, height - 40, 52 + k * 40, height - 24], fill=RED_DARK)
    return image


def make_slide_video(
    *,
    binary: str,
    slides: list[tuple[str, list[str]]],
    series: str,
    size: tuple[int, int],
    seconds: int,
    tone: int,
    target: Path,
    rotated: bool = False,
) -> None:
    """An H.264 + AAC file: each slide an equal share of `seconds`, at 2 frames per second (slides do not move).

    `rotated`: drawn upright for a portrait screen and stored as a phone does (landscape pixels plus a
    display rotation), so the pipeline's rotation handling is exercised by readable text.
    """
    work = target.parent
    per_slide = seconds / len(slides)
    listing = ["ffconcat version 1.0"]
    canvas = (size[1], size[0]) if rotated else size
    for number, (heading, lines) in enumerate(slides, 1):
        image = slide_png(heading=heading, lines=lines, series=series, number=number, total=len(slides), size=canvas)
        if rotated:
            image = image.rotate(-90, expand=True)
        path = work / f"slide-{number:02d}.png"
        image.save(path)
        listing += [f"file '{path.name}'", f"duration {per_slide:.3f}"]
    listing.append(f"file 'slide-{len(slides):02d}.png'")  # the concat demuxer's last-entry quirk
    (work / "slides.txt").write_text("\n".join(listing) + "\n")
    args = [binary, "-hide_banner", "-nostdin", "-y", "-v", "error", "-f", "concat", "-safe", "0"]
    args += ["-i", str(work / "slides.txt")]
    args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100", "-t", str(seconds)]
    args += ["-vf", "fps=2,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage"]
    args += ["-af", "volume=0.06", "-c:a", "aac", "-b:a", "64k", "-shortest", str(target)]
    subprocess.run(args, check=True, capture_output=True, timeout=300)
