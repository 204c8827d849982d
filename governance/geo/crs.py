"""WGS-84 ⇄ GCJ-02 (国测局坐标, "Mars coordinates") for tile servers that draw in GCJ-02.

高德 and most Chinese commercial tiles are offset by the published GCJ-02 transform (Krasovsky
ellipsoid constants below). We store WGS-84 and convert only what is displayed; a boundary drawn on
GCJ-02 tiles is converted back before it is validated and stored. The inverse has no closed form:
a few fixed-point iterations bring it below a millimetre. Outside China the transform is the
identity, as in every published implementation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

WGS84 = "wgs84"
GCJ02 = "gcj02"
CRS_CHOICES = (WGS84, GCJ02)

_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02_array(coords: np.ndarray) -> np.ndarray:
    """(n, 2) array of [lon, lat] in WGS-84 → GCJ-02."""
    coords = np.asarray(coords, dtype=float)
    d_lon, d_lat = _delta(coords[:, 0], coords[:, 1])
    return np.column_stack([coords[:, 0] + d_lon, coords[:, 1] + d_lat])


def gcj02_to_wgs84_array(coords: np.ndarray) -> np.ndarray:
    """(n, 2) array of [lon, lat] in GCJ-02 → WGS-84 (iterated to < 1e-9°, about 0.1 mm)."""
    target = np.asarray(coords, dtype=float)
    guess = target.copy()
    for _ in range(30):
        error = wgs84_to_gcj02_array(guess) - target
        guess -= error
        if np.abs(error).max(initial=0.0) < 1e-9:
            break
    return guess


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    out = wgs84_to_gcj02_array(np.array([[lon, lat]]))[0]
    return float(out[0]), float(out[1])


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    out = gcj02_to_wgs84_array(np.array([[lon, lat]]))[0]
    return float(out[0]), float(out[1])


def convert_geojson(geometry: dict[str, Any] | None, *, to_display: bool, crs: str) -> dict[str, Any] | None:
    """Convert a GeoJSON Polygon/MultiPolygon between storage (WGS-84) and the display CRS."""
    if geometry is None or crs == WGS84:
        return geometry
    func = wgs84_to_gcj02_array if to_display else gcj02_to_wgs84_array

    def ring(positions: list) -> list:
        if not positions:
            return positions
        return func(np.asarray(positions, dtype=float)[:, :2]).tolist()

    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        return {"type": kind, "coordinates": [ring(r) for r in coordinates]}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [[ring(r) for r in p] for p in coordinates]}
    return geometry
