"""The typed training report (training_report.py): built from the model's own record, every figure with its points."""

import json

import geoclf
from geoclf import TrainingConfig, TrainingReport, spiral_samples, train
from geoclf.samples import Samples


def test_report_of_a_model_with_a_hold_out_says_which_points_each_figure_is_on():
    samples = Samples(spiral_samples(per_class=40, seed=1), "species")
    model = train(samples, TrainingConfig(epochs=15, val_fraction=0.25, weight_decay=0.0))
    report = TrainingReport.of(model)
    assert report.classes == model.metrics["train_class_counts"] and sum(report.classes.values()) == report.train_samples
    assert report.train_samples + report.val_samples == report.samples == 120
    assert report.val_accuracy == model.metrics["val_accuracy"] and report.temperature == model.metrics["temperature"]
    assert report.smoothness is None and report.response is None  # a decay given explicitly: nothing was chosen
    text = report.to_text().splitlines()
    assert text[0].startswith("trained 2-64-64-3 MLP, relu, on 90 points of 3 classes (crayfish 30, diving beetle 30, tadpole 30)")
    assert text[1].startswith("on its own training points: accuracy") and "flattering" in text[1]
    assert text[2].startswith(f"on the hold-out (30 points kept out of training): accuracy {report.val_accuracy:.3f}")
    assert text[3].startswith("calibrated: temperature")
    assert json.loads(json.dumps(report.to_dict()))["classes"] == report.classes


def test_report_reads_back_from_the_model_file(tmp_path):
    samples = Samples(spiral_samples(per_class=30, seed=2), "species")
    model = train(samples, TrainingConfig(epochs=10))  # decay left open: the smoothness is chosen
    model.save(tmp_path / "m.geoclf")
    again = TrainingReport.of(geoclf.Model.load(tmp_path / "m.geoclf"))
    assert again == TrainingReport.of(model)
    assert again.smoothness.startswith("weight decay") and "smoothness: weight decay" in again.to_text()
    assert "hold-out" not in again.to_text().splitlines()[-1]
