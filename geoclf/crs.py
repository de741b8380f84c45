"""Moving coordinates and boxes between CRSs, always in x, y order (easting, northing; lon, lat).

The one place geoclf reprojects arrays and extents (point layers move with geopandas'
`to_crs`). An unknown CRS on either side means there is nothing to move: a caller that
must refuse that case (a model in a CRS, a grid in none) says so itself.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyproj


def _differ(source, target) -> bool:
    return source is not None and target is not None and pyproj.CRS(source) != pyproj.CRS(target)


def xy_transform(source, target) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None:
    """x, y arrays from `source` to `target`; None when there is nothing to move (same CRS, or one unknown)."""
    if not _differ(source, target):
        return None
    return pyproj.Transformer.from_crs(source, target, always_xy=True).transform


def move_xy(x, y, source, target) -> tuple[np.ndarray, np.ndarray]:
    """x, y arrays from `source` to `target`; the arrays themselves when there is nothing to move."""
    transform = xy_transform(source, target)
    return transform(x, y) if transform is not None else (np.asarray(x), np.asarray(y))


def transform_bounds(bounds, source, target) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) from `source` to `target`, edges densified as GDAL does so curved ones stay inside."""
    if not _differ(source, target):
        return tuple(float(v) for v in bounds)
    from rasterio.crs import CRS
    from rasterio.warp import transform_bounds as gdal_transform_bounds

    as_gdal = (CRS.from_wkt(pyproj.CRS(crs).to_wkt()) for crs in (source, target))
    return tuple(gdal_transform_bounds(*as_gdal, *bounds, densify_pts=21))
