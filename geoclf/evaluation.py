"""How good a model is on labelled points it was (ideally) not trained on.

`evaluate` returns an EvaluationReport: the figures as a typed object that prints itself
as text, JSON-able data or an HTML page, so the command line and the QGIS plugin only
pass it on. It is scored from arrays (true labels, predicted labels, probabilities),
whatever produced them.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    precision_recall_fscore_support,
)

from .errors import GeoclfError, SettingError
from .model import Model
from .prediction import PREDICTED_COLUMN, predict_points, probability_columns
from .samples import Samples

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class EvaluationReport:
    """Overall accuracy, Cohen's kappa, per-class figures, the confusion matrix and calibration of one evaluation.

    Rows of the confusion matrix are the true classes, columns the predicted ones,
    both in `classes` order. `kappa` is None where it is undefined (one class only).
    """

    samples: int
    skipped: int
    accuracy: float
    kappa: float | None
    classes: list[str]
    per_class: dict
    confusion_matrix: list[list[int]]
    calibration: dict
    accuracy_ci: float | None = None  # half-width of the 95% interval; the per-class ones are in per_class

    @classmethod
    def from_predictions(cls, truth, predicted, probabilities, classes: list[str], skipped: int = 0) -> "EvaluationReport":
        """Score predicted labels (n,) and their probabilities (n, classes) against the true labels (n,)."""
        truth, predicted = np.asarray(truth), np.asarray(predicted)
        matrix = confusion_matrix(truth, predicted, labels=classes)
        table, overall_ci = with_intervals(per_class(truth, predicted, classes), matrix)
        return cls(
            samples=int(len(truth)),
            skipped=int(skipped),
            accuracy=float(accuracy_score(truth, predicted)),
            kappa=kappa(truth, predicted, classes),
            classes=list(classes),
            per_class=table,
            confusion_matrix=matrix.tolist(),
            calibration=calibration(np.asarray(probabilities).max(axis=1), truth == predicted),
            accuracy_ci=overall_ci,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    def predicted_totals(self) -> list[int]:
        """The confusion matrix's column totals: how many points were mapped as each class."""
        n = len(self.classes)
        return np.asarray(self.confusion_matrix, dtype=int).reshape(n, n).sum(axis=0).tolist()

    def to_text(self) -> str:
        """As a person reads it: headline figures, a per-class table, the confusion matrix, calibration."""
        names = self.classes
        width = max(12, *(len(n) for n in names)) + 2
        skipped = f" ({self.skipped} skipped: an input is missing)" if self.skipped else ""
        interval = f" ± {self.accuracy_ci:.3f} (95% interval)" if self.accuracy_ci is not None else ""
        lines = [f"samples   {self.samples}{skipped}", f"accuracy  {self.accuracy:.3f}{interval}", f"kappa     {_figure(self.kappa)}", ""]
        lines += format_per_class(self.per_class)
        lines += ["", "confusion matrix (rows: true, columns: predicted)"]
        cell = max(8, *(len(n) + 1 for n in names))
        lines.append(" " * width + "".join(f"{n:>{cell}}" for n in [*names, "total"]))
        for name, row in zip(names, self.confusion_matrix):
            lines.append(f"{name:<{width}}" + "".join(f"{v:>{cell}d}" for v in [*row, sum(row)]))
        lines.append(f"{'total':<{width}}" + "".join(f"{v:>{cell}d}" for v in [*self.predicted_totals(), self.samples]))
        lines += ["", f"calibration: expected calibration error {self.calibration['ece']:.3f}",
                  f"{'probability':<14}{'points':>8}{'mean prob.':>12}{'accuracy':>10}"]
        for row in self.calibration["bins"]:
            if row["count"]:
                lines.append(f"{row['low']:.1f} - {row['high']:.1f}    {row['count']:>8d}{row['confidence']:>12.3f}{row['accuracy']:>10.3f}")
        return "\n".join(lines)

    def to_html(self, title: str = "geoclf evaluation") -> str:
        """A small standalone HTML page (QGIS's Processing shows it in its Results Viewer)."""
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td>"
            + "".join(f"<td>{_figure(self.per_class[name][k], self.per_class[name].get(k + '_ci'))}</td>" for k in ("precision", "recall", "f1"))
            + f"<td>{self.per_class[name]['support']}</td></tr>"
            for name in self.classes
        )
        header = "".join(f"<th>{html.escape(name)}</th>" for name in self.classes) + "<th>total</th>"
        matrix = "".join(
            f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{v}</td>" for v in [*row, sum(row)]) + "</tr>"
            for name, row in zip(self.classes, self.confusion_matrix)
        )
        matrix += "<tr><th>total</th>" + "".join(f"<td>{v}</td>" for v in [*self.predicted_totals(), self.samples]) + "</tr>"
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1>"
            f"<p>samples: {self.samples}<br>overall accuracy: {_figure(self.accuracy, self.accuracy_ci)}<br>Cohen's kappa: {_figure(self.kappa)}"
            f"<br>expected calibration error: {self.calibration['ece']:.3f}</p>"
            "<table border='1'><tr><th>class</th><th>user's accuracy (precision)</th><th>producer's accuracy (recall)</th>"
            "<th>F1</th><th>support</th></tr>"
            f"{rows}</table><h2>Confusion matrix (rows: true, columns: predicted)</h2>"
            f"<table border='1'><tr><th></th>{header}</tr>{matrix}</table></body></html>\n"
        )


def _figure(value, half: float | None = None) -> str:
    """n/a where a figure is undefined (a class with no sample, or never predicted; kappa of one class); with the
    half-width of its 95% interval where one is known."""
    if value is None:
        return "n/a"
    return f"{value:.3f}" if half is None else f"{value:.3f} ± {half:.3f}"


def evaluate(model: Model, samples: Samples, where: str = "the samples") -> EvaluationReport:
    """The model's figures on labelled points: accuracy, kappa, per-class figures, confusion matrix, calibration."""
    truth = samples.labels
    unknown = sorted(set(truth) - set(model.classes))
    if unknown:
        raise SettingError(
            "{where}: labels {unknown} in {field!r} are not classes of the model ({classes}); check {label} or remove those points",
            where=where, unknown=", ".join(map(repr, unknown)), field=samples.label, classes=", ".join(map(repr, model.classes)),
        )
    truth, predicted, probs, skipped = scored_predictions(model, samples, model.classes, where)
    return EvaluationReport.from_predictions(truth, predicted, probs, model.classes, skipped)


def scored_predictions(model: Model, samples: Samples, classes: list[str], where: str = "the samples"):
    """(true labels, predicted labels, probabilities (n, len(classes)), skipped count) for the samples that
    have every input of the model; a class in `classes` the model does not know has probability 0."""
    classified = predict_points(model, samples.points, where)
    scored = classified[PREDICTED_COLUMN].notna().to_numpy()  # points missing an input have no prediction
    if not scored.any():
        raise GeoclfError(f"{where}: no point has a value for every input of the model; check that the rasters cover them")
    probs = np.zeros((int(scored.sum()), len(classes)))
    column_of = dict(zip(model.classes, probability_columns(model.classes)))
    for code, name in enumerate(classes):
        if name in column_of:
            probs[:, code] = classified[column_of[name]].to_numpy()[scored]
    predicted = classified[PREDICTED_COLUMN].to_numpy()[scored].astype(str)
    return samples.labels[scored], predicted, probs, int((~scored).sum())


def per_class(truth, predicted, classes: list[str]) -> dict:
    """Precision, recall, F1 and support (true samples) of each class; None where a class has no sample to score."""
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    predicted_counts = {name: int(np.sum(np.asarray(predicted) == name)) for name in classes}
    return {
        name: {
            "precision": float(p) if predicted_counts[name] else None,
            "recall": float(r) if n else None,
            "f1": float(f) if n or predicted_counts[name] else None,
            "support": int(n),
        }
        for name, p, r, f, n in zip(classes, precision, recall, f1, support)
    }


def with_intervals(table: dict, matrix: np.ndarray) -> tuple[dict, float | None]:
    """The per-class table with 95% half-widths of user's and producer's accuracy (precision_ci, recall_ci), and
    overall accuracy's, for points drawn as a simple random sample: Olofsson et al.'s (2014) estimators with each
    map class weighted by its share of the points. None where a class has too few points to give one."""
    from .accuracy_estimates import stratified_estimate

    counts = np.asarray(matrix, dtype=np.int64).T  # rows: predicted (map) class, columns: true (reference) class
    estimate = stratified_estimate(counts, counts.sum(axis=1) / max(counts.sum(), 1))
    table = {
        name: {**row, "precision_ci": _finite(estimate.users_ci[index]) if row["precision"] is not None else None,
               "recall_ci": _finite(estimate.producers_ci[index]) if row["recall"] is not None else None}
        for index, (name, row) in enumerate(table.items())
    }
    return table, _finite(estimate.overall_ci)


def _finite(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def format_per_class(table: dict) -> list[str]:
    """The per-class table as text lines, in the words of map accuracy (user's and producer's accuracy, as
    Olofsson et al. 2014 and QGIS classification plugins say; precision and recall in the JSON); n/a where a
    class cannot be scored (no sample, or never predicted)."""
    width = max([12, *(len(n) for n in table)]) + 2

    intervals = any("precision_ci" in row for row in table.values())
    wide = 18 if intervals else 10

    def cell(value, half=None, size=10):
        if value is None:
            return f"{'n/a':>{size}}"
        return f"{f'{value:.3f} ± {half:.3f}' if half is not None else f'{value:.3f}':>{size}}"

    lines = [
        f"{'':<{width}}{'user':>{wide}}{'producer':>{wide}}",
        f"{'class':<{width}}{'accuracy':>{wide}}{'accuracy':>{wide}}{'F1':>10}{'support':>10}",
    ]
    for name, row in table.items():
        lines.append(f"{name:<{width}}{cell(row['precision'], row.get('precision_ci'), wide)}{cell(row['recall'], row.get('recall_ci'), wide)}"
                     f"{cell(row['f1'])}{row['support']:>10d}")
    lines.append("(user's accuracy: precision, the share of points mapped as the class that are it; producer's: recall"
                 + ("; ± the 95% interval, for points drawn at random)" if intervals else ")"))
    return lines


def kappa(truth, predicted, classes: list[str]) -> float | None:
    """Cohen's kappa, or None where it is undefined (one class only on both sides)."""
    value = cohen_kappa_score(truth, predicted, labels=classes)
    return float(value) if np.isfinite(value) else None


def calibration(confidence: np.ndarray, correct: np.ndarray, bins: int = CALIBRATION_BINS) -> dict:
    """Expected calibration error and the reliability table.

    Points are binned by the probability of their predicted class; in a calibrated model,
    each bin's accuracy equals its mean probability. ECE is the count-weighted mean gap.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    rows, gap = [], 0.0
    for b in range(bins):
        in_bin = which == b
        count = int(in_bin.sum())
        row = {"low": float(edges[b]), "high": float(edges[b + 1]), "count": count, "confidence": None, "accuracy": None}
        if count:
            row["confidence"] = float(confidence[in_bin].mean())
            row["accuracy"] = float(correct[in_bin].mean())
            gap += count * abs(row["accuracy"] - row["confidence"])
        rows.append(row)
    return {"ece": gap / max(len(confidence), 1), "bins": rows}
