"""The geoclf command end to end, on real files, and every bad input from the core issue."""

import json
import os
import re
import signal
import subprocess
import sys
import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from conftest import assert_one_line_error, listing, run_geoclf
from shapely.geometry import Point, Polygon

from geoclf import spiral_samples, write_layer

EXTENT = "199000,549000,201000,551000"


def test_quick_start_end_to_end(tmp_path):
    """The three commands of the README, then info, predict-points, evaluate and the pictures."""
    steps = [
        ["make-samples", "spiral", "samples.gpkg"],
        ["train", "samples.gpkg", "-o", "model.geoclf", "--quiet"],
        ["predict-raster", EXTENT, "-m", "model.geoclf", "-o", "classes.tif", "--quiet"],
        ["make-samples", "spiral", "new.gpkg", "--per-class", "20", "--seed", "7"],
        ["predict-points", "model.geoclf", "new.gpkg", "-o", "predicted.gpkg"],
        ["plot", "class-map", "classes.tif", "--samples", "samples.gpkg", "--points", "predicted.gpkg", "-o", "map.png"],
        ["plot", "history", "model.geoclf", "-o", "loss.png"],
        ["plot", "samples", "samples.gpkg", "-m", "model.geoclf", "-o", "samples.png"],
    ]
    for step in steps:
        done = run_geoclf(*step, cwd=tmp_path)
        assert done.returncode == 0, (step, done.stderr)
    with rasterio.open(tmp_path / "classes.tif") as src:
        assert (src.width, src.height) == (1000, 1000) and src.res == (2.0, 2.0)
        assert src.crs.to_epsg() == 5186
        assert set(np.unique(src.read(1))) == {0, 1, 2}
    predicted = gpd.read_file(tmp_path / "predicted.gpkg")
    assert len(predicted) == 60 and (predicted["predicted"] == predicted["species"]).mean() >= 0.95
    info = json.loads(run_geoclf("info", "model.geoclf", "--json", cwd=tmp_path).stdout)
    assert info["classes"] == ["crayfish", "diving beetle", "tadpole"] and info["label"] == "species"
    report = json.loads(run_geoclf("evaluate", "model.geoclf", "new.gpkg", "--json", cwd=tmp_path).stdout)
    assert report["accuracy"] >= 0.95 and report["samples"] == 60
    assert {p.name for p in tmp_path.iterdir()} == {
        "samples.gpkg", "model.geoclf", "classes.tif", "classes.qml", "new.gpkg", "predicted.gpkg", "predicted.qml", "map.png", "loss.png",
        "samples.png",
    }


def test_train_shows_progress_and_a_summary(cli, tmp_path, spiral_gpkg):
    result = cli("train", spiral_gpkg, "-o", tmp_path / "m.geoclf", "--epochs", "20", "--val-fraction", "0.2")
    assert result.code == 0
    # the smooth map's 20 epochs, the detail's, and a blend's far fit's (near_detail.py), counted from the start
    assert "training" in result.err and "60/60" in result.err
    assert "on its own training points: accuracy" in result.out and "on the hold-out (" in result.out
    assert "model written to" in result.out
    quiet = cli("train", spiral_gpkg, "-o", tmp_path / "q.geoclf", "--epochs", "5", "--quiet")
    assert quiet.code == 0 and quiet.err == ""
    lines = cli("train", spiral_gpkg, "-o", tmp_path / "l.geoclf", "--epochs", "4", "--progress", "lines")
    percents = [int(line.split()[1].rstrip("%")) for line in lines.error_lines]
    assert percents == [int(100 * step / 12) for step in range(1, 13)]  # 3 runs of 4 epochs, never back, ending full


def test_teaching_setup_from_the_command_line(cli, tmp_path, spiral_gpkg):
    result = cli(
        "train", spiral_gpkg, "-o", tmp_path / "t.geoclf", "--quiet",
        "--hidden", "10", "--activation", "sigmoid", "--optimizer", "sgd", "--lr", "1.0", "--batch-size", "30", "--epochs", "300",
    )
    assert result.code == 0, result.err
    info = json.loads(cli("info", tmp_path / "t.geoclf", "--json").out)
    shape = {key: info["architecture"][key] for key in ("inputs", "hidden", "outputs", "activation", "residual", "dropout")}
    assert shape == {"inputs": 2, "hidden": [10], "outputs": 3, "activation": "sigmoid", "residual": False, "dropout": 0.0}
    assert info["architecture"]["encoding"]["kind"] == "none"
    assert info["metrics"]["train_loss"] < 0.15 and info["metrics"]["train_accuracy"] >= 0.95


def test_same_seed_same_model_file(cli, tmp_path, spiral_gpkg):
    for name in ("a", "b"):
        assert cli("train", spiral_gpkg, "-o", tmp_path / f"{name}.geoclf", "--epochs", "10", "--seed", "3", "-q").code == 0
    a, b = (json.loads(cli("info", tmp_path / f"{n}.geoclf", "--json").out) for n in ("a", "b"))
    for info in (a, b):  # wall-clock times are the only thing allowed to differ
        info["metrics"].pop("seconds")
        info["metrics"]["smoothness_choice"].pop("seconds")
        info["metrics"]["near_detail"]["detail"].pop("seconds")
    assert a == b
    from geoclf import Model

    wa, wb = Model.load(tmp_path / "a.geoclf").network.state_dict(), Model.load(tmp_path / "b.geoclf").network.state_dict()
    assert all(np.array_equal(wa[k].numpy(), wb[k].numpy()) for k in wa)


def test_info_text(cli, model_path):
    result = cli("info", model_path)
    assert result.code == 0
    for needle in ("2-64-64-3 MLP, relu", "0=crayfish", "EPSG:5186", "extent", "train_accuracy"):
        assert needle in result.out


def test_predict_raster_options(cli, tmp_path, model_path):
    out = tmp_path / "c.tif"
    assert cli("predict-raster", EXTENT, "-m", model_path, "-o", out, "--size", "50,40", "-q").code == 0
    with rasterio.open(out) as src:
        assert (src.width, src.height) == (50, 40)
    like = cli("predict-raster", "--like", out, "-m", model_path, "-o", tmp_path / "like.tif", "-q")
    assert like.code == 0
    with rasterio.open(out) as a, rasterio.open(tmp_path / "like.tif") as b:
        assert a.transform == b.transform and np.array_equal(a.read(), b.read())
    default = cli("predict-raster", "-m", model_path, "-o", tmp_path / "d.tif", "--progress", "lines", "--probabilities", tmp_path / "p.tif")
    assert default.code == 0 and "progress: 100% classifying" in default.err
    with rasterio.open(tmp_path / "d.tif") as src, rasterio.open(tmp_path / "p.tif") as probs:
        assert probs.count == 3 and probs.descriptions == ("crayfish", "diving beetle", "tadpole")
        xmin, ymin, xmax, ymax = src.bounds
    from geoclf import Model

    exmin, eymin, exmax, eymax = Model.load(model_path).extent
    assert xmin < exmin and ymax > eymax  # the samples' extent with a margin
    wgs = cli("predict-raster", "126.98,37.55,127.0,37.57 [EPSG:4326]", "-m", model_path, "-o", tmp_path / "w.tif", "-q", "--resolution", "20")
    assert wgs.code == 0, wgs.err
    with rasterio.open(tmp_path / "w.tif") as src:
        assert src.crs.to_epsg() == 5186 and src.res == (20.0, 20.0)


# -- bad input: one line, non-zero exit, no traceback, nothing written ------------------


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    points = spiral_samples(per_class=20)
    write_layer(gpd.GeoDataFrame({"species": ["a"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs=5186), folder / "poly.gpkg", "lakes")
    write_layer(points.assign(geometry=[Point() if i in (4, 8) else g for i, g in enumerate(points.geometry)]), folder / "empty.gpkg", "s")
    write_layer(points[points.species == "tadpole"], folder / "one.gpkg", "s")
    write_layer(points.drop(points[points.species == "crayfish"].index[2:]), folder / "few.gpkg", "s")
    with warnings.catch_warnings():  # pyogrio warns that this layer has no CRS: that is the point
        warnings.simplefilter("ignore", UserWarning)
        write_layer(points.set_crs(None, allow_override=True), folder / "nocrs.gpkg", "s")
    write_layer(points, folder / "ok.gpkg", "s")
    write_layer(points, folder / "two.gpkg", "first")
    points.to_file(folder / "two.gpkg", layer="second", engine="pyogrio")
    (folder / "foreign.geoclf").write_text("just text")
    return folder


BAD = [
    (["train", "missing.gpkg"], ["missing.gpkg: no such file"]),
    (["train", "ok.gpkg", "--layer", "nope"], ["no layer 'nope'", "s (Point)"]),
    (["train", "two.gpkg"], ["several point layers", "first (Point), second (Point)"]),
    (["train", "ok.gpkg", "--label", "kind"], ["no field 'kind'", "species"]),
    (["train", "poly.gpkg"], ["Polygon", "needs a point layer"]),
    (["train", "empty.gpkg"], ["features 5, 9 have no geometry"]),
    (["train", "one.gpkg"], ["fewer than 2 classes", "'tadpole'"]),
    (["train", "ok.gpkg", "--hidden", "64,x"], ["--hidden"]),
    (["train", "ok.gpkg", "--lr", "-1"], ["--lr must be positive"]),
    (["train", "ok.gpkg", "--device", "cuda"], ["no CUDA GPU"]),
    (["predict-points", "MODEL", "nocrs.gpkg", "-o", "out.gpkg"], ["has no CRS but the model is in EPSG:5186"]),
    (["predict-raster", "201000,549000,199000,551000", "-m", "MODEL"], ["inverted or has zero size"]),
    (["predict-raster", "199000,549000,199000,551000", "-m", "MODEL"], ["inverted or has zero size"]),
    (["predict-raster", EXTENT, "-m", "MODEL", "--resolution", "0"], ["--resolution must be a positive cell size"]),
    (["predict-raster", EXTENT, "-m", "MODEL", "--resolution", "-5"], ["--resolution must be a positive cell size"]),
    (["predict-raster", EXTENT, "-m", "MODEL", "--resolution", "0.1"], ["over the limit", "--force"]),
    (["predict-raster", "1,2,3", "-m", "MODEL"], ["cannot read extent"]),
    (["predict-raster", EXTENT, "-m", "foreign.geoclf"], ["is not a geoclf model"]),
    (["predict-raster", EXTENT, "-m", "absent.geoclf"], ["no such model file"]),
    (["info", "foreign.geoclf"], ["is not a geoclf model"]),
    (["evaluate", "foreign.geoclf", "ok.gpkg"], ["is not a geoclf model"]),
    (["make-samples", "spiral", "ok.gpkg"], ["ok.gpkg already exists: pass --overwrite"]),
    (["train", "ok.gpkg", "-o", "ok.gpkg"], ["ok.gpkg is also an input of this command"]),
    (["make-samples", "spiral", "nofolder/x.gpkg"], ["folder nofolder does not exist"]),
]


@pytest.mark.parametrize("args, needles", BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input(cli, bad_inputs, model_path, monkeypatch, args, needles):
    monkeypatch.chdir(bad_inputs)
    before = listing(bad_inputs)
    result = cli(*[str(model_path) if a == "MODEL" else a for a in args])
    assert_one_line_error(result, *needles)
    assert result.error_lines[0].startswith("geoclf: error: ")
    assert listing(bad_inputs) == before


def test_existing_raster_output_needs_overwrite(cli, tmp_path, model_path):
    args = ["predict-raster", EXTENT, "-m", model_path, "-o", tmp_path / "c.tif", "--size", "10,10", "-q"]
    assert cli(*args).code == 0
    stamp = os.stat(tmp_path / "c.tif").st_mtime_ns
    assert_one_line_error(cli(*args), "c.tif already exists: pass --overwrite")
    assert os.stat(tmp_path / "c.tif").st_mtime_ns == stamp
    assert cli(*args, "--overwrite").code == 0


def test_debug_shows_the_traceback(cli, tmp_path):
    result = cli("train", tmp_path / "missing.gpkg", "--debug")
    assert result.code == 1
    assert "Traceback" in result.err and "GeoclfError" in result.err


def test_usage_errors_are_short(tmp_path):
    done = run_geoclf("predict-raster", "--resolution", "abc", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "Invalid value for '--resolution'" in done.stderr and "see 'geoclf predict-raster --help'" in done.stderr


def test_ctrl_c_leaves_no_partial_output(tmp_path, model_path):
    """SIGINT in the middle of a large class map: exit 130, one line, nothing at the destination."""
    child = subprocess.Popen(
        [sys.executable, "-m", "geoclf", "predict-raster", EXTENT, "-m", str(model_path), "-o", "big.tif",
         "--size", "5000,5000", "--probabilities", "p.tif", "--progress", "lines"],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True,
        # as from a terminal: a test run started in the background inherits SIGINT ignored, and so would the child
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    first = child.stderr.readline()
    assert first.startswith("progress:"), first
    child.send_signal(signal.SIGINT)
    rest = child.stderr.read()
    assert child.wait(timeout=60) == 130
    assert "interrupted; no output was written" in rest and "Traceback" not in rest
    assert listing(tmp_path) == set()


def test_rare_classes_train_with_one_warning_line_each_and_appear_in_the_map(cli, tmp_path):
    from test_training import with_rare_classes

    write_layer(with_rare_classes(spiral_samples()), tmp_path / "rare.gpkg", "samples")
    trained = cli("train", tmp_path / "rare.gpkg", "-o", tmp_path / "m.geoclf", "--epochs", "60", "--quiet")
    assert trained.code == 0, trained.err
    assert trained.error_lines == [
        "geoclf: warning: class 'heron' has only 1 sample; it is trained and mapped, but where it lives rests on that alone: collect more if you can",
        "geoclf: warning: class 'otter' has only 3 samples; it is trained and mapped, but where it lives rests on those alone: collect more if you can",
    ]
    assert re.search(r"smoothness: weight decay [\d.]+, chosen by log loss on 3 inner folds", trained.out)
    info = cli("info", tmp_path / "m.geoclf")
    assert re.search(r"2=heron #\w+ \(1 training samples\), 3=otter #\w+ \(3 training samples\)", info.out), info.out
    assert re.search(r"smoothness   weight decay [\d.]+, chosen by log loss", info.out)
    assert re.search(r"(the map blends the networks of decays|one network: a blend of rungs changed) .*where its shares were not fitted", info.out)
    mapped = cli("predict-raster", "198500,548500,201500,551500", "-m", tmp_path / "m.geoclf", "-o", tmp_path / "map.tif", "--resolution", "10", "--quiet")
    assert mapped.code == 0, mapped.err
    with rasterio.open(tmp_path / "map.tif") as src:
        codes = src.read(1)
        assert set(np.unique(codes)) == {0, 1, 2, 3, 4}  # every class, the heron and the otters included
    report = json.loads(cli("cross-validate", tmp_path / "rare.gpkg", "--folds", "4", "--epochs", "20", "--json", "--quiet").out)
    assert report["untested_classes"] == ["heron", "otter"]
    support = {name: row["support"] for name, row in report["per_class"].items()}
    assert support == {"crayfish": 100, "diving beetle": 100, "heron": 0, "otter": 0, "tadpole": 100}
    assert report["per_class"]["otter"]["recall"] is None
    text = cli("cross-validate", tmp_path / "rare.gpkg", "--folds", "4", "--epochs", "20", "--quiet").out
    assert "never tested (fewer samples than folds; in every training part): heron, otter" in text
    assert re.search(r"otter\s+n/a\s+n/a\s+n/a\s+0", text), text
