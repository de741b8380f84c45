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


# -- longitudes: one frame for the network, the shortest span for extents -------------------------

def unit_name(crs, unknown: str = "CRS units") -> str:
    """The name of a CRS's linear (or angular) unit, as PROJ spells it ('metre', 'degree'); `unknown` without one."""
    axes = pyproj.CRS(crs).axis_info if crs is not None else []
    return axes[0].unit_name if axes else unknown


def is_geographic(crs) -> bool:
    return crs is not None and pyproj.CRS(crs).is_geographic


def wrap_longitudes(x, west: float = -180.0) -> np.ndarray:
    """Longitudes in [west, west + 360): -179 and 181 are one place, and the network must see one number for it."""
    return west + np.mod(np.asarray(x, dtype=np.float64) - west, 360.0)


def longitude_span(lons) -> tuple[float, float]:
    """(west, east) of the shortest interval holding every longitude: across the antimeridian east passes 180.

    Samples at 175..180 and -180..-175 span 10 degrees (175 to 185), not 355: the interval
    ends where the widest gap between neighbouring longitudes begins.
    """
    sorted_lons = np.unique(wrap_longitudes(lons))
    gaps = np.diff(np.append(sorted_lons, sorted_lons[0] + 360.0))
    widest = int(np.argmax(gaps))
    west = sorted_lons[(widest + 1) % len(sorted_lons)]
    east = sorted_lons[widest] + (360.0 if widest + 1 < len(sorted_lons) else 0.0)
    return float(west), float(east)


def points_extent(xy: np.ndarray, crs) -> tuple[float, float, float, float]:
    """The bounds of points; in a geographic CRS the shortest longitude span, so a survey across 180 is not the globe."""
    if not is_geographic(crs):
        return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))
    west, east = longitude_span(xy[:, 0])
    return (west, float(xy[:, 1].min()), east, float(xy[:, 1].max()))
