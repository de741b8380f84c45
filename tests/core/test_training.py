import geopandas
import numpy as np
import pandas
import pytest
import torch

import geoclf
from geoclf import GeoclfError, TrainingConfig, read_samples, spiral_samples, train
from geoclf.point_values import coordinates
from geoclf.samples import Samples

TEACHING = TrainingConfig(
    hidden=(10,), activation="sigmoid", optimizer="sgd", lr=1.0, batch_size=30, epochs=300, lr_schedule="constant"
)


def _samples(**kwargs) -> Samples:
    return Samples(spiral_samples(**kwargs), "species")


def _accuracy(model, samples: Samples) -> float:
    predicted = np.asarray(model.classes)[model.predict(coordinates(samples.points))]
    return float((predicted == samples.labels).mean())


@pytest.mark.slow  # an accuracy figure on a full-size training
@pytest.mark.parametrize("train_seed", [0, 1])
def test_defaults_reach_098_on_a_fresh_spiral(train_seed):
    model = train(_samples(seed=train_seed), TrainingConfig(seed=train_seed))
    for fresh_seed in (101, 102):
        assert _accuracy(model, _samples(seed=fresh_seed)) >= 0.98


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_teaching_setup_reproduces_the_text():
    model = train(_samples(seed=0), TEACHING)
    history = model.history
    assert len(history) == 300
    assert history[0]["loss"] > 0.8  # starts near ln 3 = 1.1
    assert history[-1]["loss"] < 0.15  # the text ends near 0.11; standardized inputs end a little lower
    assert model.metrics["train_accuracy"] >= 0.95
    assert _accuracy(model, _samples(seed=5)) >= 0.95


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_defaults_beat_the_teaching_setup():
    fresh = _samples(seed=11)
    assert _accuracy(train(_samples(seed=0)), fresh) > _accuracy(train(_samples(seed=0), TEACHING), fresh)


@pytest.mark.slow  # an accuracy figure on a full-size training
def test_cosine_schedule_ends_settled():
    """The default decays the learning rate to 0, so the last epochs do not jump about (Adam at a constant 0.01 does)."""
    settled = train(_samples(seed=0)).history[-20:]
    jumpy = train(_samples(seed=0), TrainingConfig(lr_schedule="constant")).history[-20:]
    spread = lambda history: max(h["loss"] for h in history) - min(h["loss"] for h in history)  # noqa: E731
    assert spread(settled) < 0.005
    assert spread(settled) < spread(jumpy)


def test_same_seed_same_model_other_seed_other_model():
    config = TrainingConfig(epochs=20, seed=4)
    a, b = train(_samples(), config), train(_samples(), config)
    c = train(_samples(), TrainingConfig(epochs=20, seed=5))
    for (name, wa), wb in zip(a.network.state_dict().items(), b.network.state_dict().values()):
        assert torch.equal(wa, wb), name
    assert not all(torch.equal(wa, wc) for wa, wc in zip(a.network.state_dict().values(), c.network.state_dict().values()))


def test_model_carries_what_prediction_needs(spiral_gpkg):
    samples = read_samples(spiral_gpkg)
    model = train(samples, TrainingConfig(epochs=5))
    assert model.classes == ["crayfish", "diving beetle", "tadpole"]
    assert model.label == "species"
    assert model.crs.to_epsg() == 5186
    np.testing.assert_allclose(model.extent, samples.points.total_bounds)
    values = coordinates(samples.points)
    np.testing.assert_allclose(model.scaler.offset, values.mean(axis=0))
    np.testing.assert_allclose(model.scaler.scale, values.std(axis=0))
    assert len(model.colors) == 3 and len(set(model.colors)) == 3
    assert model.input_names == ["x", "y"]


def test_validation_hold_out_is_stratified_and_reported():
    epochs = []
    model = train(_samples(), TrainingConfig(epochs=30, val_fraction=0.2), on_epoch=epochs.append)
    assert model.metrics["val_samples"] == 60 and model.metrics["train_samples"] == 240
    assert 0.5 < model.metrics["val_accuracy"] <= 1
    # the smooth map's 30, the detail's (near_detail.py), and the run a blend's far fit would take, closed at once: one rung
    assert [e["epoch"] for e in epochs] == [*range(1, 61), 90] and "far_blend" not in model.metrics["near_detail"]
    assert {e["epochs"] for e in epochs} == {90} and len(model.history) == 30  # the history is the smooth map's
    assert all({"loss", "val_loss", "val_accuracy", "epochs"} <= set(e) for e in epochs)


def test_numeric_labels_become_class_names():
    points = spiral_samples(per_class=20)
    points["code"] = points["species"].map({"crayfish": 3, "diving beetle": 7, "tadpole": 9})
    model = train(Samples(points, "code"), TrainingConfig(epochs=2))
    assert model.classes == ["3", "7", "9"]


def test_one_class_in_total_stays_an_error():
    points = spiral_samples(per_class=20)
    with pytest.raises(GeoclfError, match=r"fewer than 2 classes \(only 'crayfish'\)"):
        train(Samples(points[points.species == "crayfish"], "species"), TrainingConfig(epochs=1))


def with_rare_classes(points, otters=3, herons=1):
    """The samples plus `otters` otters clustered beyond the north-east corner and `herons` herons beyond the south-west."""
    x0, y0, x1, y1 = points.total_bounds
    rng = np.random.default_rng(0)
    rows = [("otter", x1 + 300 + rng.normal(0, 20), y1 + 300 + rng.normal(0, 20)) for _ in range(otters)]
    rows += [("heron", x0 - 300, y0 - 300)] * herons
    extra = geopandas.GeoDataFrame(
        {"species": [r[0] for r in rows]}, geometry=geopandas.points_from_xy([r[1] for r in rows], [r[2] for r in rows]), crs=points.crs
    )
    return geopandas.GeoDataFrame(pandas.concat([points, extra], ignore_index=True), crs=points.crs)


@pytest.mark.parametrize("config", [TrainingConfig(epochs=60), TrainingConfig(epochs=60, val_fraction=0.2)])
def test_a_class_of_3_samples_and_one_of_1_train_and_are_mapped(config):
    samples = Samples(with_rare_classes(spiral_samples()), "species")
    with pytest.warns(geoclf.errors.RareClassWarning) as caught:
        model = train(samples, config)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert messages[0].startswith("class 'heron' has only 1 sample;") and messages[1].startswith("class 'otter' has only 3 samples;")
    assert model.classes == ["crayfish", "diving beetle", "heron", "otter", "tadpole"]
    assert model.metrics["train_class_counts"]["otter"] == 3 and model.metrics["train_class_counts"]["heron"] == 1
    rare = samples.points[samples.points.species.isin(["otter", "heron"])]
    predicted = np.asarray(model.classes)[model.predict(coordinates(rare))]
    assert list(predicted) == list(rare.species)  # each rare class holds its own place on the map


@pytest.mark.parametrize(
    "config, needle",
    [
        (TrainingConfig(hidden=(0,)), "^hidden needs 1 to 32 layer widths of 1 to 4096"),
        (TrainingConfig(hidden=(100_000,)), "^hidden needs 1 to 32 layer widths of 1 to 4096"),
        (TrainingConfig(lr=0), "^lr must be positive, got 0"),
        (TrainingConfig(epochs=0), r"^epochs must be in \[1, 100000\], got 0"),
        (TrainingConfig(batch_size=0), "^batch_size must be at least 1, got 0"),
        (TrainingConfig(val_fraction=1.0), r"^val_fraction must be in \[0, 1\), got 1.0"),
        (TrainingConfig(val_fraction=0.01), "a hold-out of 0.01 would take none; raise the validation share"),
        (TrainingConfig(activation="gelu"), "^unknown activation 'gelu'; choose from relu, sigmoid, tanh"),
        (TrainingConfig(lr_schedule="step"), "^unknown lr_schedule 'step'"),
    ],
)
def test_config_checks(config, needle):
    with pytest.raises(GeoclfError, match=needle):
        train(_samples(per_class=20), config)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(GeoclfError, match="no CUDA GPU; use cpu or auto"):
        train(_samples(per_class=10), TrainingConfig(device="cuda"))
    assert geoclf.network.resolve_device("auto").type == "cpu"


def test_epochs_left_open_shrink_for_large_surveys_and_are_recorded():
    """200 passes up to 10^4 samples; beyond, about 10^6 sample visits per network, 4 passes at least; explicit epochs win."""
    from geoclf.config import default_epochs

    assert [default_epochs(n) for n in (1, 10_000, 10_001, 100_000, 10**6, 10**7)] == [200, 200, 100, 10, 4, 4]
    assert TrainingConfig().for_samples(10**6).epochs == 4 and TrainingConfig(epochs=7).for_samples(10**6).epochs == 7
    large = Samples(spiral_samples(per_class=4000, seed=0), "species")  # 12,000 samples: 84 epochs
    model = train(large, TrainingConfig(hidden=(4,)))
    assert model.training["epochs"] == 84 and len(model.history) == 84
    assert geoclf.Model.from_bytes(model.to_bytes()).training["epochs"] == 84
