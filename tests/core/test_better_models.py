"""Better models from the same samples: location encodings, residual blocks, dropout, weight decay,
class weights, early stopping and temperature scaling; and cross-validation stored by `train --cv`."""

import dataclasses
import json
import struct

import geopandas as gpd
import numpy as np
import pytest
import torch
from conftest import assert_one_line_error
from sklearn.metrics import log_loss, recall_score

import geoclf
from geoclf import GeoclfError, Model, TrainingConfig, train
from geoclf.encoding import Encoding
from geoclf.point_values import coordinates
from geoclf.samples import Samples
from geoclf.training import _split, encode_labels


def spiral(seed=0, **kwargs) -> Samples:
    return Samples(geoclf.spiral_samples(seed=seed, **kwargs), "species")


def codes_and_probs(model: Model, samples: Samples):
    probs = model.predict_proba(coordinates(samples.points))
    return probs.argmax(axis=1), probs


# -- location encodings -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fourier", "sinusoidal"])
def test_encodings_round_trip_through_the_model_file(tmp_path, kind):
    model = train(spiral(), TrainingConfig(epochs=20, encoding=kind, encoding_frequencies=8))
    assert model.architecture.encoding.kind == kind and model.architecture.encoding.columns == (0, 1)
    # the frequencies are weights of the file, not re-drawn (in front of the network, or of a blend's members)
    assert {"0.frequency", "front.0.frequency"} & set(model.network.state_dict())
    model.save(tmp_path / "m.geoclf")
    loaded = Model.load(tmp_path / "m.geoclf")
    assert loaded.architecture == model.architecture
    values = coordinates(spiral(seed=5).points)
    np.testing.assert_array_equal(loaded.predict_proba(values), model.predict_proba(values))


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_an_encoding_lets_the_network_draw_sharp_boundaries():
    """On a fine checkerboard, sines of x and y reach what raw x, y does not in the same epochs."""
    board = Samples(geoclf.checkerboard_samples(count=1500, squares=6, seed=1), "species")
    fresh = Samples(geoclf.checkerboard_samples(count=1500, squares=6, seed=2), "species")
    scores = {}
    for kind in ("none", "sinusoidal"):
        model = train(board, TrainingConfig(epochs=60, encoding=kind, encoding_frequencies=4, encoding_scale=0.25))
        codes, _ = codes_and_probs(model, fresh)
        scores[kind] = (np.asarray(model.classes)[codes] == fresh.labels).mean()
    assert scores["sinusoidal"] > scores["none"] + 0.03 and scores["sinusoidal"] > 0.9, scores


def lonlat_samples(center_lon: float) -> Samples:
    """The spiral in degrees (EPSG:4326) around (center_lon, 0), wrapped into [-180, 180)."""
    points = geoclf.spiral_samples(center=(center_lon, 0.0), scale=5.0, crs="EPSG:4326")
    lon = (points.geometry.x + 180.0) % 360.0 - 180.0
    return Samples(points.set_geometry(gpd.points_from_xy(lon, points.geometry.y), crs="EPSG:4326"), "species")


def test_geographic_coordinates_are_encoded_on_the_sphere():
    encoder = Encoding("fourier", 16, 1.0, (0, 1), sphere=True, spread=0.05).build()
    across = encoder(torch.tensor([[179.99999, 10.0], [-179.99999, 10.0]]))
    assert torch.allclose(across[0], across[1], atol=1e-3)  # continuous across the antimeridian
    pole = encoder(torch.tensor([[-120.0, 90.0], [0.0, 90.0], [75.0, 90.0]]))
    assert torch.allclose(pole[0], pole[1], atol=1e-3) and torch.allclose(pole[1], pole[2], atol=1e-3)


def test_a_model_across_the_antimeridian_learns_the_same_map_as_one_away_from_it():
    """In lon/lat the spiral cut by the antimeridian is one spiral on the sphere; its model does as well as at 0 deg."""
    config = TrainingConfig(epochs=100, encoding="fourier", encoding_frequencies=32, encoding_scale=0.3)
    scores = {}
    for lon in (0.0, 180.0):
        model = train(lonlat_samples(lon), config)
        assert model.architecture.encoding.sphere and model.scaler.scale[:2].tolist() == [1.0, 1.0]
        fresh = Samples(lonlat_samples(lon).points.sample(frac=1.0, random_state=1), "species")
        codes, _ = codes_and_probs(model, fresh)
        scores[lon] = (np.asarray(model.classes)[codes] == fresh.labels).mean()
        if lon == 180.0:  # the two sides of the line get the same answer
            _, probs = codes_and_probs(model, Samples(gpd.GeoDataFrame(
                {"species": ["x", "x"]}, geometry=gpd.points_from_xy([179.9999, -179.9999], [1.0, 1.0]), crs="EPSG:4326"
            ), "species"))
            np.testing.assert_allclose(probs[0], probs[1], atol=1e-3)
    assert scores[180.0] > 0.95 and abs(scores[180.0] - scores[0.0]) < 0.03, scores


# -- residual blocks, dropout -------------------------------------------------------------


def test_residual_network_with_dropout_trains_and_predicts_deterministically(tmp_path):
    config = TrainingConfig(hidden=(32, 32, 32), residual=True, dropout=0.2, epochs=60, weight_decay=1e-3)
    model = train(spiral(), config)
    assert any(isinstance(m, torch.nn.LayerNorm) for m in model.network.modules())
    assert model.metrics["train_accuracy"] > 0.9
    values = coordinates(spiral(seed=3).points)
    np.testing.assert_array_equal(model.predict_proba(values), model.predict_proba(values))  # no dropout at inference
    model.save(tmp_path / "r.geoclf")
    np.testing.assert_array_equal(Model.load(tmp_path / "r.geoclf").predict_proba(values), model.predict_proba(values))


def test_weight_decay_shrinks_the_weights():
    norms = {}
    for decay in (0.0, 0.5):
        model = train(spiral(), TrainingConfig(epochs=40, weight_decay=decay))
        norms[decay] = sum(float(p.detach().norm()) for name, p in model.network.named_parameters() if name.endswith("weight"))
    assert norms[0.5] < 0.8 * norms[0.0], norms


# -- early stopping, calibration, class weights ---------------------------------------------


def test_early_stopping_keeps_the_best_epoch():
    noisy = spiral(noise=0.5)
    model = train(noisy, TrainingConfig(epochs=300, lr=0.02, val_fraction=0.3, patience=15, lr_schedule="constant"))
    val_losses = [record["val_loss"] for record in model.history]
    best = int(np.argmin(val_losses)) + 1
    assert model.metrics["best_epoch"] == best
    assert model.metrics["epochs_run"] == len(model.history) == best + 15 < 300  # it stopped, patience epochs later
    assert model.metrics["val_loss"] == pytest.approx(val_losses[best - 1], rel=1e-6)
    # the returned weights are the best epoch's: on the same hold-out they give that epoch's loss
    config = TrainingConfig(val_fraction=0.3)
    _, codes = encode_labels(noisy)
    _, _, _, held_x, held_y = _split(coordinates(noisy.points), codes, config.val_fraction, config.seed)
    with torch.no_grad():
        logits = model.network(torch.from_numpy(model.scaler.transform(held_x)))
    loss = float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(held_y).long()))
    assert loss == pytest.approx(val_losses[best - 1], rel=1e-5) and loss < val_losses[-1]


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_temperature_scaling_lowers_the_hold_out_log_loss():
    """An over-trained network is over-confident; the fitted temperature softens it, on the hold-out and on new points."""
    noisy = spiral(noise=0.5)
    model = train(noisy, TrainingConfig(epochs=300, val_fraction=0.3, lr_schedule="constant", lr=0.02, weight_decay=0.0))
    metrics = model.metrics
    assert metrics["temperature"] > 1.2
    assert metrics["val_log_loss"] < 0.9 * metrics["val_log_loss_uncalibrated"]
    fresh = spiral(seed=7, noise=0.5)
    codes, calibrated = codes_and_probs(model, fresh)
    raw_codes, raw = codes_and_probs(dataclasses.replace(model, temperature=1.0), fresh)
    assert np.array_equal(codes, raw_codes)  # the classes never change
    truth = [model.classes.index(label) for label in fresh.labels]
    assert log_loss(truth, calibrated, labels=[0, 1, 2]) < log_loss(truth, raw, labels=[0, 1, 2])


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_balanced_class_weights_raise_the_rare_species_recall():
    def rare_case(seed):  # diving beetles: 15 of 515 points
        points = geoclf.spiral_samples(per_class=250, seed=seed)
        beetles = points[points["species"] == "diving beetle"].sample(15, random_state=seed)
        return Samples(gpd.GeoDataFrame(
            np.concatenate([points[points["species"] != "diving beetle"], beetles]), columns=points.columns, crs=points.crs
        ), "species")

    fresh = spiral(seed=99, per_class=200)
    recalls = {}
    for weighting in ("none", "balanced"):
        model = train(rare_case(1), TrainingConfig(epochs=60, class_weight=weighting))
        codes, _ = codes_and_probs(model, fresh)
        recalls[weighting] = recall_score(fresh.labels, np.asarray(model.classes)[codes], labels=["diving beetle"], average="macro")
    assert recalls["balanced"] > recalls["none"] + 0.05, recalls


# -- the model file -------------------------------------------------------------------------


def test_format_1_files_still_load(model_path, tmp_path):
    """A file written before encodings and temperatures (format 1) loads and predicts the same."""
    raw = model_path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    meta = json.loads(header["__metadata__"]["geoclf"])
    meta["format_version"] = 1
    del meta["temperature"]
    meta["architecture"] = {k: meta["architecture"][k] for k in ("inputs", "hidden", "outputs", "activation")}
    header["__metadata__"]["geoclf"] = json.dumps(meta)
    new_header = json.dumps(header).encode()
    new_header += b" " * (-len(new_header) % 8)
    old = tmp_path / "old.geoclf"
    old.write_bytes(struct.pack("<Q", len(new_header)) + new_header + raw[8 + length :])
    values = coordinates(spiral(seed=4).points)
    np.testing.assert_array_equal(Model.load(old).predict_proba(values), Model.load(model_path).predict_proba(values))


# -- the command line -------------------------------------------------------------------------


def test_train_cv_stores_the_figures_in_the_model(cli, tmp_path, spiral_gpkg):
    out = tmp_path / "cv.geoclf"
    result = cli("train", spiral_gpkg, "-o", out, "--cv", "3", "--cv-by", "cluster", "--epochs", "20",
                 "--val-fraction", "0.2", "--patience", "5", "-q")
    assert result.code == 0, result.err
    assert "3-fold cross-validation by cluster: accuracy" in result.out and "calibrated: temperature" in result.out
    meta = json.loads(cli("info", out, "--json").out)
    report = meta["metrics"]["cross_validation"]
    assert report["folds"] == 3 and report["by"] == "cluster" and len(report["per_fold"]) == 3
    assert 0 < report["summary"]["accuracy"]["mean"] <= 1
    assert "validation   3-fold cross-validation by cluster" in cli("info", out).out


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--patience", "10"), "no hold-out; give --val-fraction"),
        (("--residual", "--hidden", "64,32"), "--residual needs equal --hidden widths"),
        (("--dropout", "1.5"), "--dropout must be in [0, 1)"),
        (("--encoding-scale", "0", "--encoding", "fourier"), "--encoding-scale must be positive"),
        (("--weight-decay", "-1"), "--weight-decay must be zero or positive"),
    ],
)
def test_bad_training_settings_are_one_line_errors(cli, tmp_path, spiral_gpkg, args, needle):
    assert_one_line_error(cli("train", spiral_gpkg, "-o", tmp_path / "m.geoclf", *args), needle)
    assert not (tmp_path / "m.geoclf").exists()


def test_cross_validate_a_covariate_model(cli, tmp_path):
    from geoclf.datasets import pond_samples, write_pond_rasters

    rasters = write_pond_rasters(tmp_path)
    geoclf.write_layer(pond_samples(300), tmp_path / "pond.gpkg", layer="samples")
    result = cli("cross-validate", tmp_path / "pond.gpkg", "--folds", "3", "--epochs", "40", "--json", "-q",
                 *[arg for name, path in rasters.items() for arg in ("--covariate", f"{name}={path}")])
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["summary"]["accuracy"]["mean"] > 0.85
    assert sum(r["test_samples"] for r in report["per_fold"]) == 300


def test_bad_encoding_in_the_library_is_a_geoclf_error():
    with pytest.raises(GeoclfError, match="^unknown encoding 'wavelet'"):
        train(spiral(), TrainingConfig(encoding="wavelet"))
    from geoclf.datasets import HABITAT_FEATURES, habitat_samples
    from geoclf.inputs import describe_inputs

    table = habitat_samples(count=200)
    with pytest.raises(GeoclfError, match="encodes the coordinates, which are not inputs"):
        train(Samples(table, "species"), TrainingConfig(encoding="fourier"), inputs=describe_inputs(table, False, HABITAT_FEATURES))
