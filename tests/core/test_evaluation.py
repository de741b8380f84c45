"""geoclf/evaluation.py: the typed report, scored from arrays, in its text, JSON and HTML forms; `evaluate -o`."""

import json

import numpy as np
import pytest
from conftest import assert_one_line_error, listing

from geoclf.evaluation import EvaluationReport


def _report():
    truth = np.array(["otter", "otter", "otter", "heron", "heron", "newt"])
    predicted = np.array(["otter", "otter", "heron", "heron", "heron", "otter"])
    probabilities = np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.3, 0.7, 0.0], [0.2, 0.8, 0.0], [0.4, 0.6, 0.0], [0.5, 0.3, 0.2]])
    return EvaluationReport.from_predictions(truth, predicted, probabilities, ["otter", "heron", "newt"])


def test_a_report_is_scored_from_arrays():
    report = _report()
    assert report.samples == 6 and report.accuracy == pytest.approx(4 / 6)
    assert report.confusion_matrix == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert report.per_class["otter"]["recall"] == pytest.approx(2 / 3) and report.per_class["heron"]["precision"] == pytest.approx(2 / 3)
    assert report.per_class["newt"]["precision"] is None and report.per_class["newt"]["recall"] == 0.0  # never predicted
    assert sum(row["count"] for row in report.calibration["bins"]) == 6


def test_the_text_speaks_of_users_and_producers_accuracy_and_totals_the_confusion_matrix():
    lines = _report().to_text().splitlines()
    header = lines.index("confusion matrix (rows: true, columns: predicted)")
    assert lines[header + 1].split() == ["otter", "heron", "newt", "total"]
    assert lines[header + 2].split() == ["otter", "2", "1", "0", "3"]
    assert lines[header + 5].split() == ["total", "3", "3", "0", "6"]  # mapped as each class, and all the points
    table = next(i for i, line in enumerate(lines) if line.split()[:1] == ["class"])
    assert lines[table - 1].split() == ["user", "producer"] and lines[table].split() == ["class", "accuracy", "accuracy", "F1", "support"]
    otter = lines[table + 1].split()  # user's accuracy 2/3 of 3 points mapped otter: ± 1.96 x sqrt(2/3 x 1/3 / 2)
    assert otter[:4] == ["otter", "0.667", "±", "0.653"] and otter[4:6] == ["0.667", "±"] and otter[-2:] == ["0.667", "3"]


def test_the_report_prints_as_text_json_and_html():
    report = _report()
    assert json.loads(json.dumps(report.to_dict())) == report.to_dict()
    text = report.to_text()
    assert "accuracy  0.667" in text and "n/a" in text and "confusion matrix" in text
    page = report.to_html("pond survey <2026>")
    assert page.startswith("<!DOCTYPE html>") and "pond survey &lt;2026&gt;" in page
    assert page.count("<tr>") == 1 + 3 + 1 + 3 + 1  # header and a row per class, twice, and the totals' row
    assert "user's accuracy (precision)" in page and "<tr><th>total</th><td>3</td><td>3</td><td>0</td><td>6</td></tr>" in page
    assert "overall accuracy: 0.667" in page and f"expected calibration error: {report.calibration['ece']:.3f}" in page


@pytest.mark.parametrize("suffix", [".html", ".json", ".txt"])
def test_evaluate_writes_the_report_file_the_extension_names(cli, tmp_path, model_path, spiral_gpkg, suffix):
    out = tmp_path / f"report{suffix}"
    result = cli("evaluate", model_path, spiral_gpkg, "--json", "-o", out)
    assert result.code == 0, result.err
    printed = json.loads(result.out)
    written = out.read_text()
    if suffix == ".json":
        assert json.loads(written) == printed
    elif suffix == ".html":
        assert "<table" in written and "diving beetle" in written and f"{printed['accuracy']:.3f}" in written
    else:
        assert written.startswith(f"samples   {printed['samples']}") and "confusion matrix" in written


def test_evaluate_refuses_a_report_format_it_cannot_write(cli, tmp_path, model_path, spiral_gpkg):
    assert_one_line_error(cli("evaluate", model_path, spiral_gpkg, "-o", tmp_path / "report.pdf"), ".html, .json, .txt")
    (tmp_path / "old.html").write_text("keep me")
    assert_one_line_error(cli("evaluate", model_path, spiral_gpkg, "-o", tmp_path / "old.html"), "already exists")
    assert (tmp_path / "old.html").read_text() == "keep me" and listing(tmp_path) == {"old.html"}
