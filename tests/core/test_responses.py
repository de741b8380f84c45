"""How the network takes covariates and attributes: binned or raw values, the input lasso,
and the response (threshold or smooth) that training chooses on inner folds."""

import re

import geopandas as gpd
import numpy as np
import pytest
import torch
from conftest import assert_one_line_error

import geoclf
from geoclf import GeoclfError, Model, TrainingConfig, train
from geoclf.config import LOCATION_SETTINGS, RESPONSE_SETTINGS, SMOOTHNESS_SETTINGS
from geoclf.datasets import HABITAT_FEATURES, habitat_samples
from geoclf.encoding import Binning, Encoding
from geoclf.fitting import _input_lasso, flushing_denormals
from geoclf.inputs import COORDINATE_INPUTS, covariate_spec, describe_inputs
from geoclf.network import Architecture
from geoclf.network_stack import NetworkStack, input_encoder, lasso_penalty
from geoclf.point_values import input_values
from geoclf.samples import Samples
from geoclf.smoothness import DECAYS


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
        bins: accuracy_on(train(Samples(table, "species"), TrainingConfig(epochs=60, response="threshold", feature_bins=bins, input_lasso=0.0), inputs=inputs), fresh)
        for bins in (0, 32)
    }
    assert scores[32] > 0.98 and scores[32] >= scores[0] + 0.005, scores  # measured: 0.986 against 0.976


def test_binning_round_trips_through_the_model_file(tmp_path):
    from geoclf.datasets import pond_samples, write_pond_rasters

    rasters = write_pond_rasters(tmp_path)
    inputs = list(COORDINATE_INPUTS) + [covariate_spec(name, path) for name, path in rasters.items()]
    samples = Samples(pond_samples(200), "species")
    model = train(samples, TrainingConfig(epochs=10, response="threshold", feature_bins=16), inputs=inputs)
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
    assert not model.architecture.binning.active and model.architecture.describe().startswith("2-64-64-3 MLP, relu")
    assert "binned" not in model.architecture.describe()


def test_constant_columns_stay_raw_and_bins_fit_the_sample_count():
    values = np.column_stack([np.linspace(0, 1, 6), np.ones(6), np.arange(6.0)])
    binning = Binning.fit(values, (0, 1, 2), bins=32)
    assert binning.columns == (0, 2)  # the constant column has nothing to bin
    assert all(len(edges) - 1 <= 5 for edges in binning.edges)  # at most n - 1 bins for n values
    assert binning.width(3) == 1 + sum(len(edges) - 1 for edges in binning.edges)
    assert not Binning.fit(values, (0, 2), bins=0).active


def test_settings_follow_the_inputs_and_the_response():
    attribute = describe_inputs(threshold_table(20, 0), True, ("depth",))
    coordinates = list(COORDINATE_INPUTS)
    chosen = TrainingConfig().settled(coordinates)  # weight decay and batch are left to the smoothness choice
    assert TrainingConfig().chooses_smoothness(coordinates)
    assert {name: getattr(chosen, name) for name in SMOOTHNESS_SETTINGS} == SMOOTHNESS_SETTINGS
    assert chosen.weight_decay is None and chosen.batch_size is None
    # an encoding is computed in front of the stack, so its decay is chosen too; sgd's is not: the location settings
    assert TrainingConfig(encoding="fourier").chooses_smoothness(coordinates)
    assert TrainingConfig(encoding="fourier").settled(coordinates).weight_decay is None
    fixed = TrainingConfig(optimizer="sgd").settled(coordinates)
    assert not TrainingConfig(optimizer="sgd").chooses_smoothness(coordinates)
    assert {name: getattr(fixed, name) for name in LOCATION_SETTINGS} == LOCATION_SETTINGS
    threshold = TrainingConfig().settled(attribute, "threshold")
    assert threshold.response == "threshold" and not threshold.chooses_smoothness(attribute)
    assert {name: getattr(threshold, name) for name in RESPONSE_SETTINGS["threshold"]} == RESPONSE_SETTINGS["threshold"]
    assert threshold.batch_size is None  # left to the step budget, as a stack's
    smooth = TrainingConfig().settled(attribute, "smooth")  # raw inputs, the decay chosen as for x, y alone
    assert smooth.response == "smooth" and smooth.chooses_smoothness(attribute)
    assert {name: getattr(smooth, name) for name in SMOOTHNESS_SETTINGS} == SMOOTHNESS_SETTINGS
    assert smooth.weight_decay is None and smooth.batch_size is None
    for cannot_choose in ({"residual": True}, {"dropout": 0.1}, {"patience": 5, "val_fraction": 0.2}):
        fixed = TrainingConfig(**cannot_choose).settled(attribute, "smooth")
        assert not fixed.chooses_smoothness(attribute)
        assert {name: getattr(fixed, name) for name in RESPONSE_SETTINGS["smooth"]} == RESPONSE_SETTINGS["smooth"]
    assert not TrainingConfig(feature_bins=16).settled(attribute, "smooth").chooses_smoothness(attribute)  # bins: no stack
    assert TrainingConfig(weight_decay=0.3).settled(attribute, "smooth").weight_decay == 0.3  # given: kept
    assert TrainingConfig(optimizer="sgd").settled(attribute, "smooth").weight_decay == 0.0  # measured for adam only
    assert TrainingConfig(response="smooth").fits(attribute) == 1 and TrainingConfig().fits(list(COORDINATE_INPUTS)) == 1
    assert TrainingConfig().fits(attribute) == 2  # each response's stack, its model among its networks
    assert TrainingConfig(weight_decay=0.3).fits(attribute) == 2  # a decay given: one rung per stack
    assert TrainingConfig(dropout=0.1).fits(attribute) == 7  # no stack: each response on 3 inner folds, then the model
    assert TrainingConfig().settled(attribute, "threshold").trains_as_stack()
    assert not TrainingConfig(optimizer="sgd").settled(attribute, "threshold").trains_as_stack()
    with pytest.raises(GeoclfError, match="^response threshold describes the response to covariates or fields"):
        TrainingConfig(response="threshold").settled(list(COORDINATE_INPUTS))


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_auto_response_chooses_thresholds_for_a_threshold_rule_and_smooth_for_overlapping_clouds():
    """The two cases the benchmark found each response best at: a niche rule, and the habitat table."""
    rule = Samples(threshold_table(300, 3), "species")
    clouds = Samples(habitat_samples(600, seed=3), "species")
    chosen = {}
    for name, samples, fields in (("rule", rule, ("depth", "warmth")), ("clouds", clouds, HABITAT_FEATURES)):
        fits = []
        model = train(samples, TrainingConfig(epochs=40), on_epoch=fits.append, inputs=describe_inputs(samples.points, False, fields))
        choice = model.metrics["response_choice"]
        assert choice["response"] == min(choice["log_loss"], key=choice["log_loss"].get)
        assert model.training["response"] == choice["response"]  # and the final model was trained for it
        assert model.architecture.binning.active == (choice["response"] == "threshold")
        steps = list(dict.fromkeys((r["fit"], r["fits"]) for r in fits))  # in the order reported
        # the threshold stack, then the smooth one (the winner's model is among them), then the winner's detail for
        # repeats of a sample's values (near_detail.py), counted from the start
        assert steps == [(1, 3), (2, 3), (3, 3)]
        assert model.metrics["inner_fold_log_loss"] == choice["log_loss"][choice["response"]]  # nothing refitted
        if choice["response"] == "smooth":  # the decay recorded as if given
            assert model.training["weight_decay"] == model.metrics["smoothness_choice"]["weight_decay"]
        assert fits[-1]["fit"] == fits[-1]["fits"] and fits[-1]["epoch"] == fits[-1]["epochs"]  # the bar ends full
        assert len(model.history) == 40  # the history is the final model's alone
        chosen[name] = choice["response"]
    assert chosen == {"rule": "threshold", "clouds": "smooth"}, chosen


def test_train_reports_the_choice_and_info_shows_it(cli, tmp_path):
    samples = tmp_path / "rule.gpkg"
    geoclf.write_layer(threshold_table(200, 6), samples, layer="samples")
    model = tmp_path / "rule.geoclf"
    result = cli("train", samples, "--no-xy", "--features", "depth,warmth", "--epochs", "20", "-o", model, "--progress", "lines")
    assert result.code == 0, result.err
    said = re.search(r"response: (threshold|smooth), chosen by log loss on 3 inner folds in \d+\.\d s "
                     r"\(threshold (\d\.\d+), smooth (\d\.\d+)\)", result.out)
    assert said, result.out
    losses = {"threshold": float(said[2]), "smooth": float(said[3])}
    assert said[1] == min(losses, key=losses.get)  # the lower inner-fold log loss wins
    # a smooth response chose its decay too, on the same folds, and its best rung is the response's loss
    assert ("smoothness: weight decay" in result.out) == (said[1] == "smooth")
    assert "progress: 100% choosing the response, then training" in result.err  # one bar over every fit run: 100% at the last
    assert f"response     {said[1]}, chosen by log loss" in cli("info", model).out


def test_input_sources_follow_the_encodings():
    """Each column the first layer sees comes from one input: perturb an input, and only its columns move."""
    values = np.random.default_rng(0).normal(size=(50, 4))
    encoding = Encoding("sinusoidal", 3, 1.0, columns=(0, 1))
    binning = Binning.fit(values, (2, 3), bins=8)
    architecture = Architecture(4, (8,), 3, encoding=encoding, binning=binning)
    sources = np.asarray(architecture.input_sources())
    front = architecture.build()[:-3]  # the encoders, without the layers
    assert len(sources) == front(torch.zeros(1, 4)).shape[1] == binning.width(encoding.width(4))
    base = torch.from_numpy(values).float()
    changed = {}
    for column in range(4):
        moved = base.clone()
        moved[:, column] = torch.from_numpy(np.random.default_rng(column).normal(scale=3, size=len(values))).float()
        changed[column] = np.flatnonzero(((front(moved) - front(base)).abs() > 1e-6).any(dim=0).numpy()).tolist()
    assert sorted(set(changed[0]) | set(changed[1])) == np.flatnonzero(sources == 0).tolist()  # x and y: one location
    assert changed[2] == np.flatnonzero(sources == 2).tolist() and changed[3] == np.flatnonzero(sources == 3).tolist()


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_input_lasso_silences_an_input_that_carries_no_signal():
    table = threshold_table(300, 4)
    table["noise"] = np.random.default_rng(5).uniform(0, 10, len(table))
    inputs = describe_inputs(table, False, ("depth", "warmth", "noise"))
    norms = {}
    for lasso in (0.0, 0.02):
        model = train(Samples(table, "species"), TrainingConfig(epochs=60, response="threshold", input_lasso=lasso), inputs=inputs)
        first = model.network[1].weight.detach()  # after the binning module
        sources = np.asarray(model.architecture.input_sources())
        norms[lasso] = {name: float(first[:, sources == i].norm()) for i, name in enumerate(("depth", "warmth", "noise"))}
    share = {lasso: n["noise"] / (n["depth"] + n["warmth"]) for lasso, n in norms.items()}
    assert share[0.02] < 0.5 * share[0.0], norms  # measured: the noise field's share falls from 0.39 to 0.09


def test_bad_feature_bins(cli, tmp_path, spiral_gpkg):
    assert_one_line_error(cli("train", spiral_gpkg, "--feature-bins", "1", "-o", tmp_path / "m.geoclf"), "--feature-bins must be 0")
    assert not (tmp_path / "m.geoclf").exists()
    with pytest.raises(GeoclfError, match=r"^feature_bins must be in \[0, 256\], got -2"):
        TrainingConfig(feature_bins=-2).check()
    assert_one_line_error(cli("train", spiral_gpkg, "--input-lasso", "-1", "-o", tmp_path / "m.geoclf"), "--input-lasso must be zero")
    assert_one_line_error(
        cli("train", spiral_gpkg, "--response", "smooth", "-o", tmp_path / "m.geoclf"), "--response smooth describes the response"
    )
    assert not (tmp_path / "m.geoclf").exists()


def test_a_smooth_response_chooses_its_weight_decay_and_the_model_records_it(tmp_path):
    clouds = Samples(habitat_samples(300, seed=4), "species")
    inputs = describe_inputs(clouds.points, False, HABITAT_FEATURES)
    model = train(clouds, TrainingConfig(epochs=20, response="smooth"), inputs=inputs)
    choice = model.metrics["smoothness_choice"]
    assert choice["weight_decay"] == min(DECAYS, key=lambda decay: choice["log_loss"][f"{decay:g}"])
    assert model.training["weight_decay"] == choice["weight_decay"] and model.training["batch_size"] == choice["batch_size"]
    assert not model.architecture.binning.active  # raw inputs
    assert model.architecture.members == 1 and "blend" not in choice  # a response to covariates keeps one rung
    model.save(tmp_path / "clouds.geoclf")
    loaded = Model.load(tmp_path / "clouds.geoclf")
    assert loaded.training == model.training and loaded.metrics["smoothness_choice"] == choice
    given = train(clouds, TrainingConfig(epochs=5, response="smooth", weight_decay=2.0), inputs=inputs)  # given: no ladder
    assert "smoothness_choice" not in given.metrics
    assert (given.training["weight_decay"], given.training["batch_size"]) == (2.0, 128)


def test_auto_keeps_the_smooth_stacks_model_scored_and_calibrated_on_the_hold_out():
    """When the smooth response wins, its model comes from the stack trained while choosing: it must still be
    scored on the hold-out and calibrated there, as a model fitted after the choice is."""
    clouds = Samples(habitat_samples(300, seed=4), "species")
    model = train(clouds, TrainingConfig(epochs=20, val_fraction=0.2), inputs=describe_inputs(clouds.points, False, HABITAT_FEATURES))
    assert model.metrics["response_choice"]["response"] == "smooth"
    losses = model.metrics["response_choice"]["log_loss"]
    assert losses["smooth"] == min(model.metrics["smoothness_choice"]["log_loss"].values())
    assert model.metrics["val_samples"] == 60 and 0 < model.metrics["val_accuracy"] <= 1
    assert "temperature" in model.metrics and len(model.history) == 20 and "val_loss" in model.history[-1]


def test_a_binned_member_taken_out_of_the_stack_computes_what_it_did_inside():
    """The threshold response's stack sees the binned inputs, computed once; its model bins them itself."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(60, 3)).astype(np.float32)
    architecture = Architecture(3, (16,), 2, binning=Binning.fit(values, (1, 2), 8))
    encoded = input_encoder(architecture)(torch.from_numpy(values))
    assert encoded.shape == (60, architecture.binning.width(3))
    stack = NetworkStack(4, [encoded.shape[1], 16, 2], "relu", torch.Generator().manual_seed(0))
    inside = stack(encoded.expand(4, -1, -1))
    for member in (0, 3):
        torch.testing.assert_close(stack.extract(member, architecture)(torch.from_numpy(values)), inside[member])


def test_the_stacks_input_lasso_is_each_members_own():
    """Per member, the lasso the stack adds is the one fitting.py adds to that network alone."""
    values = np.random.default_rng(1).normal(size=(40, 3)).astype(np.float32)
    architecture = Architecture(3, (8,), 2, binning=Binning.fit(values, (1, 2), 4))
    stack = NetworkStack(3, [architecture.binning.width(3), 8, 2], "relu", torch.Generator().manual_seed(0))
    strengths = torch.tensor([0.0, 0.02, 0.5])
    penalty = lasso_penalty(stack.weights[0], architecture.input_sources(), strengths)
    alone = [_input_lasso(stack.extract(m, architecture), architecture, float(s)) for m, s in enumerate(strengths)]
    expected = sum(float(each().detach()) for each in alone if each is not None)
    assert float(penalty().detach()) == pytest.approx(expected, rel=1e-5) and expected > 0
    assert lasso_penalty(stack.weights[0], architecture.input_sources(), torch.zeros(3)) is None


def test_auto_keeps_the_threshold_stacks_model_scored_on_the_hold_out():
    """A threshold rule: the threshold stack's all-samples network is the model, binned, scored and calibrated."""
    rule = Samples(threshold_table(200, 5), "species")
    model = train(rule, TrainingConfig(epochs=30, val_fraction=0.2), inputs=describe_inputs(rule.points, False, ("depth", "warmth")))
    choice = model.metrics["response_choice"]
    assert choice["response"] == "threshold" and choice["fits"] == 2
    assert model.metrics["seconds"] >= choice["seconds"]  # all of training, the choice included
    assert model.metrics["inner_fold_log_loss"] == choice["log_loss"]["threshold"]
    assert model.architecture.binning.active and model.training["batch_size"] == 32
    assert model.metrics["val_samples"] == 40 and model.metrics["val_accuracy"] > 0.8 and "temperature" in model.metrics
    assert len(model.history) == 30 and "val_loss" in model.history[-1]


def test_a_network_that_cannot_stack_chooses_on_inner_fold_fits_then_fits_its_model():
    rule = Samples(threshold_table(90, 6), "species")
    records = []
    model = train(rule, TrainingConfig(epochs=3, dropout=0.1), on_epoch=records.append,
                  inputs=describe_inputs(rule.points, False, ("depth", "warmth")))
    steps = list(dict.fromkeys((r["fit"], r["fits"]) for r in records))
    assert steps == [(k, 7) for k in range(1, 8)]  # 3 inner fits per response, then the model
    assert model.metrics["response_choice"]["fits"] == 6 and "inner_fold_log_loss" not in model.metrics
    assert model.training["response"] == model.metrics["response_choice"]["response"]


def test_training_flushes_denormal_floats_and_leaves_the_switch_off():
    tiny = torch.tensor([1e-39])  # below float32's smallest normal number
    with flushing_denormals():
        assert float(tiny * 1.0) == 0.0
    assert float(tiny * 1.0) > 0.0


def test_the_threshold_responses_batches_grow_so_that_training_stays_within_the_step_budget():
    rule = Samples(threshold_table(700, 7), "species")
    inputs = describe_inputs(rule.points, False, ("depth", "warmth"))
    model = train(rule, TrainingConfig(response="threshold"), inputs=inputs)  # 200 epochs of 700: 35 a batch, 4000 steps
    assert model.training["batch_size"] == model.metrics["batch_size"] == 35
    given = train(rule, TrainingConfig(response="threshold", epochs=2, batch_size=64), inputs=inputs)
    assert given.training["batch_size"] == 64
