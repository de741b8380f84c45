"""Classifying new points: the same inputs as training, read from the points themselves."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from .inputs import check_covariates
from .model import Model
from .point_values import input_values

PREDICTED_COLUMN = "predicted"


def probability_column(name: str) -> str:
    return f"prob_{name}"


def predict_points(model: Model, points: gpd.GeoDataFrame, where: str = "the points", device: str = "cpu") -> gpd.GeoDataFrame:
    """A copy of the points, in their own CRS, with the predicted class and one probability column per class.

    Points missing an input (a covariate's nodata, or outside its raster) get no
    prediction: an empty class and NaN probabilities.
    """
    values, valid = input_values(points, check_covariates(model.inputs), model.crs, where)
    codes = np.zeros(len(points), dtype=np.int64)
    probs = np.full((len(points), len(model.classes)), np.nan)
    if valid.any():
        codes[valid], probs[valid] = model.classify(values[valid], device, probabilities=True)
    result = points.copy()
    result[PREDICTED_COLUMN] = np.where(valid, np.asarray(model.classes, dtype=object)[codes], None)
    for code, name in enumerate(model.classes):
        result[probability_column(name)] = probs[:, code]
    return result
