"""Hostile and odd inputs through the CLI: one line, the right exit code, no warning text, nothing left
behind, and every input intact (the hardening issue's cases, each sent as a user would)."""

import copy
import hashlib
import json
import resource
import signal
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from conftest import assert_one_line_error, listing
from safetensors.torch import save_file
from shapely.geometry import Point

EXTENT = "199000,549000,201000,551000"


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def assert_quiet_refusal(result, folder, before: set[str], *needles: str) -> None:
    """One line, non-zero exit, no warning text, and the folder as it was (no output, no temporary)."""
    assert_one_line_error(result, *needles)
    assert "warning" not in result.err.lower(), result.err
    assert listing(folder) == before


@pytest.fixture
def work(tmp_path, spiral_gpkg, model_path):
    """A folder holding the samples and the model under their usual names."""
    (tmp_path / "samples.gpkg").write_bytes(spiral_gpkg.read_bytes())
    (tmp_path / "model.geoclf").write_bytes(model_path.read_bytes())
    return tmp_path


# -- data loss: an output on an input's path -----------------------------------------------------

@pytest.mark.parametrize(
    "args, victim",
    [
        (["train", "samples.gpkg", "-o", "samples.gpkg", "--overwrite", "--epochs", "2"], "samples.gpkg"),
        (["predict-points", "model.geoclf", "samples.gpkg", "-o", "model.geoclf", "--overwrite"], "model.geoclf"),
        (["predict-points", "model.geoclf", "samples.gpkg", "-o", "samples.gpkg", "--overwrite"], "samples.gpkg"),
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "model.geoclf", "--overwrite"], "model.geoclf"),
        (["evaluate", "model.geoclf", "samples.gpkg", "--reliability-plot", "model.geoclf", "--overwrite"], "model.geoclf"),
        (["plot", "history", "model.geoclf", "-o", "model.geoclf", "--overwrite"], "model.geoclf"),
    ],
    ids=["train", "predict-points-model", "predict-points-points", "predict-raster", "evaluate", "plot"],
)
def test_overwrite_never_replaces_an_input(cli, work, monkeypatch, args, victim):
    monkeypatch.chdir(work)
    before, kept = listing(work), digest(work / victim)
    result = cli(*args)
    assert_quiet_refusal(result, work, before, f"{victim} is also an input of this command", "choose another output name")
    assert digest(work / victim) == kept


def test_two_outputs_on_one_path_are_refused(cli, work, monkeypatch):
    monkeypatch.chdir(work)
    before = listing(work)
    result = cli("predict-raster", EXTENT, "-m", "model.geoclf", "-o", "m1.tif", "--probabilities", "m1.tif")
    assert_quiet_refusal(result, work, before, "the classes and the probabilities would both be written to m1.tif")


# -- the model file: fields named, sizes bounded -------------------------------------------------

@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda m: m.update(crs="GEOGCS[nonsense"), "'crs' is not a CRS"),
        (lambda m: m.update(crs=4326), "'crs' must be WKT text"),
        (lambda m: m.update(format_version="three"), "'format_version' must be a whole number"),
        (lambda m: m.update(extent=[0, 1]), "'extent' must be four finite numbers"),
        (lambda m: m["colors"].__setitem__(1, "blue-ish"), "'colors' must hold one '#rrggbb' colour per class"),
        (lambda m: m["scaling"].update(scale=[0.0, 1.0]), "'scaling.scale' must be positive"),
        (lambda m: m["architecture"].update(hidden=[10**8, 10**8]), "'architecture' is out of bounds"),
    ],
    ids=["crs-wkt", "crs-number", "format-version", "extent", "colour", "zero-spread", "huge-widths"],
)
def test_a_tampered_model_names_the_wrong_field(cli, work, model, change, needle):
    meta = copy.deepcopy(model.metadata())
    change(meta)
    save_file({k: v.contiguous() for k, v in model.network.state_dict().items()}, str(work / "bad.geoclf"),
              metadata={"geoclf": json.dumps(meta)})
    before = listing(work)
    for args in (["info", work / "bad.geoclf"], ["predict-raster", EXTENT, "-m", work / "bad.geoclf", "-o", work / "c.tif"]):
        assert_quiet_refusal(cli(*args), work, before, "bad.geoclf: the model file's", needle, "train the model again")


# -- outputs the file system refuses -------------------------------------------------------------

def test_points_to_csv_get_x_and_y_columns(cli, work):
    result = cli("predict-points", work / "model.geoclf", work / "samples.gpkg", "-o", work / "h.csv")
    assert result.code == 0, result.err
    table = pd.read_csv(work / "h.csv")
    points = gpd.read_file(work / "samples.gpkg")
    assert list(table.columns[:2]) == ["X", "Y"] and len(table) == len(points)
    assert (table["X"] - points.geometry.x).abs().max() < 1e-6 and (table["Y"] - points.geometry.y).abs().max() < 1e-6
    assert (table["predicted"] == points["species"]).mean() > 0.9


def test_an_unwritable_folder_is_refused_before_work(cli, work):
    result = cli("predict-raster", EXTENT, "-m", work / "model.geoclf", "-o", "/proc/a.tif")
    assert_one_line_error(result, "cannot write in folder /proc", "choose another output path")
    assert ".partial" not in result.err


def _with_a_small_disk():
    """The child may write files of at most 40 kB: what a full disk looks like to the writer (EFBIG, not a kill)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


@pytest.mark.parametrize(
    "args, output",
    [
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "c.tif", "--size", "1500,1500", "--probabilities", "p.tif", "-q"], "p.tif"),
        (["predict-points", "model.geoclf", "samples.gpkg", "-o", "pp.gpkg"], "pp.gpkg"),
        (["make-samples", "spiral", "many.gpkg", "--per-class", "3000"], "many.gpkg"),
    ],
    ids=["predict-raster", "predict-points", "make-samples"],
)
def test_a_full_disk_is_one_line_and_leaves_nothing(work, args, output):
    before = listing(work)
    done = subprocess.run([sys.executable, "-m", "geoclf", *args], cwd=work, capture_output=True, text=True,
                          preexec_fn=_with_a_small_disk, timeout=600)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0].startswith("geoclf: error: ") and "was not written (" in lines[0] and "check the space left in" in lines[0] and "internal error" not in lines[0]
    assert "_tiffWriteProc" not in done.stderr and ".partial" not in done.stderr
    assert listing(work) == before


# -- numbers that make no map --------------------------------------------------------------------

@pytest.mark.parametrize(
    "resolution, needle",
    [("1e300", "covers the whole extent"), ("5000", "with one cell; give a cell size under"),
     ("inf", "must be a positive cell size"), ("1e-300", "more than a GeoTIFF holds")],
)
def test_resolutions_that_make_no_map_are_refused(cli, work, resolution, needle):
    before = listing(work)
    result = cli("predict-raster", EXTENT, "-m", work / "model.geoclf", "-o", work / "c.tif", "--resolution", resolution)
    assert_quiet_refusal(result, work, before, needle)
    assert len(result.err) < 300


# -- warnings said once, in geoclf's words -------------------------------------------------------

def _two_places(path):
    points = [Point(1000, 1000)] * 20 + [Point(2000, 2000)] * 20
    species = (["a"] * 10 + ["b"] * 10) * 2
    gpd.GeoDataFrame({"species": species}, geometry=points, crs="EPSG:32633").to_file(path)


@pytest.mark.parametrize("by", ["cluster", "block"])
def test_more_folds_than_places_is_one_line_without_scikit_learn_warnings(cli, tmp_path, by):
    _two_places(tmp_path / "dup.gpkg")
    before = listing(tmp_path)
    result = cli("cross-validate", tmp_path / "dup.gpkg", "--by", by, "--folds", "3", "--epochs", "2", "-q")
    assert_quiet_refusal(result, tmp_path, before, "sit at only 2 distinct places, fewer than the 3 folds", "--by random")


def test_a_read_only_home_draws_without_matplotlib_warnings(work):
    """HOME a file: matplotlib cannot make its config folder there, and would say so on every picture."""
    env = {"HOME": "/dev/null", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "geoclf", "plot", "history", "model.geoclf", "-o", "loss.png"], cwd=work,
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (work / "loss.png").stat().st_size > 10_000


@pytest.mark.parametrize("command", [["make-samples", "spiral", "e.shp"], ["predict-points", "model.geoclf", "samples.gpkg", "-o", "p.shp"]])
def test_shapefile_output_is_refused_by_name(cli, work, monkeypatch, command):
    """A Shapefile would cut 'prob_crayfish' to 10 characters (pyogrio warns) and is several files: refused, naming .gpkg."""
    monkeypatch.chdir(work)
    before = listing(work)
    assert_quiet_refusal(cli(*command), work, before, "a Shapefile is several files", "write a .gpkg instead")


# -- labels --------------------------------------------------------------------------------------

def test_an_empty_label_is_a_missing_label(cli, tmp_path):
    species = ["a"] * 10 + ["b"] * 9 + [""]
    frame = gpd.GeoDataFrame({"species": species}, geometry=[Point(i, i % 7) for i in range(20)], crs="EPSG:32633")
    frame.to_file(tmp_path / "s.gpkg")
    before = listing(tmp_path)
    result = cli("train", tmp_path / "s.gpkg", "-o", tmp_path / "m.geoclf", "--epochs", "2", "-q")
    assert_quiet_refusal(result, tmp_path, before, "features 20 have no 'species'; label or delete them")
