"""Fuzzing the CLI (hypothesis): extents, resolutions, sizes, CRS strings, attribute tables and model headers.

The property, for every input: a valid result, or one `geoclf: error:` line (warnings aside); never a
traceback, an internal error or a partial output. Examples are drawn from a fixed seed, so a CI run is
repeatable, and each test has a bounded number of them.
"""

import copy
import json
import math
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file
from shapely.geometry import Point

from geoclf import Model

FUZZ = settings(
    max_examples=30, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ODD_NUMBERS = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1e-300, 1e300, 5e-324, 1.7e308]),
    st.floats(allow_nan=True, allow_infinity=True),
)


def assert_result_or_one_error(result, folder: Path) -> None:
    """The fuzzing property: a clean exit, or exactly one error line; no traceback, no internal error, no temporary left."""
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    lines = [line for line in result.err.splitlines() if line.strip() and not line.startswith("geoclf: warning: ")]
    if result.code == 0:
        assert lines == [], result.err
    else:
        assert len(lines) == 1 and lines[0].startswith("geoclf: error: "), result.err
    leftovers = [p.name for p in folder.iterdir() if ".partial" in p.name or ".previous" in p.name]
    assert leftovers == [], leftovers


def fresh_folder(tmp_path) -> Path:
    return Path(tempfile.mkdtemp(dir=tmp_path))


# -- grids ----------------------------------------------------------------------------------------

CRS_TEXTS = st.one_of(
    st.sampled_from(["EPSG:4326", "EPSG:5186", "EPSG:3857", "EPSG:0", "ESRI:54009", "+proj=longlat", "", "EPSG:4326]", "[["]),
    st.text(max_size=12),
)


@FUZZ
@given(bounds=st.tuples(ODD_NUMBERS, ODD_NUMBERS, ODD_NUMBERS, ODD_NUMBERS), crs=st.one_of(st.none(), CRS_TEXTS),
       size=st.tuples(st.integers(-3, 200), st.integers(-3, 200)))
@example(bounds=(-120.0, 30.0, -110.0, 40.0), crs="EPSG:4326", size=(20, 20))
@example(bounds=(178.0, -20.0, -178.0, -18.0), crs="EPSG:4326", size=(20, 20))
@example(bounds=(199000.0, 549000.0, 201000.0, 551000.0), crs=None, size=(50, 50))
def test_fuzzed_extents_and_sizes(cli, tmp_path, model_path, bounds, crs, size):
    folder = fresh_folder(tmp_path)
    extent = ",".join(repr(v) for v in bounds) + (f" [{crs}]" if crs is not None else "")
    result = cli("predict-raster", extent, "-m", model_path, "-o", folder / "c.tif", "--size", f"{size[0]},{size[1]}", "-q")
    assert_result_or_one_error(result, folder)
    if result.code == 0:
        with rasterio.open(folder / "c.tif") as src:
            assert (src.width, src.height) == size and all(math.isfinite(v) for v in src.transform[:6])


@FUZZ
@given(resolution=st.one_of(ODD_NUMBERS, st.floats(min_value=0.5, max_value=1e6)))
def test_fuzzed_resolutions(cli, tmp_path, model_path, resolution):
    folder = fresh_folder(tmp_path)
    result = cli("predict-raster", "200000,550000,200100,550100", "-m", model_path, "-o", folder / "c.tif",
                 "--resolution", repr(resolution), "-q")
    assert_result_or_one_error(result, folder)
    if result.code == 0:
        with rasterio.open(folder / "c.tif") as src:
            assert src.width >= 1 and math.isfinite(src.transform.a)


# -- attribute tables -----------------------------------------------------------------------------

LABEL_COLUMNS = st.one_of(
    st.lists(st.text(max_size=6), min_size=1, max_size=40),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40),
    st.lists(st.integers(-3, 3), min_size=1, max_size=40),
)


@settings(FUZZ, max_examples=20)
@given(labels=LABEL_COLUMNS, depth=st.lists(ODD_NUMBERS, min_size=40, max_size=40))
@example(labels=[f"species {i}" for i in range(300)], depth=[1.0] * 40)
@example(labels=["가재", "물방개", "올챙이"] * 10, depth=[1.0] * 40)
def test_fuzzed_attribute_tables(cli, tmp_path, labels, depth):
    folder = fresh_folder(tmp_path)
    rng = np.random.default_rng(len(labels))
    xy = rng.uniform(0, 1000, (len(labels), 2))
    frame = gpd.GeoDataFrame({"species": labels, "depth": (depth * 10)[: len(labels)]},
                             geometry=[Point(x, y) for x, y in xy], crs="EPSG:32633")
    frame.to_file(folder / "s.gpkg")
    result = cli("train", folder / "s.gpkg", "--features", "depth", "-o", folder / "m.geoclf",
                 "--epochs", "2", "--weight-decay", "0", "--val-fraction", "0", "-q")
    assert_result_or_one_error(result, folder)
    if result.code == 0:
        assert len(Model.load(folder / "m.geoclf").classes) >= 2


# -- model headers --------------------------------------------------------------------------------

FIELDS = [
    ("format_version",), ("crs",), ("extent",), ("classes",), ("colors",), ("label",), ("temperature",), ("inputs",),
    ("scaling", "offset"), ("scaling", "scale"), ("scaling", "method"), ("architecture", "inputs"), ("architecture", "hidden"),
    ("architecture", "outputs"), ("architecture", "activation"), ("architecture", "dropout"), ("architecture", "residual"),
    ("architecture", "encoding"), ("architecture", "binning"), ("inputs", 0, "kind"), ("inputs", 0, "name"), ("metrics",),
    ("training",), ("history",),
]
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), ODD_NUMBERS, st.text(max_size=12)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=3)),
    max_leaves=8,
)


@settings(FUZZ, max_examples=60)
@given(field=st.sampled_from(FIELDS), value=VALUES)
@example(field=("architecture", "hidden"), value=[10**8, 10**8])
@example(field=("scaling", "scale"), value=[0.0, 1.0])
def test_fuzzed_model_headers(cli, tmp_path, model, spiral_gpkg, field, value):
    folder = fresh_folder(tmp_path)
    meta = copy.deepcopy(model.metadata())
    place = meta
    for key in field[:-1]:
        place = place[key]
    place[field[-1]] = value
    save_file({k: v.contiguous() for k, v in model.network.state_dict().items()}, str(folder / "m.geoclf"),
              metadata={"geoclf": json.dumps(meta)})
    for args in (["info", folder / "m.geoclf", "--json"], ["info", folder / "m.geoclf"],
                 ["predict-points", folder / "m.geoclf", spiral_gpkg, "-o", folder / "p.gpkg"],
                 ["predict-raster", "-m", folder / "m.geoclf", "-o", folder / "c.tif", "--size", "20,20", "-q"]):
        result = cli(*args)
        assert_result_or_one_error(result, folder)
        if result.code == 0 and "--json" in args:
            json.loads(result.out, parse_constant=pytest.fail)
