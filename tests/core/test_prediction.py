import numpy as np
import pytest

from geoclf import GeoclfError, evaluate, predict_points, read_samples, spiral_samples
from geoclf.point_values import coordinates
from geoclf.samples import Samples


def test_predicted_points_keep_their_crs_and_columns(model):
    points = spiral_samples(per_class=10, seed=9).to_crs(4326)
    result = predict_points(model, points)
    assert result.crs.to_epsg() == 4326
    assert list(result.columns[-4:]) == ["predicted", "prob_crayfish", "prob_diving_beetle", "prob_tadpole"]
    probs = result[["prob_crayfish", "prob_diving_beetle", "prob_tadpole"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-6)
    expected = np.asarray(model.classes)[model.predict(coordinates(points.to_crs(model.crs)))]
    assert list(result["predicted"]) == list(expected)
    np.testing.assert_allclose(result.geometry.x, points.geometry.x)  # geometry untouched


def test_points_without_crs_are_refused(model):
    points = spiral_samples(per_class=3).set_crs(None, allow_override=True)
    with pytest.raises(GeoclfError, match="has no CRS but the model is in EPSG:5186"):
        predict_points(model, points, where="new.gpkg")


def test_evaluate_matches_a_count_by_hand(model):
    samples = Samples(spiral_samples(per_class=50, seed=21), "species")
    report = evaluate(model, samples)
    truth = samples.labels
    predicted = np.asarray(model.classes)[model.predict(coordinates(samples.points))]
    assert report.samples == 150
    assert report.accuracy == pytest.approx((truth == predicted).mean())
    matrix = np.asarray(report.confusion_matrix)
    for i, t in enumerate(model.classes):
        for j, p in enumerate(model.classes):
            assert matrix[i, j] == np.sum((truth == t) & (predicted == p))
    for i, name in enumerate(model.classes):
        row = report.per_class[name]
        assert row["recall"] == pytest.approx(matrix[i, i] / matrix[i].sum())
        assert row["precision"] == pytest.approx(matrix[i, i] / matrix[:, i].sum())
        assert row["support"] == 50
    expected_agreement = np.trace(matrix) / matrix.sum()
    chance = (matrix.sum(0) * matrix.sum(1)).sum() / matrix.sum() ** 2
    assert report.kappa == pytest.approx((expected_agreement - chance) / (1 - chance))
    text = report.to_text()
    assert "kappa" in text and "diving beetle" in text and "confusion matrix" in text


def test_evaluate_refuses_labels_the_model_does_not_know(model):
    points = spiral_samples(per_class=5)
    points.loc[0, "species"] = "newt"
    with pytest.raises(GeoclfError, match="labels 'newt' in 'species' are not classes of the model"):
        evaluate(model, Samples(points, "species"))


def test_training_points_are_classified_well(model, spiral_gpkg):
    assert evaluate(model, read_samples(spiral_gpkg)).accuracy >= 0.98


def test_calibration_error_on_known_cases():
    from geoclf.evaluation import calibration

    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.34, 1.0, 200_000)
    calibrated = calibration(confidence, rng.uniform(size=confidence.size) < confidence)
    assert calibrated["ece"] < 0.01
    overconfident = calibration(np.full(1000, 0.95), np.arange(1000) < 600)  # says 95%, right 60% of the time
    assert overconfident["ece"] == pytest.approx(0.35)
    rows = [r for r in overconfident["bins"] if r["count"]]
    assert len(rows) == 1 and rows[0]["low"] == pytest.approx(0.9) and rows[0]["accuracy"] == pytest.approx(0.6)
    assert sum(r["count"] for r in calibrated["bins"]) == confidence.size


def test_evaluate_reports_calibration(model):
    report = evaluate(model, Samples(spiral_samples(per_class=50, seed=21), "species"))
    bins = report.calibration["bins"]
    assert len(bins) == 10 and sum(b["count"] for b in bins) == 150
    assert 0 <= report.calibration["ece"] < 0.2
    assert "expected calibration error" in report.to_text()


def test_reliability_diagram_from_the_cli(cli, tmp_path, model_path, spiral_gpkg):
    from conftest import assert_real_picture

    result = cli("evaluate", model_path, spiral_gpkg, "--reliability-plot", tmp_path / "rel.png")
    assert result.code == 0 and "calibration" in result.out
    assert_real_picture(tmp_path / "rel.png")
    again = cli("evaluate", model_path, spiral_gpkg, "--reliability-plot", tmp_path / "rel.png")
    assert again.code != 0 and "already exists" in again.err


def test_probability_fields_are_names_every_format_and_qgis_expressions_take():
    from geoclf.prediction import probability_columns

    assert probability_columns(["crayfish", "diving beetle", "Gelbrand-Käfer"]) == ["prob_crayfish", "prob_diving_beetle", "prob_Gelbrand_Käfer"]
    assert probability_columns(["a b", "a_b", "?"]) == ["prob_a_b", "prob_1_a_b", "prob_2"]  # distinct, never bare
