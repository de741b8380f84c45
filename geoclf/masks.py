"""Where a class map should be drawn at all: inside polygons, near the samples, or inside their hull.

A model knows nothing about places far from its samples; a mask keeps the map honest
and saves the work: windows entirely outside it are never computed, and cells outside
are nodata. Distances are in the grid's CRS units (like verde's distance_mask).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from affine import Affine
from rasterio.features import geometry_mask
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from .crs import move_xy
from .errors import SettingError

HULL = "hull"


@dataclass
class Mask:
    """Cells to draw: inside `area` (a shapely geometry) and within `max_distance` of `points`, both in the grid's CRS."""

    area: shapely.Geometry | None = None
    points: np.ndarray | None = None
    max_distance: float | None = None

    def __post_init__(self):
        self._tree = None
        if self.area is not None:
            shapely.prepare(self.area)

    def __getstate__(self):  # the KD-tree is rebuilt where the mask is used (a Dask worker)
        state = dict(self.__dict__)
        state["_tree"] = None
        return state

    def _kdtree(self):
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.points)
        return self._tree

    def touches(self, transform: Affine, window: Window) -> bool:
        """Whether any cell of the window may be inside; False lets the window be skipped unread."""
        left, top = transform @ (window.col_off, window.row_off)
        right, bottom = transform @ (window.col_off + window.width, window.row_off + window.height)
        box = shapely.box(min(left, right), min(top, bottom), max(left, right), max(top, bottom))
        if self.area is not None and not self.area.intersects(box):
            return False
        if self.max_distance is not None:
            centre = ((left + right) / 2, (top + bottom) / 2)
            reach = self.max_distance + np.hypot(right - left, top - bottom) / 2
            nearest, _ = self._kdtree().query(centre)
            return bool(nearest <= reach)
        return True

    def inside(self, transform: Affine, window: Window, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which of the window's cells (centres x, y, row-major) are inside the mask."""
        keep = np.ones(x.shape, dtype=bool)
        if self.area is not None:
            shape = (int(window.height), int(window.width))
            keep &= geometry_mask([self.area], shape, window_transform(window, transform), invert=True).ravel()
        if self.max_distance is not None:
            distance, _ = self._kdtree().query(np.column_stack([x, y]), distance_upper_bound=self.max_distance)
            keep &= np.isfinite(distance)
        return keep


def build_mask(mask: str | os.PathLike | None, max_distance: float | None, sample_points, model_crs, grid_crs) -> Mask | None:
    """The mask a user asked for: MASK is 'hull' or a polygon file; --max-distance is from the training samples."""
    if mask is None and max_distance is None:
        return None
    if max_distance is not None and not max_distance > 0:
        raise SettingError("{max_distance} must be positive (in the grid's CRS units), got {value}", value=max_distance)
    needs_samples = mask == HULL or max_distance is not None
    if needs_samples and (sample_points is None or len(sample_points) == 0):
        raise SettingError("this model file holds no sample locations for {mask} hull or {max_distance}; train it again")
    points = None
    if needs_samples:
        points = np.asarray(sample_points, dtype=np.float64)
        points = np.column_stack(move_xy(points[:, 0], points[:, 1], model_crs, grid_crs))
    area = None
    if mask == HULL:
        area = shapely.MultiPoint(points).convex_hull
        if area.area == 0:
            raise SettingError("the training samples lie on a line, so their hull has no area; use {max_distance} or a polygon {mask}")
    elif mask is not None:
        area = _polygons(Path(mask), grid_crs)
    return Mask(area=area, points=points if max_distance is not None else None, max_distance=max_distance)


def _polygons(path: Path, grid_crs) -> shapely.Geometry:
    """The union of a polygon layer's geometries, in the grid's CRS."""
    import geopandas as gpd
    import pyogrio

    if not path.exists():
        raise SettingError("{mask} {path}: no such file; give a polygon layer or 'hull'", path=path)
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        raise SettingError("{mask} {path}: not a vector file GDAL can read; give a polygon layer (GeoPackage, Shapefile...)", path=path) from None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty or not frame.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        kinds = ", ".join(sorted(set(frame.geom_type))) or "no geometries"
        raise SettingError("{mask} {path} holds {kinds}; it must be a polygon layer", path=path, kinds=kinds)
    if frame.crs is not None and grid_crs is not None:
        frame = frame.to_crs(grid_crs)
    return shapely.union_all(frame.geometry.make_valid().to_numpy())
