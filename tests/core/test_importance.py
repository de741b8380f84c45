"""Permutation importance: an input the classes depend on matters, a field of noise does not."""

from __future__ import annotations

import json

import numpy as np
import pytest

import geoclf
from conftest import assert_one_line_error, assert_real_picture
from geoclf.importance import permutation_importance


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """Spiral samples with a field of pure noise, and a model trained on x, y and that field."""
    folder = tmp_path_factory.mktemp("importance")
    rng = np.random.default_rng(0)
    for name, seed in (("train", 0), ("test", 1)):
        points = geoclf.spiral_samples(seed=seed)
        points["noise"] = rng.normal(size=len(points))
        geoclf.write_layer(points, folder / f"{name}.gpkg", "samples")
    config = geoclf.TrainingConfig(epochs=80)
    inputs = geoclf.inputs.describe_inputs(geoclf.read_samples(folder / "train.gpkg").points, True, ("noise",))
    geoclf.train(geoclf.read_samples(folder / "train.gpkg"), config, inputs=inputs).save(folder / "model.geoclf")
    return folder


def test_coordinates_matter_and_noise_does_not(noisy):
    model = geoclf.Model.load(noisy / "model.geoclf")
    report = permutation_importance(model, geoclf.read_samples(noisy / "test.gpkg"), repeats=5, seed=0)
    drop = dict(zip(report.inputs, report.accuracy_drop.mean(axis=1)))
    assert drop["x"] > 0.2 and drop["y"] > 0.2
    assert abs(drop["noise"]) < 0.05
    assert [report.inputs[i] for i in report.order()][-1] == "noise"
    assert report.accuracy_drop.shape == (3, 5) and (report.accuracy_drop[:2].std(axis=1) > 0).all()
    again = permutation_importance(model, geoclf.read_samples(noisy / "test.gpkg"), repeats=5, seed=0)
    np.testing.assert_array_equal(report.log_loss_rise, again.log_loss_rise)  # a fixed seed, the same shuffles


def test_importance_command_prints_the_table_and_draws_the_chart(noisy, cli):
    result = cli("importance", noisy / "model.geoclf", noisy / "test.gpkg", "--repeats", 3, "-o", noisy / "importance.png", "-q")
    assert result.code == 0, result.err
    assert result.out.splitlines()[2].split()[0] in ("x", "y")
    assert_real_picture(noisy / "importance.png", min_size=(600, 200))
    data = json.loads(cli("importance", noisy / "model.geoclf", noisy / "test.gpkg", "--repeats", 2, "--json", "-q").out)
    assert {row["input"] for row in data["inputs"]} == {"x", "y", "noise"} and data["repeats"] == 2


def test_importance_refuses_what_it_cannot_score(noisy, cli):
    assert_one_line_error(cli("importance", noisy / "model.geoclf", noisy / "test.gpkg", "--repeats", 0), "--repeats")
    assert_one_line_error(cli("importance", noisy / "model.geoclf", noisy / "test.gpkg", "--label", "noise", "-q"), "not classes of the model")
