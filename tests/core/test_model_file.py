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
    with pytest.raises(GeoclfError, match="is not a geoclf model"):
        Model.load(tmp_path / "m.geoclf")


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
