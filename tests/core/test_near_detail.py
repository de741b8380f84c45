"""Detail near the samples, the smooth map away from them (geoclf/near_detail.py), on real training and real files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
import torch
from conftest import read_raster
from scipy.spatial import cKDTree

from geoclf import Grid, MapOutputs, TrainingConfig, predict_raster, train
from geoclf.forward import is_plain
from geoclf.inputs import COORDINATE_INPUTS, InputSpec
from geoclf.model import Model
from geoclf.near_detail import (DETAIL_FREQUENCIES, DETAIL_FREQUENCIES_WITH_COVARIATES, REPEAT_BINS, REPEAT_REACH, adds_detail,
                                left_out_gaps)
from geoclf.encoding import Encoding
from geoclf.network import Architecture, NearDetail
from geoclf.samples import Samples
from geoclf.training_report import TrainingReport


def clustered_survey(clusters=120, count=600, seed=3) -> Samples:
    """Tight clusters of one species each, scattered over 10 km: a survey whose detail lives at the clusters' scale."""
    rng = np.random.default_rng(seed)
    centres, species = rng.uniform(0, 10_000, (clusters, 2)), rng.integers(0, 2, clusters)
    which = rng.integers(0, clusters, count)
    xy = centres[which] + rng.normal(0, 60, (count, 2))
    labels = np.array(["crayfish", "tadpole"])[species[which]]
    return Samples(gpd.GeoDataFrame({"species": labels}, geometry=shapely.points(xy), crs="EPSG:32633"), "species")


@pytest.fixture(scope="module")
def survey() -> Samples:
    return clustered_survey()


@pytest.fixture(scope="module")
def detailed(survey) -> Model:
    return train(survey, TrainingConfig(epochs=60))


def scaled_xy(model: Model, values: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(model.scaler.transform(values)).float()


def test_a_clustered_survey_mixes_detail_in_near_its_samples(detailed):
    record = detailed.metrics["near_detail"]
    assert isinstance(detailed.network, NearDetail) and detailed.architecture.detail is not None
    assert 0 < record["share"] < 1 and record["log_loss_change"] + record["standard_error"] < 0
    assert detailed.architecture.detail.encoding.kind == "fourier" and not is_plain(detailed)
    assert detailed.architecture.detail.encoding.frequencies == DETAIL_FREQUENCIES
    assert record["detail"]["weight_decay"] in {0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0}


def test_near_the_samples_the_map_is_the_mix_and_elsewhere_the_smooth_map(detailed):
    network = detailed.network
    points = detailed.sample_points
    rng = np.random.default_rng(0)
    far = np.column_stack([rng.uniform(20_000, 30_000, 500), rng.uniform(0, 10_000, 500)])  # beyond the survey
    near = points[:500] + rng.normal(0, 5, (500, 2))  # metres from a sample
    for values in (far, near):
        with torch.no_grad():
            x = scaled_xy(detailed, values)
            smooth = torch.softmax(network.smooth(x), -1)
            detail = torch.softmax(network.detail(x), -1)
        share = float(network.share)
        gap = cKDTree(detailed.scaler.transform(points)[:, :2]).query(x.numpy())[0]
        inside = torch.from_numpy(gap <= float(network.reach)).unsqueeze(1)
        expected = torch.where(inside, (1 - share) * smooth + share * detail, smooth)
        np.testing.assert_allclose(detailed.predict_proba(values), expected.numpy(), atol=1e-5)
    assert not network.near(scaled_xy(detailed, far)).any() and network.near(scaled_xy(detailed, near)).all()


def test_the_detail_round_trips_through_the_model_file_and_into_a_map(detailed, tmp_path):
    detailed.save(tmp_path / "m.geoclf")
    loaded = Model.load(tmp_path / "m.geoclf")
    assert loaded.architecture == detailed.architecture and loaded.metrics["near_detail"] == detailed.metrics["near_detail"]
    values = np.random.default_rng(1).uniform(0, 10_000, (3000, 2))
    np.testing.assert_array_equal(loaded.predict_proba(values), detailed.predict_proba(values))
    text = TrainingReport.of(loaded).to_text()
    assert f"detail near the samples: a Fourier-encoded map at share {loaded.metrics['near_detail']['share']:.2f}" in text

    grid = Grid.from_bounds(loaded.extent, loaded.crs, size=(120, 100))
    predict_raster(loaded, grid, MapOutputs(tmp_path / "c.tif", probabilities=tmp_path / "p.tif"))
    window = rasterio.windows.Window(0, 0, grid.width, grid.height)
    codes, probabilities = loaded.classify(np.column_stack(grid.cell_centers(window)), probabilities=True)
    np.testing.assert_array_equal(read_raster(tmp_path / "c.tif", 1).ravel(), codes)
    np.testing.assert_allclose(read_raster(tmp_path / "p.tif").reshape(2, -1), probabilities.T, atol=1e-6)


def test_a_survey_whose_inner_folds_see_no_gain_keeps_the_smooth_map_and_its_fast_path(model):
    """The default spiral: the smooth map alone, so predict-raster's separable path still draws it."""
    record = model.metrics["near_detail"]
    assert record["share"] == 0 and model.architecture.detail is None and is_plain(model)
    assert "none: a Fourier-encoded map mixed in" in TrainingReport.of(model).to_text()


def test_shuffled_labels_get_no_detail():
    survey = clustered_survey(count=400, seed=5)
    survey.points["species"] = np.random.default_rng(0).permutation(survey.points["species"].to_numpy())
    model = train(survey, TrainingConfig(epochs=40))
    assert model.metrics["near_detail"]["share"] == 0 and model.architecture.detail is None


def test_the_detail_is_tried_only_for_a_projected_map_from_x_y_scored_on_inner_folds_and_can_be_turned_off():
    inputs, projected, lonlat = list(COORDINATE_INPUTS), pyproj.CRS("EPSG:32633"), pyproj.CRS("EPSG:4326")
    assert adds_detail(TrainingConfig(), inputs, projected) and adds_detail(TrainingConfig(), inputs, None)
    assert not adds_detail(TrainingConfig(), inputs, lonlat)  # a lon/lat encoding would need its own scaling
    assert not adds_detail(TrainingConfig(near_detail=False), inputs, projected)
    assert not adds_detail(TrainingConfig(encoding="fourier"), inputs, projected)  # an encoding asked for: that map alone
    assert not adds_detail(TrainingConfig(weight_decay=0.1), inputs, projected)  # a decay given: one network
    field = InputSpec("depth", "attribute")
    with_field = [*inputs, field]
    threshold = TrainingConfig(response="threshold").settled(with_field)
    assert adds_detail(threshold, with_field, projected, inner_folds=True)  # a response chosen on inner folds
    assert not adds_detail(threshold, with_field, projected)  # a response given: its one network, no inner folds
    assert adds_detail(TrainingConfig(response="smooth").settled(with_field), with_field, projected)  # its decay chosen
    alone = TrainingConfig().settled([field], "threshold")  # no x, y: near is a repeat of a sample's values
    assert adds_detail(alone, [field], projected, inner_folds=True) and adds_detail(alone, [field], lonlat, inner_folds=True)
    assert not adds_detail(alone, [field], projected)  # a response given: its one network


def test_turned_off_no_detail_is_trained(survey):
    model = train(survey, TrainingConfig(epochs=20, near_detail=False))
    assert "near_detail" not in model.metrics and model.architecture.detail is None


def test_left_out_gaps_measure_each_left_out_sample_against_its_folds_training_part():
    points = np.array([[0.0, 0], [1, 0], [3, 0], [10, 0]])
    inner = np.array([0, 1, 2, -1])
    # fold 0 trains on 1, 2, 3; fold 1 on 0, 2, 3; fold 2 on 0, 1, 3; the last sample is never left out
    np.testing.assert_allclose(left_out_gaps(points, inner), [1, 1, 2])


def test_a_file_whose_detail_disagrees_with_its_stored_points_is_refused(detailed):
    from dataclasses import replace

    from geoclf.errors import GeoclfError

    claimed = replace(detailed.architecture, detail_points=detailed.architecture.detail_points + 1)
    with pytest.raises(GeoclfError, match="architecture"):
        Model.from_bytes(replace(detailed, architecture=claimed).to_bytes())


def test_a_map_of_x_y_and_a_field_mixes_in_detail_that_sees_the_field_binned(survey, tmp_path):
    """The response is chosen on inner folds first; the winner alone then gets its detail, which sees the field as the
    winner does (binned for the threshold response) and round-trips through the model file."""
    rng = np.random.default_rng(4)
    points = survey.points.copy()
    points["depth"] = rng.normal(0, 1, len(points)) + (points["species"] == "crayfish") * 0.5
    with_field = Samples(points, "species")
    inputs = [*COORDINATE_INPUTS, InputSpec("depth", "attribute")]
    model = train(with_field, TrainingConfig(epochs=60), inputs=inputs)
    record, detail = model.metrics["near_detail"], model.architecture.detail
    assert model.metrics["response_choice"]["fits"] == 2 and 0 < record["share"] < 1
    assert detail.encoding.kind == "fourier" and detail.encoding.columns == (0, 1)
    assert detail.encoding.frequencies == DETAIL_FREQUENCIES_WITH_COVARIATES < DETAIL_FREQUENCIES  # the time budget
    assert detail.binning == model.architecture.binning
    model.save(tmp_path / "m.geoclf")
    loaded = Model.load(tmp_path / "m.geoclf")
    values = np.column_stack([rng.uniform(0, 10_000, (500, 2)), rng.normal(0, 1, 500)])
    np.testing.assert_array_equal(loaded.predict_proba(values), model.predict_proba(values))


def test_a_blend_told_where_the_samples_are_without_detail_round_trips_through_its_description():
    """A blend whose detail earned no share still weighs its members by its far shares beyond the reach."""
    from geoclf.network import Architecture, Blend

    architecture = Architecture(2, (8,), 3, members=2, detail_points=4, near_columns=(0, 1), far_shares=True)
    assert Architecture.from_dict(architecture.to_dict()) == architecture
    network = architecture.build().eval()
    assert isinstance(network, NearDetail) and network.detail is None and isinstance(network.smooth, Blend)
    with torch.no_grad():
        network.points.copy_(torch.tensor([[0.0, 0], [1, 0], [0, 1], [1, 1]], dtype=torch.float64))
        network.reach.fill_(0.5)
        network.smooth.log_shares.copy_(torch.log(torch.tensor([0.7, 0.3])))
        network.smooth.far_shares.copy_(torch.tensor([0.0, 1.0]))
        x = torch.tensor([[0.1, 0.1], [5.0, 5.0]])
        members = torch.stack([torch.softmax(member(x), -1) for member in network.smooth.members])
        expected = torch.stack([0.7 * members[0, 0] + 0.3 * members[1, 0], members[1, 1]])  # near: both; far: the second
        np.testing.assert_allclose(torch.softmax(network(x), -1).numpy(), expected.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="blend that knows where the samples are"):
        Architecture(2, (8,), 3, members=2, far_shares=True)


def test_a_format_5_detail_takes_its_reach_columns_from_the_detail():
    detail = Architecture(2, (8,), 2, encoding=Encoding("fourier", 4, 8.0, (0, 1), False, 1.0, 0))
    written = Architecture(2, (8,), 2, detail=detail, detail_points=3, near_columns=(0, 1)).to_dict()
    del written["near_columns"]  # as format 5 wrote it
    assert Architecture.from_dict(written).near_columns == (0, 1)


def test_a_blend_whose_far_shares_do_not_beat_its_own_on_spatial_blocks_keeps_its_own(detailed):
    evidence = detailed.metrics["near_detail"]["far_blend"]
    assert len(detailed.metrics["smoothness_choice"]["blend"]) > 1 and evidence["blocks"] == 9
    assert evidence["log_loss_change"] + evidence["standard_error"] >= 0 and "shares" not in evidence
    assert not detailed.architecture.far_shares and detailed.network.smooth.far_shares is None


def test_far_from_its_samples_a_map_weighs_its_blend_as_spatial_blocks_say_and_keeps_that_in_its_file(tmp_path):
    """Clusters of one species each: beyond the reach of the samples the spatial blocks' inner folds favour the
    class frequencies over the rungs that draw the clusters' edges on."""
    model = train(clustered_survey(count=600, seed=7), TrainingConfig(epochs=60))
    blend, evidence = model.metrics["smoothness_choice"]["blend"], model.metrics["near_detail"]["far_blend"]
    assert evidence["log_loss_change"] + evidence["standard_error"] < 0 and model.architecture.far_shares
    assert set(evidence["shares"]) <= set(blend) and sum(evidence["shares"].values()) == pytest.approx(1, abs=1e-3)
    network = model.network
    rng = np.random.default_rng(2)
    far = np.column_stack([rng.uniform(20_000, 30_000, 300), rng.uniform(0, 10_000, 300)])
    with torch.no_grad():
        x = scaled_xy(model, far)
        members = torch.stack([torch.softmax(member(network.smooth.front(x)), -1) for member in network.smooth.members])
        shares = torch.tensor([evidence["shares"].get(rung, 0.0) for rung in blend])
        expected = (shares / shares.sum()).view(-1, 1, 1).mul(members).sum(0)
        np.testing.assert_allclose(torch.softmax(network(x), -1).numpy(), expected.numpy(), atol=1e-4)
    model.save(tmp_path / "m.geoclf")
    loaded = Model.load(tmp_path / "m.geoclf")
    assert loaded.architecture == model.architecture and not is_plain(loaded)
    values = np.concatenate([far, model.sample_points[:300]])
    np.testing.assert_array_equal(loaded.predict_proba(values), model.predict_proba(values))
    assert "refitted on folds of 9 spatial blocks" in TrainingReport.of(loaded).to_text()


def repeated_cells(cells=150, count=600, seed=7) -> tuple[Samples, np.ndarray, np.ndarray]:
    """Samples drawn from covariate cells, several to a cell, each cell's samples of one species drawn by its depth:
    a survey of fields alone where a sample's values repeat those of others in its cell. Returns the samples, and the
    cells' values and species codes."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, (cells, 2))
    species = (rng.uniform(size=cells) < 1 / (1 + np.exp(-2 * values[:, 0]))).astype(int)
    which = rng.integers(0, cells, count)
    points = gpd.GeoDataFrame({"species": np.array(["crayfish", "tadpole"])[species[which]],
                               "depth": values[which, 0], "warmth": values[which, 1]},
                              geometry=shapely.points(rng.uniform(0, 10_000, (count, 2))), crs="EPSG:32633")
    return Samples(points, "species"), values, species


def test_a_map_of_fields_alone_keeps_the_class_of_repeated_values_and_the_smooth_map_elsewhere(tmp_path, cli):
    """Without x, y, near is a repeat of a training sample's values (its covariate cell): there a finely binned map
    is mixed in at the share the inner folds fit, and it keeps each cell's species where the smooth map cannot."""
    survey, values, species = repeated_cells()
    inputs = [InputSpec("depth", "attribute"), InputSpec("warmth", "attribute")]
    model = train(survey, TrainingConfig(epochs=40), inputs=inputs)
    record, network = model.metrics["near_detail"], model.network
    assert record["repeats"] and record["reach"] == REPEAT_REACH and 0 < record["share"] <= 1
    assert record["log_loss_change"] + record["standard_error"] < 0
    assert isinstance(network, NearDetail) and model.architecture.near_columns == (0, 1)
    assert model.architecture.detail.binning.bins == REPEAT_BINS and model.architecture.detail.binning.columns == (0, 1)
    assert "where a training sample's input values repeat" in TrainingReport.of(model).to_text()
    seen = np.unique(np.column_stack([survey.points["depth"], survey.points["warmth"]]), axis=0)
    unseen = seen + 1e-3  # off every sample's values: the smooth map alone
    with torch.no_grad():
        scaled = torch.from_numpy(model.scaler.transform(unseen)).float()
        smooth = torch.softmax(network.smooth(scaled), dim=-1).numpy()
    np.testing.assert_allclose(model.predict_proba(unseen), smooth, atol=1e-6)
    lookup = {tuple(v): s for v, s in zip(values, species)}
    truth = np.array([lookup[tuple(v)] for v in seen])
    mixed = model.predict_proba(seen)
    with torch.no_grad():
        smooth_there = torch.softmax(network.smooth(torch.from_numpy(model.scaler.transform(seen)).float()), -1).numpy()
    rows = np.arange(len(seen))
    assert -np.log(mixed[rows, truth]).mean() < -np.log(smooth_there[rows, truth]).mean() - 0.05  # their cell's species
    assert (mixed.argmax(1) == truth).mean() >= (smooth_there.argmax(1) == truth).mean() + 0.02
    model.save(tmp_path / "m.geoclf")
    np.testing.assert_array_equal(Model.load(tmp_path / "m.geoclf").predict_proba(seen), model.predict_proba(seen))
    shown = cli("info", tmp_path / "m.geoclf")  # the choice and its evidence, read back from the file
    assert shown.code == 0 and f"detail       a finely binned map of every input at share {record['share']:.2f}" in shown.out


def test_fields_whose_values_never_repeat_train_no_detail_and_the_bar_still_ends_full():
    """Continuous fields (the habitat table's kind): no left-out sample repeats a training sample's values, so there
    is nothing to test a detail on, and none is trained."""
    rng = np.random.default_rng(2)
    values = rng.normal(0, 1, (300, 2))
    points = gpd.GeoDataFrame({"species": np.where(values[:, 0] + rng.normal(0, 0.5, 300) > 0, "crayfish", "tadpole"),
                               "depth": values[:, 0], "warmth": values[:, 1]},
                              geometry=shapely.points(rng.uniform(0, 1000, (300, 2))), crs="EPSG:32633")
    records = []
    model = train(Samples(points, "species"), TrainingConfig(epochs=20), on_epoch=records.append,
                  inputs=[InputSpec("depth", "attribute"), InputSpec("warmth", "attribute")])
    assert model.metrics["near_detail"] == {"share": 0.0, "reason": "no left-out sample repeats a training sample's values"}
    assert model.architecture.detail is None and not isinstance(model.network, NearDetail)
    assert "none (no left-out sample repeats" in TrainingReport.of(model).to_text()
    last = records[-1]
    assert last["fit"] == last["fits"] == 3 and last["epoch"] == last["epochs"]  # two responses, then the detail's fit
