"""Input values at points: coordinates in the model's CRS, attributes, covariates sampled under each point.

Values come with a validity mask: a covariate that is nodata or outside its raster
makes that point unusable, not a wrong number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .crs import is_geographic, wrap_longitudes
from .errors import GeoclfError, warn
from .inputs import InputSpec

if TYPE_CHECKING:
    import geopandas as gpd


def coordinates(points: "gpd.GeoDataFrame") -> np.ndarray:
    """The (n, 2) float64 array of point coordinates, in the layer's CRS."""
    return np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()]).astype(np.float64)


def to_model_crs(points: "gpd.GeoDataFrame", model_crs, where: str) -> "gpd.GeoDataFrame":
    """Points in the model's CRS: reprojected when they come in another one.

    Points with no CRS cannot be placed against a model that has one; guessing
    would silently shift the map, so it is an error.
    """
    if model_crs is None and points.crs is not None:
        warn(f"the model has no CRS: the coordinates of {where} ({points.crs.to_string()}) are taken as they are; "
             "train on samples with a CRS to have them reprojected")
        return points
    if model_crs is None or points.crs == model_crs:
        return points
    if points.crs is None:
        raise GeoclfError(
            f"{where} has no CRS but the model is in {model_crs.to_string()}; "
            "assign the points' CRS (e.g. in QGIS or with ogr2ogr -a_srs) and try again"
        )
    return points.to_crs(model_crs)


def sample_covariate(spec: InputSpec, points: "gpd.GeoDataFrame") -> tuple[np.ndarray, np.ndarray]:
    """The band value of the cell under each point (reprojected to the raster's CRS), and whether it is valid."""
    import rasterio

    with rasterio.open(spec.path) as src:
        located = points.to_crs(src.crs.to_wkt()) if points.crs is not None else points
        xy = coordinates(located)
        rows, cols = rasterio.transform.rowcol(src.transform, xy[:, 0], xy[:, 1])
        rows, cols = np.asarray(rows), np.asarray(cols)
        inside = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
        values = np.full(len(xy), np.nan)
        if inside.any():
            sampled = np.ma.masked_array(list(src.sample(xy[inside], indexes=spec.band, masked=True)))
            values[inside] = np.ma.filled(sampled.astype(np.float64).ravel(), np.nan)
    return values, np.isfinite(values)


def input_values(points: "gpd.GeoDataFrame", specs: list[InputSpec], model_crs, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(values (n, inputs), valid (n,)) for points; a point is invalid where any input is missing."""
    located = to_model_crs(points, model_crs, where)
    columns, valid = [], np.ones(len(points), dtype=bool)
    missing = [spec.name for spec in specs if spec.kind == "attribute" and spec.name not in points.columns]
    if missing:
        raise GeoclfError(f"{where} lacks the field(s) {', '.join(missing)} that the model uses as inputs; add them")
    xy = coordinates(located)
    if is_geographic(model_crs):  # one number per place for the network: 181 and -179 are one longitude
        xy[:, 0] = wrap_longitudes(xy[:, 0])
    for spec in specs:
        if spec.kind == "coordinate":
            column = xy[:, 0 if spec.name == "x" else 1]
        elif spec.kind == "attribute":
            column = np.asarray(points[spec.name].to_numpy(), dtype=np.float64)
        else:
            column, ok = sample_covariate(spec, located)
            valid &= ok
        valid &= np.isfinite(column)
        columns.append(column)
    return np.column_stack(columns), valid
