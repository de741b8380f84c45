"""Hostile and odd inputs through the CLI: one line, the right exit code, no warning text, nothing left
behind, and every input intact (the two hardening issues' cases, each sent as a user would)."""

import copy
import hashlib
import json
import resource
import signal
import subprocess
import sys
import warnings

import geopandas as gpd
import numpy as np
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


# -- part two: outputs as one set, formats by name ------------------------------------------------

def test_a_set_of_outputs_is_placed_whole_or_not_at_all(tmp_path, model):
    """A folder named like the probabilities appears mid-run: neither the class map nor its style is placed."""
    from geoclf import GeoclfError, Grid, MapOutputs, predict_raster

    grid = Grid.from_bounds(model.extent, model.crs, size=(300, 300))
    outputs = MapOutputs(tmp_path / "c.tif", probabilities=tmp_path / "p.tif")

    def a_folder_appears(done, total):
        (tmp_path / "p.tif").mkdir(exist_ok=True)

    with pytest.raises(GeoclfError, match="p.tif is now a folder .made while geoclf ran.: nothing was written"):
        predict_raster(model, grid, outputs, progress=a_folder_appears)
    assert listing(tmp_path) == {"p.tif"} and not any((tmp_path / "p.tif").iterdir())


@pytest.mark.parametrize(
    "args, needles",
    [
        (["make-samples", "spiral", "e"], ["e: no extension is not a points format", ".gpkg, .geojson, .fgb, .csv"]),
        (["predict-points", "model.geoclf", "samples.gpkg", "-o", "out.xyz"], ["'.xyz' is not a points format"]),
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "map.png"], ["'.png' is not a raster format", ".tif, .tiff"]),
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "m3.qml"], ["'.qml' is not a raster format"]),
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "m3.tif", "--confidence", "m3.png"], ["'.png' is not a raster format"]),
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "m3.tif", "--confidence", "m3.tiff"],
         ["the classes' style and the confidence's style would both be written to m3.qml"]),
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "newdir/"], ["newdir/ is a folder name"]),
        (["train", "samples.gpkg", "-o", "model.bin"], ["'.bin' is not a model format", ".geoclf"]),
        (["plot", "history", "model.geoclf", "-o", "loss.jpg"], ["'.jpg' is not a picture format", ".png, .pdf, .svg"]),
        (["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "a" * 240 + ".tif"], ["the file name is too long (244 characters)"]),
    ],
    ids=["no-extension", "xyz", "png-raster", "qml-raster", "png-confidence", "style-twin", "folder", "model", "jpg", "too-long"],
)
def test_outputs_are_refused_by_name_before_work(cli, work, monkeypatch, args, needles):
    monkeypatch.chdir(work)
    before = listing(work)
    assert_quiet_refusal(cli(*args), work, before, *needles)


def test_a_picture_is_written_in_the_format_its_name_says(cli, work):
    assert cli("plot", "history", work / "model.geoclf", "-o", work / "loss.svg").code == 0
    assert (work / "loss.svg").read_text().lstrip().startswith("<?xml")


# -- part two: numbers that are not finite ---------------------------------------------------------

@pytest.mark.parametrize(
    "args, needles",
    [
        (["train", "samples.gpkg", "-o", "d.geoclf", "--lr", "1e30", "--epochs", "20", "--weight-decay", "0"],
         ["training diverged (training loss nan)", "lower --lr (now 1e+30)"]),
        (["train", "samples.gpkg", "-o", "d.geoclf", "--encoding", "sinusoidal", "--encoding-frequencies", "2000"],
         ["--encoding-frequencies must be in [1, 256], got 2000"]),
        (["train", "samples.gpkg", "-o", "d.geoclf", "--encoding", "sinusoidal", "--encoding-frequencies", "100"],
         ["--encoding-frequencies of a sinusoidal --encoding are octaves: at most 24"]),
        (["train", "samples.gpkg", "-o", "d.geoclf", "--weight-decay", "nan"], ["--weight-decay must be zero or positive, got nan"]),
        (["make-samples", "spiral", "n.gpkg", "--noise", "nan"], ["--noise must be zero or a positive angle"]),
        (["predict-raster", "-1e308,-1e308,1e308,1e308", "-m", "model.geoclf", "-o", "x.tif"], ["is wider than a number can hold"]),
    ],
    ids=["diverged", "frequencies", "octaves", "nan-decay", "nan-noise", "huge-extent"],
)
def test_no_model_or_map_from_numbers_that_are_not_finite(cli, work, monkeypatch, args, needles):
    monkeypatch.chdir(work)
    before = listing(work)
    assert_quiet_refusal(cli(*args, "-q") if args[0] == "train" else cli(*args), work, before, *needles)


def test_extents_west_of_greenwich_and_south_of_the_equator_are_extents(cli, tmp_path):
    """'-10,-3,0,8' starts with a minus: it is EXTENT, not an option '-1'; so is --center -5,3."""
    assert cli("make-samples", "spiral", tmp_path / "s.gpkg", "--center", "-5,3", "--crs", "EPSG:4326", "--scale", "1").code == 0
    assert cli("train", tmp_path / "s.gpkg", "-o", tmp_path / "m.geoclf", "--epochs", "5", "-q").code == 0
    done = cli("predict-raster", "-10,-3,0,8", "-m", tmp_path / "m.geoclf", "-o", tmp_path / "c.tif", "--size", "50,55", "-q")
    assert done.code == 0, done.err
    import rasterio

    with rasterio.open(tmp_path / "c.tif") as src:
        assert tuple(round(v, 6) for v in src.bounds) == (-10, -3, 0, 8)


# -- part two: messages that name the real cause --------------------------------------------------

def _layer(path, geometries, labels=None, **kwargs):
    frame = gpd.GeoDataFrame({"species": labels or ["a"] * len(geometries)}, geometry=geometries, crs="EPSG:32633")
    frame.to_file(path, **kwargs)


def test_layers_that_are_not_point_layers_say_why(cli, tmp_path):
    from shapely.geometry import LineString

    _layer(tmp_path / "mixed.gpkg", [Point(0, 0), LineString([(0, 0), (1, 1)])], ["a", "b"])
    _layer(tmp_path / "empty.gpkg", [], [])
    pd.DataFrame({"species": ["a", "b"]}).to_csv(tmp_path / "nocoords.csv", index=False)
    for name, needle in (("mixed.gpkg", "holds LineString geometries"), ("empty.gpkg", "has no features"),
                         ("nocoords.csv", "has no point geometries: name its coordinate columns X and Y")):
        result = cli("train", tmp_path / name, "-o", tmp_path / "m.geoclf", "-q")
        assert_one_line_error(result, needle)
        assert "Unknown" not in result.err


def test_a_csv_of_x_and_y_trains(cli, work):
    """The CSV predict-points writes (X, Y columns) is a sample file too."""
    assert cli("predict-points", work / "model.geoclf", work / "samples.gpkg", "-o", work / "pts.csv").code == 0
    result = cli("train", work / "pts.csv", "-o", work / "csv.geoclf", "--epochs", "5", "-q")
    assert result.code == 0, result.err
    assert "the model has no CRS" not in result.err


def test_a_device_as_covariate_is_not_called_missing(cli, work):
    result = cli("train", work / "samples.gpkg", "--covariate", "d=/dev/zero", "-o", work / "z.geoclf", "-q")
    assert_one_line_error(result, "/dev/zero is not a raster file")


def test_train_cv_names_its_own_options(cli, work):
    assert_one_line_error(cli("train", work / "samples.gpkg", "--cv", "1", "-o", work / "z.geoclf", "-q"), "--cv must be at least 2, got 1")


def test_numeric_labels_match_by_value(cli, tmp_path):
    """Classes 1, 2 in training and 1.0, 2.0 in the evaluation file are the same classes."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (60, 2))
    classes = (xy[:, 0] > 50).astype(int) + 1
    points = [Point(x, y) for x, y in xy]
    gpd.GeoDataFrame({"kind": classes}, geometry=points, crs="EPSG:32633").to_file(tmp_path / "train.gpkg")
    gpd.GeoDataFrame({"kind": classes.astype(float)}, geometry=points, crs="EPSG:32633").to_file(tmp_path / "test.gpkg")
    assert cli("train", tmp_path / "train.gpkg", "--label", "kind", "-o", tmp_path / "m.geoclf", "--epochs", "30", "-q").code == 0
    result = cli("evaluate", tmp_path / "m.geoclf", tmp_path / "test.gpkg", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["accuracy"] > 0.8


# -- part two: warnings a user needs, one line each ------------------------------------------------

def _warnings(result) -> list[str]:
    return [line for line in result.err.splitlines() if line.startswith("geoclf: warning: ")]


def test_conflicting_and_blank_labels_are_said_once(cli, tmp_path):
    places = [Point(0, 0), Point(0, 0), Point(10, 10), Point(20, 5), Point(30, 1), Point(40, 9)] * 3
    _layer(tmp_path / "s.gpkg", places, ["a", "b", "a", "b", "a", "  "] * 3)
    result = cli("cross-validate", tmp_path / "s.gpkg", "--folds", "2", "--by", "random", "--epochs", "3", "-q")
    assert result.code == 0, result.err
    said = _warnings(result)
    assert sum("of spaces only" in line for line in said) == 1
    assert sum("1 place(s) hold samples of different classes (e.g. 0,0: a, b)" in line for line in said) == 1


def test_samples_all_at_one_place_are_said(cli, tmp_path):
    _layer(tmp_path / "s.gpkg", [Point(5, 5)] * 12, ["a", "b"] * 6)
    result = cli("train", tmp_path / "s.gpkg", "-o", tmp_path / "m.geoclf", "--epochs", "3", "-q")
    assert any("all 12 samples sit at one place" in line for line in _warnings(result)), result.err


def test_points_far_from_the_samples_and_a_model_without_crs_are_said(cli, work, tmp_path):
    far = work / "far.gpkg"
    assert cli("make-samples", "spiral", far, "--center", "205000,550000", "--per-class", "5").code == 0
    result = cli("predict-points", work / "model.geoclf", far, "-o", work / "far_p.gpkg")
    assert result.code == 0
    assert any("15 of 15 points in" in line and "outside the training samples' extent" in line for line in _warnings(result))
    with warnings.catch_warnings():  # pyogrio warns that this layer has no CRS: that is the point
        warnings.simplefilter("ignore", UserWarning)
        gpd.read_file(work / "samples.gpkg").set_crs(None, allow_override=True).to_file(tmp_path / "nocrs.gpkg")
    assert cli("train", tmp_path / "nocrs.gpkg", "-o", tmp_path / "nocrs.geoclf", "--epochs", "3", "-q").code == 0
    result = cli("predict-points", tmp_path / "nocrs.geoclf", work / "samples.gpkg", "-o", tmp_path / "p.gpkg")
    assert result.code == 0
    assert any("the model has no CRS: the coordinates of" in line for line in _warnings(result)), result.err


def test_a_summary_says_when_folds_were_skipped():
    from geoclf.validation import CrossValidationReport

    scored = {"fold": 0, "train_samples": 9, "test_samples": 3, "accuracy": 0.8, "kappa": 0.5, "macro_f1": 0.7, "log_loss": 0.4}
    report = CrossValidationReport(
        folds=2, by="block", block_size=None, summary={m: {"mean": scored[m], "sd": 0.0} for m in ("accuracy", "kappa", "macro_f1", "log_loss")},
        per_fold=[scored, {"fold": 1, "train_samples": 3, "test_samples": 9, "skipped": "one class left"}], per_class={},
        untested_classes=[],
    )
    assert "2-fold cross-validation by block (1 of 2 folds skipped: no model could be trained there): accuracy 0.800" in report.summary_line()
    assert report.to_text().startswith("2-fold cross-validation by block, 1 fold(s) skipped")
    assert "macro F1 0.700 +/- 0.000, log loss 0.400 +/- 0.000" in report.summary_line()  # words, not field names
    assert "macro F1  0.700 +/- 0.000" in report.to_text() and "macro_f1" not in report.to_text()


# -- part two: the antimeridian ---------------------------------------------------------------------

def test_a_survey_across_the_antimeridian_maps_its_own_span(cli, tmp_path):
    """Samples at 179..181 degrees (stored as 179..180 and -180..-179): the model's extent is 2 degrees, not 360;
    the default map covers it, a crossing extent '178,-20,-178,-18' is read as such, and the map is right."""
    import rasterio

    from geoclf import spiral_samples

    points = spiral_samples(per_class=40, center=(180.0, -19.0), scale=1.0, crs="EPSG:4326")
    lon = (points.geometry.x + 180.0) % 360.0 - 180.0
    points.set_geometry(gpd.points_from_xy(lon, points.geometry.y), crs="EPSG:4326").to_file(tmp_path / "s.gpkg")
    trained = cli("train", tmp_path / "s.gpkg", "-o", tmp_path / "m.geoclf", "--epochs", "100", "--weight-decay", "0",
                  "--encoding", "fourier", "--encoding-frequencies", "32", "--encoding-scale", "0.3", "-q")
    assert trained.code == 0, trained.err
    west, _, east, _ = json.loads(cli("info", tmp_path / "m.geoclf", "--json").out)["extent"]
    assert 179 < west < 179.5 and 180.5 < east < 181
    assert cli("predict-raster", "-m", tmp_path / "m.geoclf", "-o", tmp_path / "c.tif", "--size", "200,200", "-q").code == 0
    with rasterio.open(tmp_path / "c.tif") as src:
        assert 178.9 < src.bounds.left < 179.2 and 180.9 < src.bounds.right < 181.2
        x = np.where(lon < src.bounds.left, lon + 360, lon)
        codes = np.array([v[0] for v in src.sample(np.column_stack([x, points.geometry.y]))])
    assert (np.array(["crayfish", "diving beetle", "tadpole"])[codes] == points.species).mean() > 0.95
    crossing = cli("predict-raster", "178,-20,-178,-18", "-m", tmp_path / "m.geoclf", "-o", tmp_path / "x.tif", "--size", "40,20", "-q")
    assert crossing.code == 0, crossing.err
    with rasterio.open(tmp_path / "x.tif") as src:
        assert tuple(round(v, 6) for v in src.bounds) == (178, -20, 182, -18)


def test_info_json_is_valid_json_even_with_a_number_that_is_not_finite(cli, work, model):
    meta = copy.deepcopy(model.metadata())
    meta["metrics"]["kappa"] = float("nan")  # what a cross-validation of one class could leave
    save_file({k: v.contiguous() for k, v in model.network.state_dict().items()}, str(work / "nan.geoclf"),
              metadata={"geoclf": json.dumps(meta)})
    result = cli("info", work / "nan.geoclf", "--json")
    assert result.code == 0, result.err

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    assert json.loads(result.out, parse_constant=refuse)["metrics"]["kappa"] is None
