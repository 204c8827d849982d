"""Cover pictures drawn locally with Pillow: flat motifs in party red, gold and sea blue.

A few dozen distinct covers are enough; articles reuse them. Each is a small JPEG.
"""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1280, 720
PALETTES = [
    ((200, 16, 46), (150, 10, 30), (255, 204, 0)),
    ((178, 34, 34), (110, 14, 20), (255, 223, 128)),
    ((0, 92, 151), (0, 55, 100), (255, 255, 255)),
    ((34, 120, 74), (16, 78, 46), (250, 230, 140)),
    ((230, 92, 0), (170, 50, 0), (255, 240, 200)),
    ((90, 60, 160), (50, 30, 110), (255, 215, 0)),
]


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill) -> None:
    points = []
    for k in range(10):
        angle = -math.pi / 2 + k * math.pi / 5
        radius = r if k % 2 == 0 else r * 0.4
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=fill)


def cover_jpeg(rng: random.Random, index: int) -> bytes:
    top, bottom, accent = PALETTES[index % len(PALETTES)]
    image = Image.new("RGB", (WIDTH, HEIGHT), top)
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):  # vertical gradient
        t = y / HEIGHT
        draw.line([(0, y), (WIDTH, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    motif = index % 5
    if motif == 0:  # a big star and four small ones
        _star(draw, 260, 300, 150, accent)
        for k in range(4):
            angle = -0.9 + k * 0.5
            _star(draw, 260 + 300 * math.cos(angle), 300 + 300 * math.sin(angle), 40, accent)
    elif motif == 1:  # waves of the Yellow Sea
        for k in range(6):
            base = 380 + k * 55
            points = [(x, base + 22 * math.sin(x / 90 + k + rng.random())) for x in range(0, WIDTH + 20, 20)]
            draw.line(points, fill=accent, width=6)
    elif motif == 2:  # a skyline of the new town
        x = 0
        while x < WIDTH:
            w, h = rng.randint(60, 140), rng.randint(120, 420)
            draw.rectangle([x, HEIGHT - h, x + w - 8, HEIGHT], fill=bottom)
            for wy in range(HEIGHT - h + 20, HEIGHT - 20, 40):
                for wx in range(x + 12, x + w - 20, 28):
                    if rng.random() < 0.6:
                        draw.rectangle([wx, wy, wx + 12, wy + 18], fill=accent)
            x += w
    elif motif == 3:  # rice fields in rows
        for k in range(12):
            y = 300 + k * 36
            draw.polygon([(0, y), (WIDTH, y - 120), (WIDTH, y - 100), (0, y + 20)], fill=accent if k % 2 else bottom)
        draw.ellipse([980, 60, 1160, 240], fill=accent)
    else:  # ribbons
        for k in range(7):
            y = 120 + k * 80
            draw.rectangle([rng.randint(-200, 200), y, WIDTH + 200, y + 24], fill=accent if k % 2 == 0 else bottom)
        _star(draw, 1080, 160, 90, accent)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=72, optimize=True, progressive=True)
    return buffer.getvalue()
