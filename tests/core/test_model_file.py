import copy
import json
import pickle
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from geoclf import GeoclfError, Model
from geoclf.model import FORMAT_VERSION
from geoclf.point_values import coordinates


def test_round_trip_keeps_everything(model, model_path, spiral_gpkg):
    import geoclf

    loaded = Model.load(model_path)
    assert loaded.metadata() == model.metadata()
    np.testing.assert_array_equal(loaded.sample_points, model.sample_points)
    values = coordinates(geoclf.read_samples(spiral_gpkg).points)
    np.testing.assert_array_equal(loaded.predict_proba(values), model.predict_proba(values))


def test_file_is_safetensors_with_the_documented_metadata(model_path):
    raw = model_path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    meta = json.loads(header["__metadata__"]["geoclf"])
    expected = {
        "format", "format_version", "geoclf_version", "architecture", "inputs", "scaling", "classes",
        "colors", "label", "crs", "extent", "training", "metrics", "history", "temperature",
    }
    assert expected <= set(meta)
    assert meta["format"] == "geoclf-model" and meta["format_version"] == FORMAT_VERSION
    assert "KGD2002" in meta["crs"] or "Korea" in meta["crs"]
    assert {k: meta["architecture"][k] for k in ("inputs", "hidden", "outputs", "activation")} == {
        "inputs": 2, "hidden": [64, 64], "outputs": 3, "activation": "relu"
    }
    assert [i["name"] for i in meta["inputs"]] == ["x", "y"]
    tensor_names = set(header) - {"__metadata__"}
    assert tensor_names == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "sample_points"}
    assert header["sample_points"]["shape"] == [300, 2] and header["sample_points"]["dtype"] == "F64"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p, raw: p.write_bytes(raw[: len(raw) // 2]), id="truncated"),
        pytest.param(lambda p, raw: p.write_bytes(raw[:5]), id="truncated-header"),
        pytest.param(lambda p, raw: p.write_bytes(b"\x00" * 64 + raw[64:]), id="corrupt-header"),
        pytest.param(lambda p, raw: p.write_bytes(pickle.dumps({"weights": [1, 2, 3]})), id="pickle"),
        pytest.param(lambda p, raw: p.write_text("hello"), id="text"),
        pytest.param(lambda p, raw: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p, raw: save_file({"w": torch.zeros(2)}, str(p)), id="foreign-safetensors"),
        pytest.param(lambda p, raw: save_file({"w": torch.zeros(2)}, str(p), metadata={"geoclf": "{not json"}), id="bad-json"),
    ],
)
def test_broken_or_foreign_files_are_refused(tmp_path, model_path, make):
    path = tmp_path / "broken.geoclf"
    make(path, model_path.read_bytes())
    with pytest.raises(GeoclfError, match="is not a geoclf model"):
        Model.load(path)


def test_weights_that_do_not_fit_the_architecture_are_refused(tmp_path, model):
    meta = model.metadata()
    meta["architecture"]["hidden"] = [32, 32]
    tensors = {k: v.contiguous() for k, v in model.network.state_dict().items()}
    save_file(tensors, str(tmp_path / "m.geoclf"), metadata={"geoclf": json.dumps(meta)})
    with pytest.raises(GeoclfError, match="'architecture' does not match the weights stored beside it"):
        Model.load(tmp_path / "m.geoclf")


def _tampered(tmp_path, model, change, tensors=None):
    """The model's file with its metadata changed by `change(meta)` (and other weights, if given)."""
    meta = copy.deepcopy(model.metadata())  # the fixture's model is shared: its lists must stay as they are
    change(meta)
    tensors = tensors or {k: v.contiguous() for k, v in model.network.state_dict().items()}
    save_file(tensors, str(tmp_path / "m.geoclf"), metadata={"geoclf": json.dumps(meta)})
    return tmp_path / "m.geoclf"


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda m: m.update(crs="GEOGCS[nonsense"), r"'crs' is not a CRS pyproj can read"),
        (lambda m: m.update(crs=4326), r"'crs' must be WKT text, got 4326"),
        (lambda m: m.update(format_version="three"), r"'format_version' must be a whole number, got 'three'"),
        (lambda m: m.update(extent=[0, 1]), r"'extent' must be four finite numbers"),
        (lambda m: m.update(extent=[0, 0, float("nan"), 1]), r"'extent' must be four finite numbers"),
        (lambda m: m.update(extent=[5, 0, 1, 1]), r"'extent' is inverted"),
        (lambda m: m["colors"].__setitem__(0, "not a colour"), r"'colors' must hold one '#rrggbb' colour per class \(3\)"),
        (lambda m: m.update(classes=["a", "a", "b"]), r"'classes' must be a list of distinct class names"),
        (lambda m: m["scaling"].update(scale=[1.0, 0.0]), r"'scaling.scale' must be positive for every input"),
        (lambda m: m["scaling"].update(offset=[1.0]), r"'scaling.offset' must hold one number per input \(2\)"),
        (lambda m: m["scaling"].update(scale=[1.0, float("nan")]), r"'scaling.scale' holds a number that is not finite"),
        (lambda m: m.update(temperature=float("inf")), r"'temperature' must be a positive finite number"),
        (lambda m: m["architecture"].update(hidden=[10**6, 10**6]), r"'architecture' is out of bounds \(hidden needs 1 to 32"),
        (lambda m: m["architecture"]["encoding"].update(kind="fourier", frequencies=10**9, columns=[0, 1]),
         r"'architecture' is out of bounds \(encoding_frequencies must be in \[1, 256\]"),
        (lambda m: m["architecture"].update(hidden=None), r"'architecture' is incomplete or malformed"),
        (lambda m: m.update(inputs=[{"name": "x", "kind": "coordinate"}, {"name": "y", "kind": "magic"}]), r"'inputs' must describe each input"),
    ],
)
def test_a_tampered_header_names_its_field(tmp_path, model, change, needle):
    with pytest.raises(GeoclfError, match=needle) as caught:
        Model.load(_tampered(tmp_path, model, change))
    assert "\n" not in str(caught.value) and "train the model again" in str(caught.value)


def test_non_finite_weights_are_refused(tmp_path, model):
    tensors = {k: v.clone().contiguous() for k, v in model.network.state_dict().items()}
    tensors["0.weight"][0, 0] = float("nan")
    with pytest.raises(GeoclfError, match="'weights' hold a number that is not finite"):
        Model.load(_tampered(tmp_path, model, lambda m: None, tensors))


def test_a_header_asking_for_huge_layers_allocates_nothing(tmp_path, model):
    """32 layers of 4096 are within bounds but 2 GB of weights: refused from the shapes alone, on torch's meta device."""
    import subprocess
    import sys

    path = _tampered(tmp_path, model, lambda m: m["architecture"].update(hidden=[4096] * 32))
    script = (
        "import resource, sys\nfrom geoclf import Model, GeoclfError\n"
        f"try:\n    Model.load({str(path)!r})\nexcept GeoclfError as e:\n    print(e)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
    )
    message, peak_mb = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert "'architecture' does not match the weights" in message
    assert int(peak_mb) < 1000  # torch and geoclf's imports take about 400 MB; the layers would take 2,000 more


def test_a_huge_file_that_is_not_a_model_is_refused_by_its_header(tmp_path):
    path = tmp_path / "big.geoclf"
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", 2**40))  # a header length of a terabyte
        file.truncate(200 * 2**20)  # a sparse 200 MB file
    with pytest.raises(GeoclfError, match="is not a geoclf model"):
        Model.load(path)


def test_newer_format_asks_for_an_upgrade(tmp_path, model):
    meta = model.metadata()
    meta["format_version"] = FORMAT_VERSION + 1
    save_file({k: v.contiguous() for k, v in model.network.state_dict().items()}, str(tmp_path / "m.geoclf"), metadata={"geoclf": json.dumps(meta)})
    with pytest.raises(GeoclfError, match="upgrade geoclf"):
        Model.load(tmp_path / "m.geoclf")


def test_missing_model(tmp_path):
    with pytest.raises(GeoclfError, match="no such model file"):
        Model.load(tmp_path / "none.geoclf")


def test_save_refuses_to_overwrite(tmp_path, model):
    model.save(tmp_path / "m.geoclf")
    with pytest.raises(GeoclfError, match="already exists"):
        model.save(tmp_path / "m.geoclf")
    model.save(tmp_path / "m.geoclf", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["m.geoclf"]
