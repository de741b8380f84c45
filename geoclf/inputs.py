"""The inputs a network sees, described once, and their scaling.

An input is a coordinate (x, y in the model's CRS), an attribute (a numeric column of
the point layer) or a covariate (a raster band sampled where the point or cell is).
Each is described by an InputSpec that the model file stores, so prediction rebuilds
exactly the inputs training used; the Scaler's statistics travel with it. Values at
points come from point_values.py, values on a grid from grid_values.py.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .choices import SCALINGS
from .errors import GeoclfError, SettingError, warn

if TYPE_CHECKING:  # the model file needs the specs and the scaler, not geopandas
    import geopandas as gpd

KINDS = ("coordinate", "attribute", "covariate")
_COVARIATE_PATTERN = re.compile(r"^(?P<name>[^=]+)=(?P<path>.+?)(:(?P<band>\d+))?$")


@dataclass(frozen=True)
class InputSpec:
    """One network input. Covariates also carry their raster: path, band, CRS (WKT) and nodata."""

    name: str
    kind: str
    path: str | None = None
    band: int | None = None
    crs: str | None = None
    nodata: float | None = None

    def to_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict) -> "InputSpec":
        if data.get("kind") not in KINDS:
            raise ValueError(f"unknown input kind {data.get('kind')!r}")
        band = data.get("band")
        return cls(
            name=str(data["name"]), kind=str(data["kind"]), path=data.get("path"),
            band=int(band) if band is not None else None, crs=data.get("crs"), nodata=data.get("nodata"),
        )

    def describe(self) -> str:
        if self.kind == "covariate":
            return f"{self.name} (covariate: {self.path} band {self.band})"
        return f"{self.name} ({self.kind})"


COORDINATE_INPUTS = (InputSpec("x", "coordinate"), InputSpec("y", "coordinate"))


# -- describing the inputs ----------------------------------------------------------------


def parse_covariate(text: str) -> tuple[str, str, int]:
    """'depth=rasters/depth.tif:2' -> ('depth', 'rasters/depth.tif', 2); without ':BAND' the band is None (band 1, said)."""
    match = _COVARIATE_PATTERN.match(text.strip())
    if not match or not match.group("name").strip():
        raise SettingError("cannot read {covariate} {value!r}: write it as NAME=PATH or NAME=PATH:BAND", value=text)
    return match.group("name").strip(), match.group("path"), int(match.group("band")) if match.group("band") else None


def covariate_spec(name: str, path: str | os.PathLike, band: int | None = None) -> InputSpec:
    """A covariate input after checking that its raster and band can be read.

    Without a band, band 1 is read; a raster with more bands says so in one warning
    line, since an image's other bands would otherwise be dropped silently.
    """
    import rasterio

    path = Path(path)
    if not path.exists():
        raise SettingError("covariate {name!r}: {path} does not exist; check the path in {covariate} {name}=PATH", name=name, path=path)
    if not path.is_file():
        raise GeoclfError(f"covariate {name!r}: {path} is not a raster file (a folder or a device); give a GeoTIFF or another raster")
    try:
        with rasterio.open(path) as src:
            if band is None:
                band = 1
                if src.count > 1:
                    warn(f"covariate {name!r}: {path} has {src.count} bands and only band 1 is read; add :BAND to the path to "
                         f"read another, and give one covariate per band to use them all")
            if not 1 <= band <= src.count:
                raise GeoclfError(f"covariate {name!r}: {path} has {src.count} band(s), not band {band}; write {name}={path}:BAND")
            crs = src.crs.to_wkt() if src.crs else None
            nodata = src.nodatavals[band - 1]
    except rasterio.errors.RasterioIOError:
        raise GeoclfError(f"covariate {name!r}: {path} is not a raster GDAL can read") from None
    if crs is None:
        raise GeoclfError(f"covariate {name!r}: {path} has no CRS; assign one (e.g. gdal_edit.py -a_srs) so points can be placed on it")
    return InputSpec(name, "covariate", str(path.resolve()), band, crs, None if nodata is None else float(nodata))


def image_covariates(paths) -> tuple[tuple[str, str, None | int], ...]:
    """Every band of each image as a covariate (name, path, band), named by its band description or b1, b2, ...;
    with several images, each name starts with its file's name (two dates of one sensor have the same bands)."""
    import rasterio

    found = []
    for path in paths:
        if not Path(path).is_file():
            raise SettingError("{image} {path} does not exist or is not a file; check the path", path=path)
        try:
            with rasterio.open(path) as src:
                descriptions = list(src.descriptions)
        except rasterio.errors.RasterioIOError:
            raise SettingError("{image} {path} is not a raster GDAL can read", path=path) from None
        names = [(text or "").strip().replace("=", "-") for text in descriptions]
        if any(not name for name in names) or len(set(names)) < len(names):  # unnamed or repeated: by number
            names = [f"b{band}" for band in range(1, len(names) + 1)]
        prefix = f"{Path(path).stem}_" if len(paths) > 1 else ""
        found += [(prefix + name, str(path), band) for band, name in enumerate(names, start=1)]
    return tuple(found)


def single_raster(specs: list[InputSpec]) -> str | None:
    """The one raster every covariate input is read from (a model trained on an image), else None."""
    paths = {spec.path for spec in specs if spec.kind == "covariate"}
    return paths.pop() if len(paths) == 1 else None


def describe_inputs(
    points: "gpd.GeoDataFrame",
    use_xy: bool = True,
    attributes: tuple[str, ...] = (),
    covariates: tuple[tuple[str, str, int], ...] = (),
) -> list[InputSpec]:
    """The inputs a user asked for, checked against the sample layer and the rasters."""
    import pandas

    specs = list(COORDINATE_INPUTS) if use_xy else []
    for column in attributes:
        if column not in points.columns or column == points.geometry.name:
            fields = ", ".join(c for c in points.columns if c != points.geometry.name) or "none"
            raise SettingError("{features}: the samples have no field {column!r}; their fields are: {fields}", column=column, fields=fields)
        if not pandas.api.types.is_numeric_dtype(points[column]):
            raise SettingError("{features}: field {column!r} is not numeric ({dtype}); give numeric fields only", column=column, dtype=points[column].dtype)
        specs.append(InputSpec(column, "attribute"))
    specs += [covariate_spec(name, path, band) for name, path, band in covariates]
    if not specs:
        raise SettingError("no inputs: {no_xy} drops the coordinates, so give {features} or {covariate} as well")
    names = [spec.name for spec in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise GeoclfError(f"input names must be unique, but {', '.join(repeated)} appear more than once; rename a covariate")
    return specs


def substitute_covariates(specs: list[InputSpec], replacements: tuple[tuple[str, str, int], ...]) -> list[InputSpec]:
    """Point covariate inputs at other rasters (a new year's data), by name; every covariate is re-checked."""
    covariates = {spec.name for spec in specs if spec.kind == "covariate"}
    given = {}
    for name, path, band in replacements:
        if name not in covariates:
            known = ", ".join(sorted(covariates)) or "none"
            raise SettingError("{covariate} {name}: the model has no covariate input {name!r}; its covariates are: {known}", name=name, known=known)
        given[name] = (path, band)
    return [
        covariate_spec(spec.name, *_band_kept(given.get(spec.name, (spec.path, spec.band)), spec.band)) if spec.kind == "covariate" else spec
        for spec in specs
    ]


def _band_kept(replacement: tuple, band: int | None) -> tuple:
    """A replacement raster given without a band reads the band the model was trained on."""
    path, given = replacement
    return path, given if given is not None else band


def check_covariates(specs: list[InputSpec]) -> list[InputSpec]:
    """Every covariate's raster re-checked (exists, readable, has the band) before any work starts."""
    return substitute_covariates(specs, ())


# -- scaling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scaler:
    """(value - offset) / scale per input, with statistics from the training points.

    'standard': zero mean, unit variance. 'minmax': the training range maps to [0, 1]
    (the second teaching text's choice). Coordinates in metres are 10^5..10^6 in size;
    unscaled, they would saturate the first layer. The statistics travel in the model.
    Columns named `unscaled` pass through as they are (longitude and latitude in degrees
    for an encoding on the sphere, which needs the angles themselves).
    """

    method: str
    offset: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray, method: str = "standard", unscaled: tuple[int, ...] = ()) -> "Scaler":
        with np.errstate(over="ignore", invalid="ignore"):  # values near float's limit overflow: the caller checks finiteness
            if method == "standard":
                offset, scale = values.mean(axis=0), values.std(axis=0)
            elif method == "minmax":
                offset, scale = values.min(axis=0), values.max(axis=0) - values.min(axis=0)
            else:
                raise SettingError("unknown {scaling} {value!r}; choose from {allowed}", value=method, allowed=", ".join(SCALINGS))
        offset, scale = offset.copy(), np.where(scale > 0, scale, 1.0)
        offset[list(unscaled)], scale[list(unscaled)] = 0.0, 1.0
        return cls(method, offset, scale)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.offset) / self.scale).astype(np.float32)

    def to_dict(self) -> dict:
        return {"method": self.method, "offset": self.offset.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "Scaler":
        if data["method"] not in SCALINGS:
            raise ValueError(f"unknown scaling {data['method']!r}")
        return cls(data["method"], np.asarray(data["offset"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64))

