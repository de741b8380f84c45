"""Classifying new points: the same inputs as training, read from the points themselves."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from .features import coordinates, to_model_crs
from .model import Model

PREDICTED_COLUMN = "predicted"


def probability_column(name: str) -> str:
    return f"prob_{name}"


def predict_points(model: Model, points: gpd.GeoDataFrame, where: str = "the points", device: str = "cpu") -> gpd.GeoDataFrame:
    """A copy of the points, in their own CRS, with the predicted class and one probability column per class."""
    values = coordinates(to_model_crs(points, model.crs, where))
    probs = model.predict_proba(values, device=device)
    result = points.copy()
    result[PREDICTED_COLUMN] = np.asarray(model.classes, dtype=object)[probs.argmax(axis=1)]
    for code, name in enumerate(model.classes):
        result[probability_column(name)] = probs[:, code].astype(np.float64)
    return result
