"""Reading labelled samples from any vector format GDAL reads: points, or polygons drawn as training areas.

The checks here are the ones a field data set fails most often: wrong layer,
wrong label column, polygons where points are needed, empty geometries, missing labels.
Each failure names what exists, so the user can fix the call in one go. Polygons become
the raster cells inside them (training_areas.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .errors import GeoclfError, SampleWarning, SettingError, warn
from .outputs import atomic_outputs, sidecar

# Without a label field named, the first of these a layer has (any case) holds the class, else its only text field.
LABEL_NAMES = ("species", "class", "label", "classname", "class_name", "category", "landcover", "land_cover")
POINT_TYPES = {"Point", "MultiPoint"}
POLYGON_TYPES = {"Polygon", "MultiPolygon"}
_LISTED = 10  # how many offending feature ids an error message names
_AREAS_HINT = " (train reads polygons as training areas when a raster input, an image or a covariate, gives their cells)"
CONFLICT_SHARE = 0.05  # samples outvoted at their own place by another class: above this share, a warning


@dataclass(frozen=True)
class Samples:
    """Labelled points: one Point per row and a label column, read and checked.

    Cells taken from training polygons carry their polygon in the `group` column: they
    are held out together, never split between training and testing.
    """

    points: gpd.GeoDataFrame
    label: str
    group: str | None = None

    @property
    def groups(self) -> np.ndarray | None:
        """The training area (polygon or point feature id) of each sample; None for plain points."""
        return None if self.group is None else self.points[self.group].to_numpy()

    def subset(self, keep) -> "Samples":
        """The samples where `keep` (a boolean mask) is true, with their groups."""
        return Samples(self.points[keep], self.label, self.group)

    @property
    def labels(self) -> np.ndarray:
        """Labels as strings: class names are text in the model, whatever the column type.

        Whole numbers read as floats (a CSV or a spreadsheet's 1.0, 2.0) are the classes 1, 2:
        labels match by value, whichever file type they came from.
        """
        values = self.points[self.label]
        if pd.api.types.is_float_dtype(values) and values.notna().all() and (values % 1 == 0).all():
            values = values.astype(np.int64)
        return values.astype(str).to_numpy()

    @property
    def crs(self) -> pyproj.CRS | None:
        return self.points.crs

    def __len__(self) -> int:
        return len(self.points)


def sorted_classes(labels) -> list[str]:
    """The distinct labels in class order: by value when all are whole numbers (10, 20, 100), else as text."""
    distinct = {str(label) for label in labels}
    numeric = all(label.isdigit() for label in distinct)
    return sorted(distinct, key=(lambda label: (int(label), label)) if numeric else None)


def _base_geometry_type(name: str | None) -> str:
    """'3D MultiPoint' or 'Point Z' -> the type without dimensions; 'None' for a table without geometry;
    'Unknown' for a layer of mixed or no features (read_points says which)."""
    name = (name or "None").replace("3D ", "")
    for suffix in (" ZM", " Z", " M"):
        name = name.removesuffix(suffix)
    return name


def listed_ids(index, limit: int = _LISTED) -> str:
    values = [str(v) for v in list(index)[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return ", ".join(values) + more


def _is_csv(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() == ".csv"


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


def choose_point_layer(path: str | os.PathLike, layer: str | None, polygons: bool = False) -> str:
    """The named layer, or the only point layer in the file (point or polygon layer, with `polygons`)."""
    layers = list_layers(path)
    described = ", ".join(f"{name} ({gtype})" for name, gtype in layers) or "none"
    if layer is not None:
        if layer not in {name for name, _ in layers}:
            raise GeoclfError(f"{path} has no layer {layer!r}; its layers are: {described}")
        return layer
    kinds = POINT_TYPES | POLYGON_TYPES if polygons else POINT_TYPES
    point_layers = [name for name, gtype in layers if gtype in kinds]
    if len(point_layers) == 1:
        return point_layers[0]
    if not point_layers and len(layers) == 1:
        name, gtype = layers[0]
        if gtype == "Unknown" or _is_csv(path):  # mixed, empty, or X and Y columns: reading it says which
            return name
        if gtype == "None":
            raise GeoclfError(f"layer {name!r} in {path} is a table without geometries; geoclf needs a point layer")
        raise GeoclfError(f"layer {name!r} in {path} holds {gtype} geometries; geoclf needs a point layer{_AREAS_HINT if gtype in POLYGON_TYPES else ''}")
    if not point_layers:
        raise GeoclfError(f"{path} has no point layer; its layers are: {described}")
    raise SettingError("{path} has several point layers; choose one with {layer}: {described}", path=path, described=described)


def read_points(path: str | os.PathLike, layer: str | None = None, polygons: bool = False) -> gpd.GeoDataFrame:
    """A point layer as a GeoDataFrame indexed by feature id, MultiPoints exploded; with `polygons`, polygon
    features pass through as they are (training areas).

    Fails on other, empty or non-finite geometries, naming the feature ids.
    """
    from pyogrio.errors import DataLayerError, DataSourceError

    layer = choose_point_layer(path, layer, polygons)
    # A CSV's points are its X and Y columns (as geoclf writes them), under the usual names; it has no CRS.
    options = {"X_POSSIBLE_NAMES": "X,x,lon,longitude,easting", "Y_POSSIBLE_NAMES": "Y,y,lat,latitude,northing"} if _is_csv(path) else {}
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", fid_as_index=True, **options)
    except (DataSourceError, DataLayerError) as error:
        raise GeoclfError(f"cannot read layer {layer!r} of {path}: {error}") from None
    where = f"layer {layer!r} of {path}"
    if not isinstance(frame, gpd.GeoDataFrame):
        raise GeoclfError(f"{where} has no point geometries" + (": name its coordinate columns X and Y" if options else ""))
    if len(frame) == 0:
        raise GeoclfError(f"{where} has no features; add sample points to it")
    missing = frame.geometry.isna() | frame.geometry.is_empty
    if missing.any():
        raise GeoclfError(f"{where}: features {listed_ids(frame.index[missing])} have no geometry; delete them or give them points")
    types = frame.geom_type
    areas = types.isin(list(POLYGON_TYPES)) if polygons else np.zeros(len(frame), dtype=bool)
    wrong = ~types.isin(list(POINT_TYPES)) & ~areas
    if wrong.any():
        kinds = ", ".join(sorted(set(types[wrong])))
        hint = "" if polygons or not set(types[wrong]) & POLYGON_TYPES else _AREAS_HINT
        raise GeoclfError(f"{where} holds {kinds} geometries; geoclf needs points{' or polygons' if polygons else ''} "
                          f"(convert them, e.g. to centroids){hint}")
    points = frame[~areas].explode(index_parts=False)
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise GeoclfError(f"{where}: features {listed_ids(points.index[bad])} have NaN or infinite coordinates; fix or delete them")
    return pd.concat([points, frame[areas]]) if areas.any() else points


def read_samples(path: str | os.PathLike, layer: str | None = None, label: str | None = None, cells_of: str | None = None,
                 max_per_polygon: int | None = None, seed: int = 0, keep_polygons: bool = False) -> Samples:
    """Labelled sample points: a point layer plus the column that holds the class (`guess_label` when not named).

    With `cells_of` (a raster), the layer may hold polygons too: each becomes the cells of
    that raster whose centres it holds (at most `max_per_polygon`, drawn with `seed`), one group.
    With `keep_polygons`, polygons stay as they are (to be drawn).
    """
    points = read_points(path, layer, polygons=cells_of is not None or keep_polygons)
    label = label if label is not None else guess_label(points, path)
    if label not in points.columns or label == points.geometry.name:
        fields = ", ".join(c for c in points.columns if c != points.geometry.name) or "none"
        raise SettingError("{path} has no field {name!r}; choose the label with {label} from: {fields}", path=path, name=label, fields=fields)
    unlabelled = points[label].isna() | (points[label].astype(str) == "")  # an empty text label is no label
    if unlabelled.any():
        raise GeoclfError(f"{path}: features {listed_ids(points.index[unlabelled])} have no {label!r}; label or delete them")
    if cells_of is not None and points.geom_type.isin(list(POLYGON_TYPES)).any():
        from .training_areas import AREA_COLUMN, cells_in_polygons

        return Samples(cells_in_polygons(points, cells_of, max_per_polygon, seed), label, AREA_COLUMN)
    return Samples(points=points, label=label)


def guess_label(points: gpd.GeoDataFrame, path) -> str:
    """The field that holds the class when none is named: the first of LABEL_NAMES the layer has (in any
    case), else its only text field. QGIS users' layers start with an integer fid, which is never it."""
    fields = [c for c in points.columns if c != points.geometry.name]
    by_name = {str(c).lower(): c for c in fields}
    for name in LABEL_NAMES:
        if name in by_name:
            return by_name[name]
    text = [c for c in fields if not pd.api.types.is_numeric_dtype(points[c])]
    if len(text) == 1:
        return text[0]
    raise SettingError(
        "{path}: which field holds the class? none is named species, class or label, and {count} are text fields; "
        "choose it with {label} from: {fields}", path=path, count=len(text) or "none", fields=", ".join(map(str, fields)) or "none",
    )


def warn_about_labels(samples: Samples) -> None:
    """One warning line for each thing in the labels a map cannot put right: labels of spaces only,
    places that hold samples of different classes, and samples that all sit at one place."""
    from .point_values import coordinates  # point_values reads points with their inputs; samples only checks them

    labels = samples.labels
    blank = np.char.strip(labels.astype(str)) == ""
    if blank.any():
        warn(f"{blank.sum()} sample(s) have a {samples.label!r} of spaces only: they are trained as a class of their own; "
             "label or delete them", SampleWarning)
    places, place_of = np.unique(coordinates(samples.points), axis=0, return_inverse=True)
    if len(places) == 1 and len(labels) > 1:
        warn(f"all {len(labels)} samples sit at one place: a map from their coordinates cannot tell the classes apart", SampleWarning)
        return
    place_of, code_of = place_of.ravel(), np.unique(labels, return_inverse=True)[1].ravel()
    counts = np.zeros((len(places), code_of.max() + 1), dtype=np.int64)
    np.add.at(counts, (place_of, code_of), 1)
    conflicted = np.flatnonzero((counts > 0).sum(axis=1) > 1)
    # Samples no map can get right: at each place, those not of its most frequent class. A stray duplicate is
    # noise the network averages out (the teaching spiral starts its three arms at one point); many are a
    # recording problem.
    if (counts.sum() - counts.max(axis=1).sum()) / len(labels) > CONFLICT_SHARE:
        x, y = places[conflicted[0]]
        names = sorted(set(labels[place_of == conflicted[0]]))
        warn(f"{len(conflicted)} place(s) hold samples of different classes (e.g. {x:g},{y:g}: {', '.join(names)}); "
             "a map shows one class per place, so some of them will be wrong there", SampleWarning)


def write_layer(
    frame: gpd.GeoDataFrame, path: str | os.PathLike, layer: str, overwrite: bool = False, style: str | None = None, form: str = "points",
) -> None:
    """Write a point (or polygon) layer atomically; the format follows the extension (.gpkg, .geojson, .fgb).

    A .csv gets the coordinates as X and Y columns (GDAL's CSV convention; a CSV has no
    CRS, so the points' CRS is not carried), for spreadsheets and statistics packages.
    A `style` (QGIS QML) goes beside the layer, as its sidecar, placed with it or not at all.
    """
    suffix = Path(path).suffix.lower()
    options = {"layer_options": {"GEOMETRY": "AS_XY"}} if suffix == ".csv" else {"layer": layer}
    if suffix == ".gpkg":  # GeoPackage 1.2: QGIS 3.22 and GDAL before 3.7 warn about 1.4 on every load
        options["dataset_options"] = {"VERSION": "1.2"}
    roles = {"layer": (path, form)}
    if style is not None:
        roles["style"] = (sidecar(path, ".qml"), "style")
    with atomic_outputs(roles, overwrite) as temporaries:
        frame.to_file(temporaries["layer"], engine="pyogrio", **options)
        if style is not None:
            temporaries["style"].write_text(style, encoding="utf-8")
