"""Training polygons as samples: every raster cell whose centre a polygon holds, labelled as the polygon.

This is how image classification is trained in QGIS (the Semi-Automatic Classification
Plugin, dzetsaka, EnMAP-Box): areas drawn over the image rather than points. The cells
of one polygon are alike and side by side, so they form one group: hold-outs and folds
keep a polygon whole (splits.py, folds.py), else its own neighbours would flatter the score.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.windows

from .errors import GeoclfError, SampleWarning, SettingError, warn
from .samples import POLYGON_TYPES, listed_ids

AREA_COLUMN = "training_area"  # the feature id of the polygon (or point) a sample comes from


def cells_in_polygons(features: gpd.GeoDataFrame, raster: str | os.PathLike, max_per_polygon: int | None = None,
                      seed: int = 0) -> gpd.GeoDataFrame:
    """The features as points: each polygon as the centres of the `raster`'s cells inside it (at most
    `max_per_polygon` of them, drawn at random with `seed`), each point as itself; every sample keeps its
    feature's attributes and id (AREA_COLUMN), in the features' CRS."""
    if max_per_polygon is not None and max_per_polygon < 1:
        raise SettingError("{max_per_polygon} must be 1 or more, got {value}", value=max_per_polygon)
    is_area = features.geom_type.isin(list(POLYGON_TYPES)).to_numpy()
    polygons = features[is_area]
    rng = np.random.default_rng(seed)
    with rasterio.open(raster) as src:
        located = polygons.to_crs(src.crs.to_wkt()) if polygons.crs is not None else polygons
        centres, owners, empty = [], [], []
        for feature_id, geometry in zip(located.index, located.geometry):
            xy = _cell_centres(src, geometry)
            if not len(xy):
                empty.append(feature_id)
                continue
            if max_per_polygon is not None and len(xy) > max_per_polygon:
                xy = xy[np.sort(rng.choice(len(xy), max_per_polygon, replace=False))]
            centres.append(xy)
            owners.append(np.full(len(xy), feature_id))
        crs = src.crs.to_wkt()
    if empty:
        warn(f"{len(empty)} training polygon(s) hold no cell centre of {raster} (features {listed_ids(empty)}): they are left out; "
             "draw them larger than a cell, inside the raster", SampleWarning)
    if not centres:
        raise GeoclfError(f"no training polygon holds a cell centre of {raster}; check that the polygons lie on the raster")
    owner = np.concatenate(owners)
    xy = np.concatenate(centres)
    cells = gpd.GeoDataFrame(
        polygons.drop(columns=polygons.geometry.name).loc[owner].reset_index(drop=True),
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs,
    )
    cells[AREA_COLUMN] = owner
    if features.crs is not None:
        cells = cells.to_crs(features.crs)
    points = features[~is_area].assign(**{AREA_COLUMN: features.index[~is_area]}).reset_index(drop=True)
    return gpd.GeoDataFrame(pd.concat([points, cells], ignore_index=True), geometry=features.geometry.name, crs=features.crs)


def _cell_centres(src, geometry) -> np.ndarray:
    """(n, 2) centres of the raster's cells that lie inside `geometry` (in the raster's CRS), GDAL's rule: a cell
    belongs to a polygon when its centre does."""
    found = rasterio.windows.from_bounds(*geometry.bounds, transform=src.transform)
    col0, row0 = max(int(np.floor(found.col_off)), 0), max(int(np.floor(found.row_off)), 0)
    col1 = min(int(np.ceil(found.col_off + found.width)), src.width)
    row1 = min(int(np.ceil(found.row_off + found.height)), src.height)
    if col1 <= col0 or row1 <= row0:  # the polygon lies off the raster
        return np.empty((0, 2))
    window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
    transform = src.window_transform(window)
    inside = rasterio.features.geometry_mask([geometry], (int(window.height), int(window.width)), transform, invert=True)
    rows, cols = np.nonzero(inside)
    x, y = rasterio.transform.xy(transform, rows, cols, offset="center")
    return np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])

