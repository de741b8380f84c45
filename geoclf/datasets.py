"""Sample data: the three-species spiral of the teaching text, placed on real ground."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj

from .errors import GeoclfError

SPIRAL_SPECIES = ("crayfish", "diving beetle", "tadpole")
DEFAULT_CRS = "EPSG:5186"  # Korea 2000 / Central Belt 2010, a projected CRS in metres
DEFAULT_CENTER = (200_000.0, 550_000.0)  # near Seoul in EPSG:5186
DEFAULT_SCALE = 1_000.0  # metres per spiral unit: the spiral spans 2 km x 2 km


def spiral_xy(per_class: int = 100, noise: float = 0.2, seed: int | None = 0):
    """The teaching text's spiral in unit coordinates.

    For class j and point i: r = i/N, theta = 4j + 4r + noise * N(0, 1),
    x = r sin(theta), y = r cos(theta). Returns (xy of shape (3N, 2), class codes).
    """
    if per_class < 1:
        raise GeoclfError(f"--per-class must be at least 1, got {per_class}")
    if noise < 0:
        raise GeoclfError(f"--noise must be zero or positive, got {noise}")
    rng = np.random.default_rng(seed)
    xy, codes = [], []
    r = np.arange(per_class) / per_class
    for j in range(len(SPIRAL_SPECIES)):
        theta = 4.0 * j + 4.0 * r + noise * rng.standard_normal(per_class)
        xy.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        codes.append(np.full(per_class, j))
    return np.vstack(xy), np.concatenate(codes)


def spiral_samples(
    per_class: int = 100,
    noise: float = 0.2,
    seed: int | None = 0,
    center: tuple[float, float] = DEFAULT_CENTER,
    scale: float = DEFAULT_SCALE,
    crs: str | None = DEFAULT_CRS,
    label: str = "species",
) -> gpd.GeoDataFrame:
    """Spiral sample points on the ground: a point layer with the species name per point."""
    if not scale > 0:
        raise GeoclfError(f"--scale must be positive (metres per spiral unit), got {scale}")
    if crs is not None:
        try:
            crs = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            raise GeoclfError(f"unknown CRS {crs!r}: give one like EPSG:5186") from None
    xy, codes = spiral_xy(per_class, noise, seed)
    x = center[0] + scale * xy[:, 0]
    y = center[1] + scale * xy[:, 1]
    species = np.asarray(SPIRAL_SPECIES, dtype=object)[codes]
    return gpd.GeoDataFrame({label: species}, geometry=gpd.points_from_xy(x, y), crs=crs)
