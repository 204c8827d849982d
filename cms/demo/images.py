"""Cover pictures drawn locally with Pillow: themed flat illustrations in the platform's colours.

Never national symbols: no stars, no flag layouts (the national flag law forbids altering them, and a
government site must not even seem to). Motifs: an open book, sea waves, the new town's skyline, rice
fields under the sun, a community circle, a broadcast screen. A few dozen covers are enough; articles
reuse them. Each is a small JPEG.
"""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1280, 720
# (background top, background bottom, shape colour, light accent): the site's reds, sea blue, tea green,
# warm sand, each with a light tone for the drawing.
PALETTES = [
    ((200, 16, 46), (158, 11, 34), (255, 236, 214), (245, 195, 66)),
    ((0, 92, 151), (0, 62, 110), (226, 240, 250), (255, 214, 140)),
    ((46, 125, 90), (24, 88, 62), (232, 245, 233), (250, 224, 150)),
    ((236, 225, 207), (214, 196, 170), (158, 11, 34), (214, 150, 40)),
    ((166, 38, 46), (112, 22, 30), (250, 232, 220), (236, 170, 90)),
]


def _gradient(draw: ImageDraw.ImageDraw, top, bottom) -> None:
    for y in range(HEIGHT):
        t = y / HEIGHT
        draw.line([(0, y), (WIDTH, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))


def _book(draw, shape, accent) -> None:
    cx, top, bottom = WIDTH * 0.62, 170, 560
    for side in (-1, 1):  # two pages bending from the spine
        outer = cx + side * 360
        points = [(cx, top + 30), (outer, top), (outer, bottom - 30), (cx, bottom)]
        draw.polygon(points, fill=shape)
        for k in range(6):  # lines of text
            y = top + 70 + k * 50
            x0, x1 = (cx + side * 40, cx + side * 300)
            draw.line([(min(x0, x1), y), (max(x0, x1), y - side * 0)], fill=accent, width=8)
    draw.line([(cx, top + 30), (cx, bottom)], fill=accent, width=10)


def _waves(draw, rng, shape, accent) -> None:
    for k in range(7):
        base, phase = 330 + k * 55, rng.random() * math.tau
        points = [(x, base + 24 * math.sin(x / 95 + k * 0.8 + phase)) for x in range(0, WIDTH + 20, 20)]
        draw.line(points, fill=shape if k % 2 else accent, width=7)
    draw.ellipse([960, 70, 1120, 230], fill=accent)


def _skyline(draw, rng, shape, accent) -> None:
    x = 0
    while x < WIDTH:
        w, h = rng.randint(70, 150), rng.randint(140, 440)
        draw.rectangle([x, HEIGHT - h, x + w - 10, HEIGHT], fill=shape)
        for wy in range(HEIGHT - h + 24, HEIGHT - 24, 42):
            for wx in range(x + 14, x + w - 24, 30):
                if rng.random() < 0.55:
                    draw.rectangle([wx, wy, wx + 12, wy + 18], fill=accent)
        x += w


def _fields(draw, bottom, shape, accent) -> None:
    """Terraced fields on rolling hills under the sun."""
    mid = tuple(round(a * 0.6 + b * 0.4) for a, b in zip(bottom, shape, strict=True))
    draw.ellipse([980, 60, 1160, 240], fill=accent)
    for k in range(5):
        base = 360 + k * 75
        points = [(x, base - 60 * math.sin(x / 260 + k)) for x in range(0, WIDTH + 40, 40)]
        draw.polygon([*points, (WIDTH, HEIGHT), (0, HEIGHT)], fill=mid if k % 2 else bottom)
        draw.line(points, fill=accent, width=5)


def _community(draw, shape, accent) -> None:
    cx, cy = WIDTH * 0.62, HEIGHT * 0.52
    draw.ellipse([cx - 300, cy - 300, cx + 300, cy + 300], outline=accent, width=10)
    for k in range(8):  # people holding the circle: a head and shoulders each
        a = k * math.pi / 4
        px, py = cx + 300 * math.cos(a), cy + 300 * math.sin(a)
        draw.ellipse([px - 34, py - 74, px + 34, py - 6], fill=shape)
        draw.pieslice([px - 60, py - 10, px + 60, py + 110], 180, 360, fill=shape)
    # the community's service centre in the middle: a roof and a door
    draw.polygon([(cx - 140, cy - 20), (cx, cy - 130), (cx + 140, cy - 20)], fill=accent)
    draw.rectangle([cx - 110, cy - 20, cx + 110, cy + 120], fill=accent)
    draw.rectangle([cx - 30, cy + 40, cx + 30, cy + 120], fill=shape)


def _screen(draw, shape, accent) -> None:
    x0, y0, x1, y1 = 560, 150, 1160, 500
    draw.rounded_rectangle([x0, y0, x1, y1], radius=26, fill=shape)
    draw.polygon([(820, 250), (820, 400), (940, 325)], fill=accent)  # a play button
    draw.rectangle([830, y1, 890, y1 + 60], fill=shape)
    draw.rounded_rectangle([720, y1 + 60, 1000, y1 + 84], radius=10, fill=shape)
    for r in (60, 110):  # broadcast arcs
        draw.arc([x1 - 40 - r, y0 - 40 - r, x1 - 40 + r, y0 - 40 + r], 200, 340, fill=accent, width=10)


def cover_jpeg(rng: random.Random, index: int) -> bytes:
    top, bottom, shape, accent = PALETTES[index % len(PALETTES)]
    image = Image.new("RGB", (WIDTH, HEIGHT), top)
    draw = ImageDraw.Draw(image)
    _gradient(draw, top, bottom)
    motif = index % 6
    if motif == 0:
        _book(draw, shape, accent)
    elif motif == 1:
        _waves(draw, rng, shape, accent)
    elif motif == 2:
        _skyline(draw, rng, shape, accent)
    elif motif == 3:
        _fields(draw, bottom, shape, accent)
    elif motif == 4:
        _community(draw, shape, accent)
    else:
        _screen(draw, shape, accent)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=72, optimize=True, progressive=True)
    return buffer.getvalue()
