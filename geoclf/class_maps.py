"""Reading a class map back: its legend (codes, names, colours) and each cell's area.

The commands that work on a finished map (areas, sieve, vectorize) read it through here.
A map geoclf wrote names its classes in its tags; any other single-band integer map
(a QGIS plugin's, a land-cover product) works too, its codes standing for the names.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import pyproj
import rasterio

from .colors import class_colors, hex_color
from .errors import GeoclfError

NODATA_CODE = 255


@dataclass(frozen=True)
class Legend:
    """The classes of a map: code in the raster, name, colour (#rrggbb), and the label field the names came from."""

    codes: list[int]
    names: list[str]
    colors: list[str]
    label: str = "class"

    def name_of(self, code: int) -> str:
        return dict(zip(self.codes, self.names)).get(int(code), str(int(code)))

    def with_codes(self, found) -> "Legend":
        """This legend, plus codes found in the map that it does not name (named by their number)."""
        extra = sorted(int(code) for code in set(map(int, found)) - set(self.codes))
        if not extra:
            return self
        colors = class_colors(len(self.codes) + len(extra))[len(self.codes):]
        return Legend([*self.codes, *extra], [*self.names, *map(str, extra)], [*self.colors, *colors], self.label)


def open_class_map(path: str | os.PathLike):
    """The map opened with rasterio, after the checks every command on a map needs: it exists, it is
    one band of whole numbers, and it has a CRS (areas and polygons need one)."""
    if not os.path.isfile(path):
        raise GeoclfError(f"{path}: no such file; give a class map (a GeoTIFF from geoclf predict-raster)")
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError:
        raise GeoclfError(f"{path} is not a raster GDAL can read; give a class map GeoTIFF") from None
    if src.count != 1 or not np.issubdtype(np.dtype(src.dtypes[0]), np.integer):
        src.close()
        raise GeoclfError(f"{path} has {src.count} band(s) of {src.dtypes[0]}; a class map is one band of whole numbers "
                          "(the probabilities raster is not one: give the classes raster)")
    if src.crs is None:
        src.close()
        raise GeoclfError(f"{path} has no CRS, so its cells have no area; assign one (e.g. gdal_edit.py -a_srs EPSG:...)")
    return src


def read_legend(src) -> Legend:
    """The legend an open class map carries: geoclf's tags, else its colour table's entries, else nothing yet
    (`Legend.with_codes` names what the cells hold)."""
    tags = src.tags()
    colormap = _colormap(src)
    if "GEOCLF_CLASSES" in tags:
        names = [str(name) for name in json.loads(tags["GEOCLF_CLASSES"])]
        codes = [int(code) for code in json.loads(tags.get("GEOCLF_CODES", "null")) or range(len(names))]
        label = tags.get("GEOCLF_LABEL") or src.descriptions[0] or "class"
    else:
        codes = sorted(code for code in colormap if code != src.nodata)
        names, label = [tags.get(f"CLASS_{code}", str(code)) for code in codes], src.descriptions[0] or "class"
    fallback = class_colors(len(codes))
    colors = [colormap.get(code, fallback[index]) for index, code in enumerate(codes)]
    return Legend(codes, names, colors, label)


def _colormap(src) -> dict[int, str]:
    try:
        table = src.colormap(1)
    except ValueError:  # no colour table
        return {}
    # GDAL fills a table to 256 entries; only the ones not left black and transparent are classes
    return {int(code): hex_color(rgba[:3]) for code, rgba in table.items() if tuple(rgba) != (0, 0, 0, 0)}


def nodata_code(src) -> int | None:
    return None if src.nodata is None else int(src.nodata)


def row_cell_areas(src) -> np.ndarray:
    """The area in hectares of one cell of each row: the same for every row in a projected CRS (from its
    unit), on the CRS's ellipsoid in a geographic one (cells shrink towards the poles)."""
    crs = pyproj.CRS(src.crs.to_wkt())
    a, b, _, d, e, _ = tuple(src.transform)[:6]
    if crs.is_geographic:
        if b or d:
            raise GeoclfError("a rotated grid in degrees has no cell areas geoclf can compute; warp it to a north-up grid first")
        geod = crs.get_geod()
        top = src.transform.f + e * np.arange(src.height + 1)
        west, east = src.transform.c, src.transform.c + a
        areas = np.empty(src.height)
        for row in range(src.height):  # one polygon per row: every cell of a row has the same area
            area, _ = geod.polygon_area_perimeter([west, east, east, west], [top[row], top[row], top[row + 1], top[row + 1]])
            areas[row] = abs(area) / 1e4
        return areas
    metres = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return np.full(src.height, abs(a * e - b * d) * metres**2 / 1e4)
