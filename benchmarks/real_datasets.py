"""Public field surveys that no one here wrote, read from packages on the registries.

Loaders for the real-data benchmark, kept out of the product. Each dataset is a
labelled point layer (a GeoDataFrame with a `label` column) and the names of its
numeric fields. Downloads go to a cache folder ($GEOCLF_BENCHMARK_DATA, or
~/.cache/geoclf-benchmarks) once:

- elapid's wheel (PyPI) ships `elapid/data/ariolimax.gpkg`: banana-slug presence and
  background points in California (EPSG:32610) with six fields (surface temperature, leaf area index and cloud cover: mean and spread).
- Debian's `r-cran-spatstat.data` ships spatstat's point patterns as R's lazy-load
  database: `Rdata.rdx` (gzip'd serialized R) names each object's offset and length in
  `Rdata.rdb`, where each object is 4 bytes of length and a zlib stream of serialized R.
  The `rdata` package (PyPI) parses serialized R; no R is needed.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ELAPID_WHEEL = "elapid==1.0.4"
SPATSTAT_PACKAGE = "r-cran-spatstat.data"
ARIOLIMAX_FIELDS = ("SurfaceTempMean", "SurfaceTempStdv", "LAIMean", "LAIStdv", "CloudCoverMean", "CloudCoverStdv")

# spatstat pattern -> (the mark that is the class, the CRS of its coordinates, what it is)
SPATSTAT_PATTERNS = {
    "urkiola": (None, None, "trees in a Basque wood by species (birch, oak); metres"),
    "ants": (None, None, "ant nests of 2 species in Greece; half-feet"),
    "btb": ("spoligotype", None, "bovine tuberculosis cases in Cornwall by spoligotype; km"),
    "clmfires": ("cause", None, "forest fires in Castilla-La Mancha by cause; km"),
    "gorillas": ("group", "EPSG:32632", "gorilla nests in Cameroon by group; UTM 32N"),
}


def cache_folder() -> Path:
    folder = Path(os.environ.get("GEOCLF_BENCHMARK_DATA", Path.home() / ".cache" / "geoclf-benchmarks"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _download(command: list[str], folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if not found:
        subprocess.run(command, cwd=folder, check=True, stdout=subprocess.DEVNULL)
        found = sorted(folder.glob(pattern))
    return found[-1]


def ariolimax() -> gpd.GeoDataFrame:
    """6,585 points, `presence` 1 (slug seen) or 0 (background), with ARIOLIMAX_FIELDS."""
    folder = cache_folder()
    wheel = _download(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", ".", ELAPID_WHEEL],
        folder, "elapid-*.whl",
    )
    target = folder / "ariolimax.gpkg"
    if not target.exists():
        with zipfile.ZipFile(wheel) as archive:
            target.write_bytes(archive.read("elapid/data/ariolimax.gpkg"))
    frame = gpd.read_file(target, engine="pyogrio")
    frame["presence"] = np.where(frame["presence"] == 1, "present", "background")
    return frame


def _spatstat_database() -> tuple[dict, bytes]:
    folder = cache_folder()
    deb = _download(["apt-get", "download", "-q", SPATSTAT_PACKAGE], folder, "r-cran-spatstat.data_*.deb")
    data = folder / "spatstat.data"
    if not data.exists():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(data)], check=True)
    lazy = next(data.rglob("Rdata.rdx")).parent
    import rdata

    with warnings.catch_warnings():  # rdata warns that a bare serialization is "assumed RDS", which it is
        warnings.simplefilter("ignore", UserWarning)
        index = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress((lazy / "Rdata.rdx").read_bytes())))
    return index["variables"], (lazy / "Rdata.rdb").read_bytes()


def spatstat_pattern(name: str, variables=None, database=None) -> gpd.GeoDataFrame:
    """A multitype point pattern of spatstat.data as points with a `label` column."""
    import rdata

    if variables is None:
        variables, database = _spatstat_database()
    offset, length = (int(v) for v in variables[name])
    blob = database[offset : offset + length]
    (size,) = struct.unpack(">I", blob[:4])
    serialized = zlib.decompress(blob[4:])
    assert len(serialized) == size, name
    with warnings.catch_warnings():  # rdata warns that a bare serialization is "assumed RDS", which it is
        warnings.simplefilter("ignore", UserWarning)
        pattern = rdata.conversion.convert(rdata.parser.parse_data(serialized, expand_altrep=True))
    column, crs, _ = SPATSTAT_PATTERNS[name]
    marks = pattern["marks"] if column is None else pattern["marks"][column]
    labels = pd.Series(np.asarray(marks).astype(str))
    return gpd.GeoDataFrame(
        {"label": labels.to_numpy()}, geometry=gpd.points_from_xy(np.asarray(pattern["x"], float), np.asarray(pattern["y"], float)),
        crs=crs,
    )


def load_all() -> dict[str, tuple[gpd.GeoDataFrame, str, tuple[str, ...]]]:
    """name -> (points, label column, numeric fields usable as inputs)."""
    variables, database = _spatstat_database()
    found = {"ariolimax": (ariolimax(), "presence", ARIOLIMAX_FIELDS)}
    for name in SPATSTAT_PATTERNS:
        found[name] = (spatstat_pattern(name, variables, database), "label", ())
    return found


if __name__ == "__main__":
    for name, (points, label, fields) in load_all().items():
        counts = points[label].value_counts().to_dict()
        print(f"{name}: {len(points)} points, CRS {points.crs}, fields {list(fields)}, classes {counts}")
