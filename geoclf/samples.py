"""Reading labelled sample points from any vector format GDAL reads.

The checks here are the ones a field data set fails most often: wrong layer,
wrong label column, polygons instead of points, empty geometries, missing labels.
Each failure names what exists, so the user can fix the call in one go.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj

from .errors import GeoclfError
from .outputs import atomic_output

DEFAULT_LABEL = "species"
POINT_TYPES = {"Point", "MultiPoint"}
_LISTED = 10  # how many offending feature ids an error message names


@dataclass(frozen=True)
class Samples:
    """Labelled points: one Point per row and a label column, read and checked."""

    points: gpd.GeoDataFrame
    label: str

    @property
    def labels(self) -> np.ndarray:
        """Labels as strings: class names are text in the model, whatever the column type."""
        return self.points[self.label].astype(str).to_numpy()

    @property
    def crs(self) -> pyproj.CRS | None:
        return self.points.crs

    def __len__(self) -> int:
        return len(self.points)


def _base_geometry_type(name: str | None) -> str:
    """'3D MultiPoint' or 'Point Z' -> the type without dimensions."""
    name = (name or "Unknown").replace("3D ", "")
    for suffix in (" ZM", " Z", " M"):
        name = name.removesuffix(suffix)
    return name


def _ids(index, limit: int = _LISTED) -> str:
    values = [str(v) for v in list(index)[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return ", ".join(values) + more


def list_layers(path: str | os.PathLike) -> list[tuple[str, str]]:
    """(name, geometry type) of each layer in a vector data source."""
    import pyogrio  # file I/O only: samples made in memory need no GDAL vector driver

    path = Path(path)
    if not path.exists():
        raise GeoclfError(f"{path}: no such file; check the path")
    try:
        return [(str(name), _base_geometry_type(gtype)) for name, gtype in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        raise GeoclfError(f"{path}: not a vector file GDAL can read; give a GeoPackage, Shapefile or GeoJSON") from None


def choose_point_layer(path: str | os.PathLike, layer: str | None) -> str:
    """The named layer, or the only point layer in the file."""
    layers = list_layers(path)
    described = ", ".join(f"{name} ({gtype})" for name, gtype in layers) or "none"
    if layer is not None:
        if layer not in {name for name, _ in layers}:
            raise GeoclfError(f"{path} has no layer {layer!r}; its layers are: {described}")
        return layer
    point_layers = [name for name, gtype in layers if gtype in POINT_TYPES]
    if len(point_layers) == 1:
        return point_layers[0]
    if not point_layers and len(layers) == 1:
        name, gtype = layers[0]
        raise GeoclfError(f"layer {name!r} in {path} holds {gtype} geometries; geoclf needs a point layer")
    if not point_layers:
        raise GeoclfError(f"{path} has no point layer; its layers are: {described}")
    raise GeoclfError(f"{path} has several point layers; choose one with --layer: {described}")


def read_points(path: str | os.PathLike, layer: str | None = None) -> gpd.GeoDataFrame:
    """A point layer as a GeoDataFrame indexed by feature id, MultiPoints exploded.

    Fails on non-point, empty or non-finite geometries, naming the feature ids.
    """
    from pyogrio.errors import DataLayerError, DataSourceError

    layer = choose_point_layer(path, layer)
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", fid_as_index=True)
    except (DataSourceError, DataLayerError) as error:
        raise GeoclfError(f"cannot read layer {layer!r} of {path}: {error}") from None
    where = f"layer {layer!r} of {path}"
    if len(frame) == 0:
        raise GeoclfError(f"{where} has no features; add sample points to it")
    missing = frame.geometry.isna() | frame.geometry.is_empty
    if missing.any():
        raise GeoclfError(f"{where}: features {_ids(frame.index[missing])} have no geometry; delete them or give them points")
    types = frame.geom_type
    wrong = ~types.isin(list(POINT_TYPES))
    if wrong.any():
        kinds = ", ".join(sorted(set(types[wrong])))
        raise GeoclfError(f"{where} holds {kinds} geometries; geoclf needs points (convert them, e.g. to centroids)")
    frame = frame.explode(index_parts=False)
    x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise GeoclfError(f"{where}: features {_ids(frame.index[bad])} have NaN or infinite coordinates; fix or delete them")
    return frame


def read_samples(path: str | os.PathLike, layer: str | None = None, label: str = DEFAULT_LABEL) -> Samples:
    """Labelled sample points: a point layer plus the column that holds the class."""
    points = read_points(path, layer)
    if label not in points.columns or label == points.geometry.name:
        fields = ", ".join(c for c in points.columns if c != points.geometry.name) or "none"
        raise GeoclfError(f"{path} has no field {label!r}; choose the label with --label from: {fields}")
    unlabelled = points[label].isna() | (points[label].astype(str) == "")  # an empty text label is no label
    if unlabelled.any():
        raise GeoclfError(f"{path}: features {_ids(points.index[unlabelled])} have no {label!r}; label or delete them")
    return Samples(points=points, label=label)


def write_points(points: gpd.GeoDataFrame, path: str | os.PathLike, layer: str, overwrite: bool = False) -> None:
    """Write a point layer atomically; the format follows the extension (.gpkg, .geojson, .fgb).

    A .csv gets the coordinates as X and Y columns (GDAL's CSV convention; a CSV has no
    CRS, so the points' CRS is not carried), for spreadsheets and statistics packages.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".shp":
        raise GeoclfError(f"{path}: a Shapefile is several files and cannot be written whole at once; write a .gpkg instead")
    options = {"layer_options": {"GEOMETRY": "AS_XY"}} if suffix == ".csv" else {"layer": layer}
    with atomic_output(path, overwrite) as temporary:
        points.to_file(temporary, engine="pyogrio", **options)
