"""Binned covariates (piecewise-linear encoding) and the weight decay chosen by the inputs."""

import geopandas as gpd
import numpy as np
import pytest

import geoclf
from conftest import assert_one_line_error
from geoclf import GeoclfError, Model, TrainingConfig, train
from geoclf.encoding import Binning
from geoclf.features import COORDINATE_INPUTS, covariate_spec, describe_inputs, input_values
from geoclf.samples import Samples
from geoclf.training import COVARIATE_WEIGHT_DECAY


def threshold_table(count: int, seed: int) -> gpd.GeoDataFrame:
    """Species set by two thresholds on two fields, as a niche rule: deep water -> crayfish, else warm -> beetle."""
    rng = np.random.default_rng(seed)
    depth, warmth = rng.uniform(0, 10, count), rng.uniform(0, 10, count)
    species = np.where(depth > 6.5, "crayfish", np.where(warmth > 3.5, "diving beetle", "tadpole"))
    points = gpd.points_from_xy(rng.uniform(0, 1, count), rng.uniform(0, 1, count))
    return gpd.GeoDataFrame({"species": species, "depth": depth, "warmth": warmth}, geometry=points, crs="EPSG:5186")


def accuracy_on(model: Model, table: gpd.GeoDataFrame) -> float:
    values, _ = input_values(table, model.inputs, table.crs, "the test table")
    return float(np.mean(np.asarray(model.classes)[model.predict(values)] == table["species"].to_numpy()))


def test_binned_fields_learn_threshold_rules_better_than_raw_values():
    table, fresh = threshold_table(150, seed=1), threshold_table(5000, seed=2)
    inputs = describe_inputs(table, False, ("depth", "warmth"))
    scores = {
        bins: accuracy_on(train(Samples(table, "species"), TrainingConfig(epochs=60, feature_bins=bins, weight_decay=0.0), inputs=inputs), fresh)
        for bins in (0, 32)
    }
    assert scores[32] > 0.98 and scores[32] >= scores[0] + 0.005, scores  # measured: 0.986 against 0.976


def test_binning_round_trips_through_the_model_file(tmp_path):
    from geoclf.datasets import pond_samples, write_pond_rasters

    rasters = write_pond_rasters(tmp_path)
    inputs = list(COORDINATE_INPUTS) + [covariate_spec(name, path) for name, path in rasters.items()]
    samples = Samples(pond_samples(200), "species")
    model = train(samples, TrainingConfig(epochs=10, feature_bins=16), inputs=inputs)
    binning = model.architecture.binning
    assert binning.columns == (2, 3, 4) and all(2 <= len(edges) <= 17 for edges in binning.edges)
    model.save(tmp_path / "m.geoclf")
    loaded = Model.load(tmp_path / "m.geoclf")
    assert loaded.architecture.binning == binning
    values, valid = input_values(samples.points, inputs, samples.crs, "the samples")
    assert np.allclose(loaded.predict_proba(values[valid]), model.predict_proba(values[valid]), atol=1e-6)
    assert (loaded.predict(values[valid]) == model.predict(values[valid])).all()


def test_coordinates_alone_are_never_binned():
    model = train(Samples(geoclf.spiral_samples(), "species"), TrainingConfig(epochs=5))
    assert not model.architecture.binning.active and model.architecture.describe() == "2-64-64-3 MLP, relu"


def test_constant_columns_stay_raw_and_bins_fit_the_sample_count():
    values = np.column_stack([np.linspace(0, 1, 6), np.ones(6), np.arange(6.0)])
    binning = Binning.fit(values, (0, 1, 2), bins=32)
    assert binning.columns == (0, 2)  # the constant column has nothing to bin
    assert all(len(edges) - 1 <= 5 for edges in binning.edges)  # at most n - 1 bins for n values
    assert binning.width(3) == 1 + sum(len(edges) - 1 for edges in binning.edges)
    assert not Binning.fit(values, (0, 2), bins=0).active


def test_weight_decay_default_follows_the_inputs():
    attribute = describe_inputs(threshold_table(20, 0), True, ("depth",))
    assert TrainingConfig().for_inputs(list(COORDINATE_INPUTS)).weight_decay == 0.0
    assert TrainingConfig().for_inputs(attribute).weight_decay == COVARIATE_WEIGHT_DECAY
    assert TrainingConfig(weight_decay=0.3).for_inputs(attribute).weight_decay == 0.3
    assert TrainingConfig(optimizer="sgd").for_inputs(attribute).weight_decay == 0.0  # measured for adam only
    model = train(Samples(threshold_table(100, 0), "species"), TrainingConfig(epochs=3), inputs=attribute)
    assert model.training["weight_decay"] == COVARIATE_WEIGHT_DECAY  # the file says what was used


def test_bad_feature_bins(cli, tmp_path, spiral_gpkg):
    assert_one_line_error(cli("train", spiral_gpkg, "--feature-bins", "1", "-o", tmp_path / "m.geoclf"), "--feature-bins must be 0")
    assert not (tmp_path / "m.geoclf").exists()
    with pytest.raises(GeoclfError, match="--feature-bins must be 0"):
        TrainingConfig(feature_bins=-2).check()
