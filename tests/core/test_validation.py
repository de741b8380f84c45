"""Cross-validation on spatial folds (a first part of the spatial-CV issue)."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error

from geoclf import GeoclfError, TrainingConfig, spiral_samples
from geoclf.point_values import coordinates
from geoclf.samples import Samples
from geoclf.validation import CrossValidationReport, assign_folds, cross_validate

FAST = TrainingConfig(epochs=30)


@pytest.fixture(scope="module")
def xy():
    return coordinates(spiral_samples(per_class=100, seed=3))


@pytest.mark.parametrize("by", ["random", "block", "cluster"])
def test_every_point_is_in_exactly_one_test_fold(xy, by):
    folds = assign_folds(xy, 5, by)
    assert folds.shape == (len(xy),) and set(np.unique(folds)) == set(range(5))
    assert assign_folds(xy, 5, by).tolist() == folds.tolist()  # the same seed, the same folds


def test_blocks_are_spatially_disjoint_and_balanced(xy):
    size = 250.0
    folds = assign_folds(xy, 4, "block", block_size=size)
    cells = np.floor((xy - xy.min(axis=0)) / size).astype(int)
    for cell in np.unique(cells, axis=0):
        in_block = (cells == cell).all(axis=1)
        assert len(set(folds[in_block])) == 1  # a block never straddles two folds
    counts = np.bincount(folds)
    assert counts.max() - counts.min() <= np.bincount(np.unique(cells, axis=0, return_inverse=True)[1].ravel()).max()


def test_clusters_are_spatially_disjoint(xy):
    folds = assign_folds(xy, 4, "cluster")
    centres = np.array([xy[folds == f].mean(axis=0) for f in range(4)])
    nearest = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
    assert (nearest == folds).mean() > 0.99  # each point lies with its own cluster's centre


@pytest.mark.parametrize(
    "args, needle",
    [((1, "block"), "^folds must be at least 2"), ((5, "grid"), "^unknown by .grid."), ((5, "block", -1.0), "^block_size must be positive"),
     ((5, "block", 1e9), "makes only 1 blocks for 5 folds"), ((1000, "random"), "more than the 300 samples")],
)
def test_fold_errors(xy, args, needle):
    with pytest.raises(GeoclfError, match=needle):
        assign_folds(xy, *args)


@pytest.mark.parametrize("by", ["block", "cluster"])
def test_spatial_folds_need_as_many_places_as_folds(by):
    two_places = np.repeat([[0.0, 0.0], [10.0, 10.0]], 20, axis=0)
    with pytest.raises(GeoclfError, match="the 40 samples sit at only 2 distinct places, fewer than the 3 folds"):
        assign_folds(two_places, 3, by)
    assert sorted(set(assign_folds(two_places, 2, by))) == [0, 1]
    with pytest.raises(GeoclfError, match="all 40 samples sit at one place"):
        assign_folds(np.zeros((40, 2)), 2, by)
    assert len(set(assign_folds(np.zeros((40, 2)), 2, "random"))) == 2


def test_spatial_folds_are_more_honest_than_random_ones():
    samples = Samples(spiral_samples(), "species")
    random = cross_validate(samples, FAST, folds=4, by="random")
    blocks = cross_validate(samples, FAST, folds=4, by="block")
    assert random.summary["accuracy"]["mean"] > blocks.summary["accuracy"]["mean"]
    assert len(random.per_fold) == 4 and sum(r["test_samples"] for r in random.per_fold) == 300
    for metric in ("accuracy", "kappa", "macro_f1", "log_loss"):
        assert set(random.summary[metric]) == {"mean", "sd"}
    stored = json.loads(json.dumps(blocks.to_dict()))  # as the model file keeps it
    assert CrossValidationReport.from_dict(stored) == blocks
    line = blocks.summary_line()
    assert line.startswith("4-fold cross-validation by block: accuracy ") and f"{blocks.summary['accuracy']['mean']:.3f}" in line
    assert blocks.to_text().splitlines()[0] == "4-fold cross-validation by block"


def test_a_fold_missing_a_class_is_reported_not_a_crash():
    import geopandas as gpd

    points = spiral_samples(per_class=60)
    points = points[points["species"] != "tadpole"]
    corner = gpd.GeoDataFrame(
        {"species": ["tadpole"] * 6}, geometry=gpd.points_from_xy(199000 + np.arange(6), [549000.0] * 6), crs=points.crs
    )
    samples = Samples(gpd.GeoDataFrame(pd.concat([points, corner], ignore_index=True), crs=points.crs), "species")
    report = cross_validate(samples, FAST, folds=3, by="block", block_size=300.0)
    lacking = [r for r in report.per_fold if "missing_classes" in r or "skipped" in r]
    assert len(lacking) == 1 and lacking[0]["test_samples"] >= 6  # the fold holding the corner block
    assert lacking[0].get("missing_classes") == ["tadpole"] or "skipped" in lacking[0]
    assert report.summary["accuracy"] is not None


def test_cli(cli, tmp_path, spiral_gpkg):
    result = cli("cross-validate", spiral_gpkg, "--folds", "3", "--by", "block", "--epochs", "20", "--json", "-q")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["folds"] == 3 and report["by"] == "block" and len(report["per_fold"]) == 3
    text = cli("cross-validate", spiral_gpkg, "--folds", "3", "--epochs", "5", "-q")
    assert "3-fold cross-validation by block" in text.out and "macro_f1" in text.out
    assert_one_line_error(cli("cross-validate", spiral_gpkg, "--folds", "1"), "--folds must be at least 2")
