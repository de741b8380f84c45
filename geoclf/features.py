"""From sample points to the numbers the network sees, and their scaling.

An input is described by a small dict ({"name": "x", "kind": "coordinate"}) that
the model file stores, so prediction rebuilds exactly the inputs training used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import GeoclfError

if TYPE_CHECKING:  # the model file needs the scaler, not geopandas
    import geopandas as gpd

COORDINATE_INPUTS = ({"name": "x", "kind": "coordinate"}, {"name": "y", "kind": "coordinate"})


def coordinates(points: gpd.GeoDataFrame) -> np.ndarray:
    """The (n, 2) float64 array of point coordinates, in the layer's CRS."""
    return np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()]).astype(np.float64)


@dataclass(frozen=True)
class Standardizer:
    """Zero mean, unit variance per input, with statistics from the training points.

    Coordinates in metres are 10^5..10^6 in size; unscaled, they would saturate the
    first layer. The statistics travel in the model so prediction scales the same way.
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> "Standardizer":
        scale = values.std(axis=0)
        return cls(mean=values.mean(axis=0), scale=np.where(scale > 0, scale, 1.0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.mean) / self.scale).astype(np.float32)

    def to_dict(self) -> dict:
        return {"method": "standard", "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "Standardizer":
        return cls(mean=np.asarray(data["mean"], dtype=np.float64), scale=np.asarray(data["scale"], dtype=np.float64))


def to_model_crs(points: gpd.GeoDataFrame, model_crs, where: str) -> gpd.GeoDataFrame:
    """Points in the model's CRS: reprojected when they come in another one.

    Points with no CRS cannot be placed against a model that has one; guessing
    would silently shift the map, so it is an error.
    """
    if model_crs is None or points.crs == model_crs:
        return points
    if points.crs is None:
        raise GeoclfError(
            f"{where} has no CRS but the model is in {model_crs.to_string()}; "
            "assign the points' CRS (e.g. in QGIS or with ogr2ogr -a_srs) and try again"
        )
    return points.to_crs(model_crs)
