"""How good a model is on labelled points it was (ideally) not trained on."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

from .errors import GeoclfError
from .model import Model
from .prediction import PREDICTED_COLUMN, predict_points
from .samples import Samples


def evaluate(model: Model, samples: Samples, where: str = "the samples") -> dict:
    """Overall accuracy, Cohen's kappa, per-class precision/recall/F1 and the confusion matrix.

    Rows of the confusion matrix are the true classes, columns the predicted ones,
    both in the model's class order.
    """
    truth = samples.labels
    unknown = sorted(set(truth) - set(model.classes))
    if unknown:
        raise GeoclfError(
            f"{where}: labels {', '.join(map(repr, unknown))} in {samples.label!r} are not classes of the model "
            f"({', '.join(map(repr, model.classes))}); check --label or remove those points"
        )
    predicted = predict_points(model, samples.points, where)[PREDICTED_COLUMN]
    scored = predicted.notna().to_numpy()  # points missing an input have no prediction
    skipped = int((~scored).sum())
    predicted = predicted.to_numpy()
    if not scored.any():
        raise GeoclfError(f"{where}: no point has a value for every input of the model; check that the rasters cover them")
    truth, predicted = truth[scored], predicted[scored].astype(str)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=model.classes, zero_division=0
    )
    agreement = cohen_kappa_score(truth, predicted, labels=model.classes)
    return {
        "samples": int(len(truth)),
        "skipped": skipped,
        "accuracy": float(accuracy_score(truth, predicted)),
        "kappa": float(agreement) if np.isfinite(agreement) else None,
        "classes": model.classes,
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(model.classes, precision, recall, f1, support)
        },
        "confusion_matrix": confusion_matrix(truth, predicted, labels=model.classes).tolist(),
    }


def format_report(report: dict) -> str:
    """The report as a person reads it: headline figures, a per-class table, the confusion matrix."""
    kappa = "n/a" if report["kappa"] is None else f"{report['kappa']:.3f}"
    names = report["classes"]
    width = max(12, *(len(n) for n in names)) + 2
    lines = [
        f"samples   {report['samples']}" + (f" ({report['skipped']} skipped: an input is missing)" if report["skipped"] else ""),
        f"accuracy  {report['accuracy']:.3f}",
        f"kappa     {kappa}",
        "",
        f"{'class':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for name in names:
        row = report["per_class"][name]
        lines.append(f"{name:<{width}}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>10d}")
    lines += ["", "confusion matrix (rows: true, columns: predicted)"]
    cell = max(8, *(len(n) + 1 for n in names))
    lines.append(" " * width + "".join(f"{n:>{cell}}" for n in names))
    for name, row in zip(names, report["confusion_matrix"]):
        lines.append(f"{name:<{width}}" + "".join(f"{v:>{cell}d}" for v in row))
    return "\n".join(lines)
