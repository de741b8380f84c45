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

from .crs import is_geographic, transform_bounds
from .errors import GeoclfError

MAX_CELLS = 100_000_000  # a larger grid needs --force: a typo in the resolution should not run all night
DEFAULT_CELLS_ACROSS = 1000  # default resolution: about this many cells along the longer side
MIN_CELLS_ACROSS = 2  # fewer cells along the longer side is no map: a --resolution typo, or the wrong units
MAX_CELLS_ACROSS = 2**31 - 1  # GDAL's raster dimensions are C ints
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
                raise GeoclfError(f"--size must be two positive cell counts like 1000,800, got {width},{height}")
            return cls(Affine((xmax - xmin) / width, 0, xmin, 0, -(ymax - ymin) / height, ymax), width, height, crs)
        if resolution is None:
            resolution = default_resolution((xmin, ymin, xmax, ymax))
        if not 0 < resolution < math.inf:
            raise GeoclfError(f"--resolution must be a positive cell size in CRS units, got {resolution}")
        longer = max(xmax - xmin, ymax - ymin)
        across = longer / resolution
        if across > MAX_CELLS_ACROSS:  # first: a tiny resolution makes `across` infinite
            raise GeoclfError(
                f"--resolution {resolution:g} would make {across:.3g} cells across, more than a GeoTIFF holds "
                f"({MAX_CELLS_ACROSS:,}); give a coarser cell size"
            )
        if math.ceil(across - 1e-9) < MIN_CELLS_ACROSS:
            raise GeoclfError(
                f"--resolution {resolution:g} covers the whole extent ({xmax - xmin:g} x {ymax - ymin:g}) with one cell; "
                f"give a cell size under {longer / (MIN_CELLS_ACROSS - 1):g} (the CRS's units)"
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
) -> Grid:
    """The grid a user means by EXTENT (text, vector or raster path), --resolution/--size or --like.

    Text bounds are in the target CRS unless followed by [CRS]; files carry their own CRS.
    A raster lends its exact grid unless a resolution or size is given; --like always does.
    """
    if like is not None:
        if extent is not None or resolution is not None or size is not None:
            raise GeoclfError("--like copies a whole grid: give it without EXTENT, --resolution or --size")
        return Grid.from_raster(like)
    if extent is None:
        raise GeoclfError("give an EXTENT (xmin,ymin,xmax,ymax, or a vector or raster file) or --like GRID.tif")
    if resolution is not None and size is not None:
        raise GeoclfError("give --resolution or --size, not both")
    path = Path(extent)
    if path.exists():
        return _grid_from_file(path, target_crs, resolution, size)
    match = _EXTENT_PATTERN.match(extent)
    numbers = match.group("numbers").replace(" ", "").split(",") if match else []
    try:
        bounds = [float(v) for v in numbers]
    except ValueError:
        bounds = []
    if len(bounds) != 4:
        raise GeoclfError(
            f"cannot read extent {extent!r}: give xmin,ymin,xmax,ymax (optionally followed by [EPSG:nnnn]) or an existing file"
        )
    source = _crs(match.group("crs")) if match.group("crs") else target_crs
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
