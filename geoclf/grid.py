"""The output grid: where each cell is, in which CRS, visited window by window.

A Grid is an affine transform, a shape and a CRS, exactly as rasterio describes a
raster. It is made from an extent and a resolution or size, or copied from a raster.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyproj
import rasterio
from affine import Affine
from rasterio.windows import Window

from .crs import is_geographic, transform_bounds, unit_name
from .errors import ExtrapolationWarning, GeoclfError, SettingError, warn

MAX_CELLS = 100_000_000  # a larger grid needs --force: a typo in the resolution should not run all night
DEFAULT_CELLS_ACROSS = 1000  # default resolution: about this many cells along the longer side
MIN_CELLS_ACROSS = 2  # fewer cells along the longer side is no map: a --resolution typo, or the wrong units
MAX_CELLS_ACROSS = 2**31 - 1  # GDAL's raster dimensions are C ints
MIN_TRAINED_SHARE = 0.01  # a map whose extent the training samples' extent covers less of is nearly all extrapolation
_EXTENT_PATTERN = re.compile(r"^\s*(?P<numbers>[^\[\]]+?)\s*(\[\s*(?P<crs>[^\[\]]+?)\s*\])?\s*$")


@dataclass(frozen=True)
class Grid:
    """A north-up or rotated raster grid: cell (row, col) has its centre at transform * (col + .5, row + .5)."""

    transform: Affine
    width: int
    height: int
    crs: pyproj.CRS | None

    @property
    def cells(self) -> int:
        return self.width * self.height

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return rasterio.transform.array_bounds(self.height, self.width, self.transform)

    @property
    def resolution(self) -> tuple[float, float]:
        return (abs(self.transform.a), abs(self.transform.e))

    def windows(self, block: int = 256) -> Iterator[Window]:
        """Tiles of block x block cells in row-major order, matching a tiled GeoTIFF's blocks."""
        for row in range(0, self.height, block):
            for col in range(0, self.width, block):
                yield Window(col, row, min(block, self.width - col), min(block, self.height - row))

    def cell_centers(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every cell centre in the window, row-major, each of shape (rows * cols,)."""
        cols = window.col_off + np.arange(window.width, dtype=np.float64) + 0.5
        rows = window.row_off + np.arange(window.height, dtype=np.float64) + 0.5
        t = self.transform
        x = t.c + t.a * cols[None, :] + t.b * rows[:, None]
        y = t.f + t.d * cols[None, :] + t.e * rows[:, None]
        return x.ravel(), y.ravel()

    @classmethod
    def from_bounds(cls, bounds, crs, resolution: float | None = None, size: tuple[int, int] | None = None) -> "Grid":
        """Cover bounds with square cells of `resolution`, or with exactly `size` = (width, height) cells."""
        xmin, ymin, xmax, ymax = check_bounds(bounds)
        if size is not None:
            width, height = size
            if width < 1 or height < 1:
                raise SettingError("{size} must be two positive cell counts like 1000,800, got {width},{height}", width=width, height=height)
            return cls(Affine((xmax - xmin) / width, 0, xmin, 0, -(ymax - ymin) / height, ymax), width, height, crs)
        if resolution is None:
            resolution = default_resolution((xmin, ymin, xmax, ymax))
        if not 0 < resolution < math.inf:
            raise SettingError("{resolution} must be a positive cell size in CRS units, got {value}", value=resolution)
        longer = max(xmax - xmin, ymax - ymin)
        across = longer / resolution
        if across > MAX_CELLS_ACROSS:  # first: a tiny resolution makes `across` infinite
            raise SettingError(
                "{resolution} {value:g} would make {across:.3g} cells across, more than a GeoTIFF holds ({most:,}); "
                "give a coarser cell size", value=resolution, across=across, most=MAX_CELLS_ACROSS,
            )
        if math.ceil(across - 1e-9) < MIN_CELLS_ACROSS:
            raise SettingError(
                "{resolution} {value:g} covers the whole extent ({width:g} x {height:g}) with one cell; "
                "give a cell size under {most:g} (the CRS's units)",
                value=resolution, width=xmax - xmin, height=ymax - ymin, most=longer / (MIN_CELLS_ACROSS - 1),
            )
        # Cover the whole extent; the small tolerance keeps 2000 m / 2 m at 1000 cells, not 1001.
        width = max(1, math.ceil((xmax - xmin) / resolution - 1e-9))
        height = max(1, math.ceil((ymax - ymin) / resolution - 1e-9))
        return cls(Affine(resolution, 0, xmin, 0, -resolution, ymax), width, height, crs)

    @classmethod
    def from_raster(cls, path: str | os.PathLike) -> "Grid":
        """The exact grid of an existing raster (its transform, shape and CRS)."""
        try:
            with rasterio.open(path) as src:
                crs = pyproj.CRS.from_wkt(src.crs.to_wkt()) if src.crs else None
                return cls(src.transform, src.width, src.height, crs)
        except rasterio.errors.RasterioIOError:
            raise GeoclfError(f"{path}: not a raster GDAL can read; give a GeoTIFF or another raster") from None


def check_bounds(bounds) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise GeoclfError(f"extent {xmin},{ymin},{xmax},{ymax} has a non-finite number; give four finite numbers")
    if not math.isfinite(xmax - xmin) or not math.isfinite(ymax - ymin):
        raise GeoclfError(f"extent {xmin:g},{ymin:g},{xmax:g},{ymax:g} is wider than a number can hold; give a real extent")
    if xmin >= xmax or ymin >= ymax:
        raise GeoclfError(
            f"extent {xmin:g},{ymin:g},{xmax:g},{ymax:g} is inverted or has zero size: "
            "give xmin,ymin,xmax,ymax with xmin < xmax and ymin < ymax"
        )
    return xmin, ymin, xmax, ymax


def padded(bounds, fraction: float) -> tuple[float, float, float, float]:
    """Bounds grown by `fraction` of their width and height on every side (samples on the edge stay inside)."""
    xmin, ymin, xmax, ymax = bounds
    dx, dy = fraction * (xmax - xmin), fraction * (ymax - ymin)
    return (xmin - dx, ymin - dy, xmax + dx, ymax + dy)


def default_resolution(bounds) -> float:
    """A round cell size (1, 2, 2.5 or 5 times a power of ten) giving about 1000 cells along the longer side."""
    xmin, ymin, xmax, ymax = bounds
    raw = max(xmax - xmin, ymax - ymin) / DEFAULT_CELLS_ACROSS
    power = 10.0 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= raw * (1 - 1e-9))


def _crs(text: str) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise GeoclfError(f"unknown CRS {text!r} in the extent; write it like [EPSG:4326]") from None


def _vector_bounds(path: Path):
    """Union of the bounds of every layer, with the first layer's CRS."""
    import pyogrio  # only for vector extents: it costs ~80 MB, which predict-raster should not pay

    boxes, crs = [], None
    for name, _ in pyogrio.list_layers(path):
        info = pyogrio.read_info(path, layer=name, force_total_bounds=True)
        layer_crs = _crs(info["crs"]) if info.get("crs") else None
        crs = crs or layer_crs
        if info.get("total_bounds") is not None and np.all(np.isfinite(info["total_bounds"])):
            boxes.append(transform_bounds(info["total_bounds"], layer_crs, crs))
    if not boxes:
        raise GeoclfError(f"{path} has no features to take an extent from; give xmin,ymin,xmax,ymax instead")
    boxes = np.asarray(boxes)
    return (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()), crs


def resolve_grid(
    extent: str | None,
    target_crs: pyproj.CRS | None,
    resolution: float | None = None,
    size: tuple[int, int] | None = None,
    like: str | os.PathLike | None = None,
    training_extent: tuple[float, float, float, float] | None = None,
) -> Grid:
    """The grid a user means by EXTENT (text, vector or raster path), --resolution/--size or --like.

    Text bounds are in the target CRS unless followed by [CRS]; files carry their own CRS.
    A raster lends its exact grid unless a resolution or size is given; --like always does.
    Given the `training_extent` (in the target CRS), a grid that misses it is warned about.
    """
    grid = _resolve_grid(extent, target_crs, resolution, size, like)
    if training_extent is not None:
        warn_apart_from_training(grid, training_extent, target_crs, extent if like is None else None)
    return grid


def warn_apart_from_training(grid: Grid, training: tuple[float, float, float, float], crs, extent_text: str | None = None) -> None:
    """One warning line when the training extent covers almost none of the grid (under MIN_TRAINED_SHARE):
    nearly every class in the map would be extrapolated.

    The usual causes are QGIS's extent order (xmin,xmax,ymin,ymax), which draws a huge
    square with the samples in a corner, and lon/lat numbers without [EPSG:4326]: when
    reading the given numbers either way would cover the samples, the line says so.
    """
    if is_geographic(crs):  # longitudes wrap: leave the antimeridian's cases to the per-point warnings
        return
    bounds = transform_bounds(grid.bounds, grid.crs, crs)
    share = _covered_share(bounds, training)
    if share >= MIN_TRAINED_SHARE:
        return
    hints = []
    numbers = _extent_numbers(extent_text)
    if numbers is not None:
        a, b, c, d = numbers
        if a < b and c < d and _covered_share((a, c, b, d), training) >= MIN_TRAINED_SHARE:
            hints.append(f"read in QGIS's order (xmin,xmax,ymin,ymax) it would cover them: write {a:g},{c:g},{b:g},{d:g}")
        lonlat = -180 <= a <= 180 and -180 <= c <= 180 and -90 <= b <= 90 and -90 <= d <= 90 and a < c and b < d
        if lonlat and crs is not None and _covered_share(transform_bounds((a, b, c, d), "EPSG:4326", crs), training) >= MIN_TRAINED_SHARE:
            hints.append(f"read as longitude and latitude it would cover them: write {extent_text.strip()} [EPSG:4326]")
    shown = ",".join(f"{v:.6g}" for v in training)
    if share > 0:
        where = f"covers only {100 * share:.2g}% of the map's extent"
    else:
        dx = max(training[0] - bounds[2], bounds[0] - training[2], 0.0)
        dy = max(training[1] - bounds[3], bounds[1] - training[3], 0.0)
        where = f"does not overlap the map's extent, which lies {math.hypot(dx, dy):.4g} {unit_name(crs)} away"
    advice = "; ".join(hints) if hints else "check the extent's order (xmin,ymin,xmax,ymax) and CRS"
    warn(f"the training samples' extent ({shown}) {where}: nearly every class in the map is extrapolated; {advice}",
         ExtrapolationWarning)


def _covered_share(bounds, training) -> float:
    """The share of the box `bounds` that the box `training` covers (0 when apart; 1 when bounds has no area inside)."""
    width = min(bounds[2], training[2]) - max(bounds[0], training[0])
    height = min(bounds[3], training[3]) - max(bounds[1], training[1])
    if width < 0 or height < 0:
        return 0.0
    area = (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])
    return 1.0 if area <= 0 else min(1.0, width * height / area)


def _extent_numbers(text: str | None) -> tuple[float, float, float, float] | None:
    """The four numbers of an extent given as text without a [CRS] (the only kind whose reading can be wrong)."""
    if text is None or Path(text).exists():
        return None
    bounds, crs_text = _text_extent(text)
    return tuple(bounds) if len(bounds) == 4 and not crs_text else None


def _text_extent(text: str) -> tuple[list[float], str | None]:
    """'xmin,ymin,xmax,ymax [CRS]' read as (its numbers, the CRS's text or None); no numbers when it cannot be read."""
    match = _EXTENT_PATTERN.match(text)
    if not match:
        return [], None
    try:
        bounds = [float(v) for v in match.group("numbers").replace(" ", "").split(",")]
    except ValueError:
        bounds = []
    return bounds, match.group("crs")


def _resolve_grid(extent, target_crs, resolution, size, like) -> Grid:
    if like is not None:
        if extent is not None or resolution is not None or size is not None:
            raise SettingError("{like} copies a whole grid: give it without EXTENT, {resolution} or {size}")
        return Grid.from_raster(like)
    if extent is None:
        raise SettingError("give an EXTENT (xmin,ymin,xmax,ymax, or a vector or raster file) or {like} GRID.tif")
    if resolution is not None and size is not None:
        raise SettingError("give {resolution} or {size}, not both")
    path = Path(extent)
    if path.exists():
        return _grid_from_file(path, target_crs, resolution, size)
    bounds, crs_text = _text_extent(extent)
    if len(bounds) != 4:
        raise GeoclfError(
            f"cannot read extent {extent!r}: give xmin,ymin,xmax,ymax (optionally followed by [EPSG:nnnn]) or an existing file"
        )
    source = _crs(crs_text) if crs_text else target_crs
    if is_geographic(source) and bounds[0] > bounds[2]:  # 178,-20,-178,-18 in lon/lat crosses the antimeridian
        bounds[2] += 360.0
    check_bounds(bounds)
    if source is not None and target_crs is None:
        raise GeoclfError("the model has no CRS, so the extent cannot be transformed: drop the [CRS] from the extent")
    return Grid.from_bounds(transform_bounds(bounds, source, target_crs), target_crs, resolution, size)


def _grid_from_file(path: Path, target_crs, resolution, size) -> Grid:
    try:
        with rasterio.open(path) as src:
            is_raster = src.count > 0
    except rasterio.errors.RasterioIOError:
        is_raster = False
    if is_raster:
        grid = Grid.from_raster(path)
        if resolution is None and size is None:
            return grid
        return Grid.from_bounds(transform_bounds(grid.bounds, grid.crs, target_crs), target_crs, resolution, size)
    from pyogrio.errors import DataSourceError

    try:
        bounds, crs = _vector_bounds(path)
    except DataSourceError:
        raise GeoclfError(f"{path}: neither a raster nor a vector file GDAL can read; give xmin,ymin,xmax,ymax instead") from None
    return Grid.from_bounds(transform_bounds(bounds, crs, target_crs), target_crs, resolution, size)
