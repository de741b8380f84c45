"""Classifying new points: the same inputs as training, read from the points themselves."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np

from .crs import is_geographic, wrap_longitudes
from .errors import ExtrapolationWarning, warn
from .inputs import check_covariates
from .model import Model
from .point_values import coordinates, input_values

MARGIN = 0.05  # of the training extent's longer side: points within it are not called extrapolated

PREDICTED_COLUMN = "predicted"


def probability_columns(classes: list[str]) -> list[str]:
    """'prob_' and each class name as a field name every format and QGIS's expressions take:
    letters, digits and underscores ('diving beetle' -> prob_diving_beetle), distinct for each class."""
    columns = []
    for code, name in enumerate(classes):
        column = "prob_" + re.sub(r"\W+", "_", str(name).strip()).strip("_")
        columns.append(column if column not in columns and column != "prob_" else f"prob_{code}_{column[5:]}".rstrip("_"))
    return columns


def warn_beyond_training(model: Model, points: gpd.GeoDataFrame, where: str) -> None:
    """One warning line when points lie well outside the training samples' extent: the classes there are a guess.

    'Well' is beyond the 5% margin predict-raster draws by default around the samples.
    """
    located = points if model.crs is None or points.crs is None else points.to_crs(model.crs)
    xy = coordinates(located)
    xmin, ymin, xmax, ymax = model.extent
    if is_geographic(model.crs):  # measured from the extent's west edge: -179 lies just east of 175..182
        xy[:, 0] = wrap_longitudes(xy[:, 0], west=xmin - (360.0 - (xmax - xmin)) / 2)
    size = max(xmax - xmin, ymax - ymin)
    beyond = np.maximum.reduce([xmin - xy[:, 0], xy[:, 0] - xmax, ymin - xy[:, 1], xy[:, 1] - ymax, np.zeros(len(xy))])
    outside = beyond > MARGIN * size
    if outside.any():
        warn(f"{outside.sum()} of {len(xy)} points in {where} lie outside the training samples' extent, up to "
             f"{beyond.max():.4g} CRS units beyond it: their classes are extrapolated, not learned", ExtrapolationWarning)


def predict_points(model: Model, points: gpd.GeoDataFrame, where: str = "the points", device: str = "cpu") -> gpd.GeoDataFrame:
    """A copy of the points, in their own CRS, with the predicted class and one probability column per class
    (`probability_columns`, in the model's class order).

    Points missing an input (a covariate's nodata, or outside its raster) get no
    prediction: an empty class and NaN probabilities.
    """
    values, valid = input_values(points, check_covariates(model.inputs), model.crs, where)
    warn_beyond_training(model, points, where)
    codes = np.zeros(len(points), dtype=np.int64)
    probs = np.full((len(points), len(model.classes)), np.nan)
    if valid.any():
        codes[valid], probs[valid] = model.classify(values[valid], device, probabilities=True)
    result = points.copy()
    result[PREDICTED_COLUMN] = np.where(valid, np.asarray(model.classes, dtype=object)[codes], None)
    for code, column in enumerate(probability_columns(model.classes)):
        result[column] = probs[:, code]
    return result
