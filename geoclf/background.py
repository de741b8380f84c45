"""Presence-only records: background points drawn where the species could have been found.

Most species records are occurrences without absences (museum records, citizen
science, a crew noting where it saw the crayfish). A classifier needs something to
tell them from, so, as Maxent and elapid do, geoclf draws background points at random
over the study area, the extent the map will cover, and trains presence against them.
The species' probability in the map is then a relative suitability: higher where the
inputs look like the places it was found, not the chance of finding it there.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .crs import points_extent
from .errors import GeoclfError, SettingError
from .point_values import coordinates
from .samples import Samples

BACKGROUND_CLASS = "background"
MAX_BACKGROUND = 1_000_000
MARGIN = 0.05  # the study area: the samples' extent plus this share of its longer side, as predict-raster's default map


def study_area(samples: Samples) -> tuple[float, float, float, float]:
    """The box background points are drawn in: the samples' extent with predict-raster's default margin."""
    xmin, ymin, xmax, ymax = points_extent(coordinates(samples.points), samples.crs)
    pad = MARGIN * max(xmax - xmin, ymax - ymin)
    return xmin - pad, ymin - pad, xmax + pad, ymax + pad


def with_background(samples: Samples, count: int, seed: int = 0) -> Samples:
    """The samples plus `count` points labelled BACKGROUND_CLASS, uniform over the study area, drawn with `seed`.

    Only the label and the location are kept: background points have no field values,
    so a presence-only model reads its inputs from coordinates and covariate rasters.
    """
    if not 1 <= count <= MAX_BACKGROUND:
        raise SettingError("{background} must be 1 to {most:,} points, got {value}", most=MAX_BACKGROUND, value=count)
    if BACKGROUND_CLASS in set(samples.labels):
        raise GeoclfError(
            f"the samples already hold a class {BACKGROUND_CLASS!r}: train without background points, or rename that class"
        )
    xmin, ymin, xmax, ymax = study_area(samples)
    xy = np.random.default_rng(seed).uniform((xmin, ymin), (xmax, ymax), size=(count, 2))
    presences = gpd.GeoDataFrame({samples.label: samples.labels}, geometry=samples.points.geometry.to_numpy(), crs=samples.crs)
    background = gpd.GeoDataFrame(
        {samples.label: [BACKGROUND_CLASS] * count}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=samples.crs
    )
    combined = pd.concat([presences, background], ignore_index=True)
    return Samples(gpd.GeoDataFrame(combined, geometry="geometry", crs=samples.crs), samples.label)
