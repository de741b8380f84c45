"""Sample data placed on real ground: the teaching texts' spiral and habitat table, a pond with
covariate rasters, and the benchmark's checkerboard and rare-species stream."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj

from .crs import move_xy, transform_bounds
from .errors import GeoclfError, SettingError

SPIRAL_SPECIES = ("crayfish", "diving beetle", "tadpole")
DEFAULT_CRS = "EPSG:5186"  # Korea 2000 / Central Belt 2010, a projected CRS in metres
DEFAULT_CENTER = (200_000.0, 550_000.0)  # near Seoul in EPSG:5186
DEFAULT_SCALE = 1_000.0  # metres per spiral unit: the spiral spans 2 km x 2 km


def spiral_xy(per_class: int = 100, noise: float = 0.2, seed: int | None = 0):
    """The teaching text's spiral in unit coordinates.

    For class j and point i: r = i/N, theta = 4j + 4r + noise * N(0, 1),
    x = r sin(theta), y = r cos(theta). Returns (xy of shape (3N, 2), class codes).
    """
    if not 0 <= noise < math.inf:
        raise SettingError("{noise} must be zero or a positive angle in radians, got {value}", value=noise)
    if per_class < 1:
        raise SettingError("{per_class} must be at least 1, got {value}", value=per_class)
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
    if not 0 < scale < math.inf:
        raise SettingError("{scale} must be positive (metres per spiral unit), got {value}", value=scale)
    xy, codes = spiral_xy(per_class, noise, seed)  # checks the noise and the count
    if not all(math.isfinite(v) for v in center):
        raise SettingError("{center} must be two finite numbers, got {x},{y}", x=center[0], y=center[1])
    if crs is not None:
        try:
            crs = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            raise GeoclfError(f"unknown CRS {crs!r}: give one like EPSG:5186") from None
    return _layer(codes, center[0] + scale * xy[:, 0], center[1] + scale * xy[:, 1], crs, label)


def _uniform_points(rng, count: int, center, scale) -> tuple[np.ndarray, np.ndarray]:
    """x, y uniform over the square of half-side `scale` around `center` (the spiral's square)."""
    x = center[0] + scale * rng.uniform(-1, 1, count)
    y = center[1] + scale * rng.uniform(-1, 1, count)
    return x, y


def _layer(codes: np.ndarray, x, y, crs, label: str) -> gpd.GeoDataFrame:
    species = np.asarray(SPIRAL_SPECIES, dtype=object)[codes]
    return gpd.GeoDataFrame({label: species}, geometry=gpd.points_from_xy(x, y), crs=crs)


# -- checkerboard and stream: the location-only benchmark cases -----------------------------------


def checkerboard_samples(
    count: int = 800, squares: int = 4, seed: int | None = 0, center=DEFAULT_CENTER, scale=DEFAULT_SCALE,
    crs: str | None = DEFAULT_CRS, label: str = "species",
) -> gpd.GeoDataFrame:
    """Crayfish and tadpoles on alternate squares of a `squares` x `squares` board: sharp, straight boundaries."""
    rng = np.random.default_rng(seed)
    x, y = _uniform_points(rng, count, center, scale)
    column = np.floor((x - center[0] + scale) / (2 * scale) * squares).astype(int)
    row = np.floor((y - center[1] + scale) / (2 * scale) * squares).astype(int)
    return _layer(np.where((row + column) % 2 == 0, 0, 2), x, y, crs, label)


def stream_samples(
    count: int = 1000, seed: int | None = 0, center=DEFAULT_CENTER, scale=DEFAULT_SCALE,
    crs: str | None = DEFAULT_CRS, label: str = "species",
) -> gpd.GeoDataFrame:
    """A rare species: diving beetles live only along a winding stream (about 5% of the points),
    crayfish north of it, tadpoles south."""
    rng = np.random.default_rng(seed)
    x, y = _uniform_points(rng, count, center, scale)
    u, v = (x - center[0]) / scale, (y - center[1]) / scale
    offset = v - 0.35 * np.sin(2.5 * u)
    return _layer(np.where(np.abs(offset) < 0.06, 1, np.where(offset > 0, 0, 2)), x, y, crs, label)


# -- habitat: four measured features, four species (the second teaching text's shape of problem) --------

HABITAT_SPECIES = ("crayfish", "diving beetle", "dragonfly larva", "tadpole")
HABITAT_FEATURES = ("depth", "temperature", "vegetation", "oxygen")
# Per species: mean and spread of depth (m), water temperature (deg C), vegetation cover (%), dissolved oxygen (mg/l).
_HABITAT_MEANS = np.array([[1.4, 15.0, 25.0, 8.5], [0.8, 20.0, 65.0, 7.0], [0.6, 18.0, 55.0, 5.5], [0.3, 22.0, 40.0, 6.5]])
_HABITAT_SPREADS = np.array([0.2, 1.4, 9.0, 0.75])


def habitat_samples(
    count: int = 2000,
    seed: int | None = 0,
    center: tuple[float, float] = DEFAULT_CENTER,
    scale: float = DEFAULT_SCALE,
    crs: str | None = DEFAULT_CRS,
    label: str = "species",
) -> gpd.GeoDataFrame:
    """Sample points with four non-negative habitat measurements each and the species found there.

    Species are equally likely; their measurements overlap, so even a good classifier
    stays a little above 90% correct. Locations are uniform over the spiral's square.
    """
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, len(HABITAT_SPECIES), count)
    values = np.clip(_HABITAT_MEANS[codes] + _HABITAT_SPREADS * rng.standard_normal((count, len(HABITAT_FEATURES))), 0, None)
    x, y = _uniform_points(rng, count, center, scale)
    columns = {label: np.asarray(HABITAT_SPECIES, dtype=object)[codes]}
    columns.update({name: values[:, i].round(3) for i, name in enumerate(HABITAT_FEATURES)})
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(x, y), crs=crs)


# -- ponds: covariate rasters over the spiral's area, species that depend on them --------------------

POND_COVARIATES = ("depth", "temperature", "vegetation")
# Each covariate raster in its own CRS and resolution, as field data comes: (CRS, cell size in its units).
POND_RASTER_GRIDS = {"depth": ("EPSG:5186", 10.0), "temperature": ("EPSG:4326", 0.0002), "vegetation": ("EPSG:32652", 25.0)}
POND_NODATA = -9999.0


def pond_fields(x: np.ndarray, y: np.ndarray, center=DEFAULT_CENTER, scale=DEFAULT_SCALE) -> dict[str, np.ndarray]:
    """Depth (m), water temperature (deg C) and vegetation cover (0..1) at ground coordinates in EPSG:5186."""
    u, v = (np.asarray(x) - center[0]) / scale, (np.asarray(y) - center[1]) / scale
    depth = 2.0 * np.exp(-((u - 0.2) ** 2 + (v + 0.1) ** 2) / 0.3)
    temperature = 24.0 - 4.0 * depth + 1.5 * v
    vegetation = np.clip(0.5 + 0.4 * np.sin(3 * u) * np.cos(2 * v) - 0.2 * depth, 0, 1)
    return {"depth": depth, "temperature": temperature, "vegetation": vegetation}


def pond_species(depth: np.ndarray, temperature: np.ndarray, vegetation: np.ndarray) -> np.ndarray:
    """The rule the pond follows: crayfish in deep water, diving beetles in weeds, tadpoles in warm open shallows."""
    return np.where(depth > 1.0, 0, np.where(vegetation > 0.55, 1, 2))


def pond_samples(count: int = 400, seed: int | None = 0, center=DEFAULT_CENTER, scale=DEFAULT_SCALE, label: str = "species") -> gpd.GeoDataFrame:
    """Sample points over the pond (EPSG:5186), each labelled by the species the rule puts there."""
    rng = np.random.default_rng(seed)
    x, y = _uniform_points(rng, count, center, scale)
    return _layer(pond_species(**pond_fields(x, y, center, scale)), x, y, DEFAULT_CRS, label)


def write_pond_rasters(folder, center=DEFAULT_CENTER, scale=DEFAULT_SCALE, hole: bool = True) -> dict[str, str]:
    """Write depth.tif, temperature.tif and vegetation.tif, each in the CRS and cell size of POND_RASTER_GRIDS.

    They cover the pond's square with a small margin. With `hole`, vegetation has a
    square of nodata (a cloud over the survey) to show how gaps travel into the map.
    """
    import os

    import rasterio
    from rasterio.transform import from_origin

    paths = {}
    area = (center[0] - 1.1 * scale, center[1] - 1.1 * scale, center[0] + 1.1 * scale, center[1] + 1.1 * scale)
    for name, (crs, cell) in POND_RASTER_GRIDS.items():
        west, south, east, north = transform_bounds(area, DEFAULT_CRS, crs)
        width, height = int(np.ceil((east - west) / cell)), int(np.ceil((north - south) / cell))
        transform = from_origin(west, north, cell, cell)
        rows, cols = np.indices((height, width))
        xs, ys = rasterio.transform.xy(transform, rows.ravel(), cols.ravel(), offset="center")
        xs, ys = np.asarray(xs).reshape(rows.shape), np.asarray(ys).reshape(rows.shape)
        gx, gy = move_xy(xs, ys, crs, DEFAULT_CRS)
        values = pond_fields(gx, gy, center, scale)[name].astype(np.float32)
        if hole and name == "vegetation":
            u, v = (gx - center[0]) / scale, (gy - center[1]) / scale
            values[(np.abs(u + 0.6) < 0.15) & (np.abs(v - 0.6) < 0.15)] = POND_NODATA
        paths[name] = os.path.join(folder, f"{name}.tif")
        with rasterio.open(
            paths[name], "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
            crs=crs, transform=transform, nodata=POND_NODATA, compress="deflate",
        ) as dst:
            dst.write(values, 1)
    return paths
