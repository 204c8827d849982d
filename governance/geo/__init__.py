"""Grids on the map (一张图): boundaries, point → grid, the map's data, GeoJSON import."""
