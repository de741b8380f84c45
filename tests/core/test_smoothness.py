"""The choice of a coordinate-only map's weight decay on inner folds (geoclf/smoothness.py)."""

import numpy as np
import pytest
import torch

import geoclf
from geoclf import TrainingConfig, train
from geoclf.model import Model
from geoclf.encoding import Encoding
from geoclf.network import Architecture
from geoclf.point_values import coordinates
from geoclf.samples import Samples
from geoclf.config import INNER_FOLDS
from geoclf import smoothness
from geoclf.network_stack import InnerFoldFit, NetworkStack, Rung, StackPlan, input_encoder, stack_batch_size
from geoclf.smoothness import (
    DECAYS, FREQUENCIES, LADDER, blend_shares, cross_fitted_gain, describe_smoothness, with_class_frequencies,
)


def test_the_plan_trains_each_decay_on_each_inner_fold_and_on_everything():
    codes = np.repeat([0, 1, 2], [30, 20, 2])
    plan = StackPlan.for_samples(codes, LADDER, seed=0)
    assert len(plan.rungs) == len(LADDER) * (INNER_FOLDS + 1)
    for rung in LADDER:
        assert plan.masks[plan.member(rung, -1)].all()
        for fold in range(INNER_FOLDS):
            mask = plan.masks[plan.member(rung, fold)].numpy()
            assert np.array_equal(mask, plan.inner != fold)
            assert set(codes[mask]) == {0, 1, 2}  # the 2-sample class is in every network's training part
    assert set(plan.inner[codes == 2]) == {-1}


@pytest.mark.parametrize("architecture", [
    Architecture(2, (16, 8), 3),
    Architecture(2, (16,), 3, encoding=Encoding("fourier", 8, 2.0, (0, 1))),
], ids=["plain", "fourier"])
def test_a_member_taken_out_of_the_stack_computes_what_it_did_inside(architecture):
    """A location encoding is a fixed function of x, y: the stack sees its output, the model applies it itself."""
    x = torch.randn(50, 2)
    encoded = input_encoder(architecture)(x)
    assert encoded.shape == (50, architecture.encoding.width(2))
    widths = [encoded.shape[1], *architecture.hidden, 3]
    stack = NetworkStack(5, widths, "relu", torch.Generator().manual_seed(0))
    inside = stack(encoded.expand(5, -1, -1))
    for member in (0, 3):
        torch.testing.assert_close(stack.extract(member, architecture)(x), inside[member])


def test_an_encoded_map_chooses_its_weight_decay_too():
    """Sines of x, y draw detail a network on raw x, y cannot; the ladder decides how much of it the samples bear."""
    model = train(Samples(geoclf.spiral_samples(per_class=30), "species"), TrainingConfig(epochs=10, encoding="fourier"))
    choice = model.metrics["smoothness_choice"]
    assert model.architecture.encoding.kind == "fourier"
    assert set(choice["log_loss"]) == {f"{d:g}" for d in DECAYS} | {"class frequencies"}
    assert model.training["weight_decay"] == choice["weight_decay"] == min(DECAYS, key=lambda d: choice["log_loss"][f"{d:g}"])


def test_the_step_budget_grows_batches_not_steps():
    assert stack_batch_size(300, 200, 32) == 32
    assert stack_batch_size(10_000, 200, 32) == 500  # 200 epochs x 20 steps = 4000


def _noise_samples(count=240, seed=0):
    """Two species scattered over the same area: location says nothing about which."""
    rng = np.random.default_rng(seed)
    points = geoclf.spiral_samples(per_class=count // 3, seed=seed)
    points["species"] = rng.choice(["crayfish", "tadpole"], size=len(points), p=[0.7, 0.3])
    return Samples(points, "species")


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_clean_maps_stay_sharp_and_noise_is_mapped_as_the_class_shares(tmp_path):
    """No finite decay leaves a network quite flat (on 77 ant nests the strongest rung scored 0.680 on inner folds
    against the frequencies' 0.621): where location tells nothing, the map is the class frequencies themselves."""
    config = TrainingConfig(epochs=60)
    clean = train(Samples(geoclf.spiral_samples(), "species"), config)
    noise = train(_noise_samples(), config)
    assert clean.metrics["smoothness_choice"]["weight_decay"] <= 0.1
    choice = noise.metrics["smoothness_choice"]
    assert choice["weight_decay"] is None and noise.training["weight_decay"] is None  # the class frequencies
    assert choice["log_loss"]["class frequencies"] < min(choice["log_loss"][f"{d:g}"] for d in DECAYS)
    assert noise.metrics["inner_fold_log_loss"] == choice["log_loss"]["class frequencies"]
    assert len({record["loss"] for record in noise.history}) == 1 and len(noise.history) == 60  # trained nothing: flat
    assert describe_smoothness(choice).startswith("the class frequencies, chosen by log loss")
    probabilities = noise.predict_proba(coordinates(_noise_samples(seed=1).points))
    crayfish = noise.classes.index("crayfish")
    assert probabilities[:, crayfish].std() < 1e-3  # flat: the map says what the counts say
    assert abs(probabilities[:, crayfish].mean() - noise.metrics["class_counts"]["crayfish"] / noise.metrics["samples"]) < 0.02
    noise.save(tmp_path / "flat.geoclf")
    assert Model.load(tmp_path / "flat.geoclf").metrics["smoothness_choice"] == choice


def test_the_choice_round_trips_through_the_model_file(tmp_path):
    model = train(Samples(geoclf.spiral_samples(per_class=40), "species"), TrainingConfig(epochs=20))
    choice = model.metrics["smoothness_choice"]
    assert set(choice["log_loss"]) == {f"{d:g}" for d in DECAYS} | {"class frequencies"}
    assert choice["weight_decay"] == min(DECAYS, key=lambda d: choice["log_loss"][f"{d:g}"])
    assert choice["log_loss"][f"{choice['weight_decay']:g}"] < choice["log_loss"]["class frequencies"]
    model.save(tmp_path / "m.geoclf")
    loaded = Model.load(tmp_path / "m.geoclf")
    assert loaded.metrics["smoothness_choice"] == choice
    assert loaded.training["weight_decay"] == choice["weight_decay"] and loaded.training["batch_size"] == choice["batch_size"]
    assert len(loaded.history) == 20


@pytest.mark.parametrize(
    "given", [{"weight_decay": 0.5}, {"dropout": 0.1}, {"optimizer": "sgd"}, {"val_fraction": 0.2, "patience": 5}]
)
def test_explicit_settings_win_over_the_choice(given):
    model = train(Samples(geoclf.spiral_samples(per_class=30), "species"), TrainingConfig(epochs=5, **given))
    assert "smoothness_choice" not in model.metrics
    assert model.training["weight_decay"] == given.get("weight_decay", 0.0)


def test_a_hold_out_scores_and_calibrates_the_chosen_network():
    model = train(Samples(geoclf.spiral_samples(), "species"), TrainingConfig(epochs=40, val_fraction=0.2))
    assert "smoothness_choice" in model.metrics
    assert model.metrics["val_samples"] == 60 and model.metrics["val_accuracy"] > 0.8
    assert model.temperature == pytest.approx(model.metrics["temperature"], abs=1e-4) and model.temperature > 0


def test_blend_shares_maximize_the_blends_likelihood():
    """Two rungs, each right on its own half of the samples: the best blend takes both, and beats each alone."""
    right, wrong = torch.full((100,), 0.9, dtype=torch.float64), torch.full((100,), 0.2, dtype=torch.float64)
    probabilities = torch.stack([torch.cat([right, wrong]), torch.cat([wrong, right]), torch.full((200,), 0.3, dtype=torch.float64)])
    shares = blend_shares(probabilities)
    assert shares.sum().item() == pytest.approx(1.0)
    assert shares[0].item() == pytest.approx(0.5, abs=0.01) and shares[2].item() < 0.01

    def mean_log(s):
        return float((s.unsqueeze(1) * probabilities).sum(0).log().mean())

    for alternative in (torch.tensor([1.0, 0, 0]), torch.tensor([0.4, 0.4, 0.2]), torch.tensor([0.6, 0.4, 0])):
        assert mean_log(shares) >= mean_log(alternative.double())


def test_a_blend_must_beat_the_best_single_rung_on_samples_its_shares_never_saw():
    folds = np.arange(300) % INNER_FOLDS
    rng = np.random.default_rng(0)
    halves = torch.from_numpy(rng.random(300) < 0.5)
    complementary = torch.stack([torch.where(halves, 0.9, 0.2), torch.where(halves, 0.2, 0.9)]).double()
    gain, error = cross_fitted_gain(complementary, folds)
    assert gain + error < 0  # each rung right where the other is wrong: the blend wins
    same = torch.from_numpy(rng.uniform(0.3, 0.9, size=300)).expand(2, -1).clone()
    gain, error = cross_fitted_gain(same, folds)
    assert gain + error >= 0  # two copies of one rung: nothing to gain


def test_a_large_survey_tests_its_blend_on_a_fixed_draw_of_its_samples(monkeypatch):
    """EM over a million left-out samples took 42 s; the shares are 7 numbers, fitted as well on a draw."""
    monkeypatch.setattr(smoothness, "BLEND_SAMPLES", 300)
    rng = np.random.default_rng(0)
    codes = torch.from_numpy(rng.integers(0, 2, size=3000))
    halves = torch.from_numpy(rng.random(3000) < 0.5)
    right = torch.where(halves, 2.0, -2.0) * (codes * 2 - 1)  # the first rung's logit for class 1 is right on half
    logits = torch.stack([torch.stack([torch.zeros(3000), right], -1), torch.stack([torch.zeros(3000), -right], -1)])
    folds = np.arange(3000) % INNER_FOLDS
    fitted = InnerFoldFit({Rung(0.0): None, Rung(1.0): None}, {}, logits, codes, folds, folds, 32, 8, 0.0)
    blend, evidence = smoothness.choose_blend(fitted)
    assert set(blend) == {Rung(0.0), Rung(1.0)} and evidence["log_loss_change"] + evidence["standard_error"] < 0
    assert smoothness.choose_blend(fitted) == (blend, evidence)  # the same draw each time


def test_the_ladders_limit_is_a_rung_that_maps_the_class_frequencies():
    """Each inner fold's left-out samples get the frequencies of the samples it trained on; the network, all
    weights 0, the frequencies of all the samples (under balanced weights: every class alike)."""
    y = torch.from_numpy(np.repeat([0, 1, 2], [40, 18, 2]))
    inner = np.where(y.numpy() == 2, -1, np.arange(60) % INNER_FOLDS)  # the 2-sample class is never left out
    scored = inner >= 0
    history = {Rung(0.0): [{"epoch": 1, "loss": 0.9}, {"epoch": 2, "loss": 0.8}]}
    fitted = InnerFoldFit({Rung(0.0): None}, history, torch.zeros(1, int(scored.sum()), 3), y[torch.from_numpy(scored)],
                          inner[scored], inner, 32, 4, 0.0)
    architecture = Architecture(2, (8, 8), 3)
    limit = with_class_frequencies(fitted, y, architecture)
    assert list(limit.networks) == [Rung(0.0), FREQUENCIES] and len(limit.history[FREQUENCIES]) == 2
    everywhere = np.array([40, 18, 2]) / 60
    with torch.no_grad():
        mapped = torch.softmax(limit.networks[FREQUENCIES](torch.randn(5, 2) * 100), -1).numpy()
    np.testing.assert_allclose(mapped, np.tile(everywhere, (5, 1)), rtol=1e-5)
    assert limit.history[FREQUENCIES][0]["loss"] == pytest.approx(-(everywhere * np.log(everywhere)).sum(), rel=1e-5)
    left_out = torch.softmax(limit.out_of_fold[-1], -1).numpy()
    for fold in range(INNER_FOLDS):
        counts = np.bincount(y.numpy()[inner != fold], minlength=3)
        np.testing.assert_allclose(left_out[limit.folds == fold], np.tile(counts / counts.sum(), ((limit.folds == fold).sum(), 1)), rtol=1e-5)
    balanced = with_class_frequencies(fitted, y, architecture, class_weights=60 / (3 * torch.tensor([40.0, 18.0, 2.0])))
    with torch.no_grad():
        np.testing.assert_allclose(torch.softmax(balanced.networks[FREQUENCIES](torch.zeros(1, 2)), -1).numpy(), [[1 / 3] * 3], rtol=1e-5)


def _shuffled_spiral(seed):
    """Spiral arms with a quarter of the labels shuffled: detail and noise at once, and no one decay for both."""
    points = geoclf.spiral_samples(per_class=150, seed=seed)
    rng = np.random.default_rng(seed)
    shuffled = rng.random(len(points)) < 0.25
    points.loc[shuffled, "species"] = rng.choice(points["species"].unique(), shuffled.sum())
    return points


def test_a_noisy_survey_maps_a_blend_of_rungs_recorded_in_the_model_file(tmp_path):
    points = _shuffled_spiral(seed=0)
    model = train(Samples(points, "species"), TrainingConfig(epochs=60, near_detail=False))  # the blend alone
    choice = model.metrics["smoothness_choice"]
    blend = choice["blend"]
    assert len(blend) > 1 and sum(blend.values()) == pytest.approx(1.0, abs=1e-3)
    assert set(blend) <= {f"{d:g}" for d in DECAYS} | {"class frequencies"} and model.architecture.members == len(blend)
    assert choice["blend_test"]["log_loss_change"] + choice["blend_test"]["standard_error"] < 0
    assert "a blend of" in model.architecture.describe() and "blends the networks of decays" in describe_smoothness(choice)
    model.save(tmp_path / "m.geoclf")
    loaded = Model.load(tmp_path / "m.geoclf")
    assert loaded.architecture == model.architecture and loaded.metrics["smoothness_choice"]["blend"] == blend
    values = coordinates(points)
    np.testing.assert_allclose(loaded.predict_proba(values), model.predict_proba(values), atol=1e-6)
    scaled = torch.from_numpy(model.scaler.transform(values)).float()
    members = [torch.softmax(member(scaled), -1) for member in model.network.members]
    expected = sum(share * p for share, p in zip(model.network.log_shares.exp(), members))
    np.testing.assert_allclose(model.predict_proba(values), expected.detach().numpy(), atol=1e-5)  # shares x members

    fresh = _shuffled_spiral(seed=1)  # the point of it: fresh samples are better told by the blend than by its best rung
    codes = torch.tensor([model.classes.index(c) for c in fresh["species"]])
    chosen = model.network.members[list(blend).index(f"{choice['weight_decay']:g}")]
    with torch.no_grad():
        alone = torch.nn.functional.cross_entropy(chosen(torch.from_numpy(model.scaler.transform(coordinates(fresh))).float()), codes)
    blended = torch.nn.functional.nll_loss(torch.from_numpy(model.predict_proba(coordinates(fresh))).log(), codes)
    assert float(blended) < float(alone) - 0.005
