"""Cross-validation (validation.py): fold by fold on spatial folds, and its typed report."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error

from geoclf import TrainingConfig, spiral_samples
from geoclf.samples import Samples
from geoclf.validation import CrossValidationReport, cross_validate

FAST = TrainingConfig(epochs=30)


@pytest.mark.slow  # an accuracy figure on a full-size training
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
    assert "3-fold cross-validation by block" in text.out and "macro F1" in text.out
    assert_one_line_error(cli("cross-validate", spiral_gpkg, "--folds", "1"), "--folds must be at least 2")
