"""Honest accuracy: cross-validation on spatial folds (folds.py), and its typed report.

Nearby samples look alike (spatial autocorrelation), so a random hold-out tests a model
on places it has nearly seen and flatters it. Each fold's model is trained as `train`
trains, on every fold but one, and scored on the one left out.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace
from typing import Callable

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss

from .colors import colors_for
from .config import TrainingConfig
from .errors import ExtrapolationWarning, GeoclfError, SampleWarning
from .evaluation import format_per_class, kappa, per_class, scored_predictions
from .folds import splitter
from .inputs import InputSpec
from .point_values import coordinates
from .samples import Samples, sorted_classes, warn_about_labels
from .splits import stratifiable
from .training import train, warn_rare_classes

METRICS = ("accuracy", "kappa", "macro_f1", "log_loss")
METRIC_WORDS = {"accuracy": "accuracy", "kappa": "kappa", "macro_f1": "macro F1", "log_loss": "log loss"}  # as the text shows them


@dataclass(frozen=True)
class CrossValidationReport:
    """What `cross_validate` returns: per-fold records, the mean +/- sd of each metric, per-class figures.

    A fold record has fold, train_samples, test_samples and the METRICS, or `skipped`
    (why no model could be trained there); `missing_classes` / `unscored_classes` say
    which classes its training part lacks or its test part cannot score. The model file
    stores `to_dict()`; `from_dict` reads it back.
    """

    folds: int
    by: str
    block_size: float | None
    per_fold: list[dict]
    summary: dict
    per_class: dict
    untested_classes: list[str]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CrossValidationReport":
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})

    @property
    def skipped_folds(self) -> int:
        """Folds where no model could be trained: left out of the means, so a summary must say so."""
        return sum("skipped" in record for record in self.per_fold)

    def summary_line(self) -> str:
        """One line: the fold design and the mean +/- sd of each metric."""
        figures = [
            f"{METRIC_WORDS[metric]} {value['mean']:.3f} +/- {value['sd']:.3f}"
            for metric in METRICS if (value := self.summary[metric]) is not None
        ]
        skipped = self.skipped_folds
        note = f" ({skipped} of {self.folds} folds skipped: no model could be trained there)" if skipped else ""
        return f"{self.folds}-fold cross-validation by {self.by}{note}: " + ", ".join(figures)

    def to_text(self) -> str:
        """Fold by fold, then the means and the per-class table."""
        skipped = self.skipped_folds
        heading = f"{self.folds}-fold cross-validation by {self.by}" + (f", {skipped} fold(s) skipped" if skipped else "")
        lines = [heading, ""]
        lines.append(f"{'fold':>4} {'train':>6} {'test':>6} {'accuracy':>9} {'kappa':>7} {'macro F1':>9} {'log loss':>9}")
        lines += [_fold_line(record) for record in self.per_fold]
        lines.append("")
        for metric in METRICS:
            value = self.summary[metric]
            lines.append(f"{METRIC_WORDS[metric]:<9} " + ("n/a" if value is None else f"{value['mean']:.3f} +/- {value['sd']:.3f}"))
        lines += ["", "per class, over the test parts of all folds:", *format_per_class(self.per_class)]
        if self.untested_classes:
            lines.append(f"never tested (fewer samples than folds; in every training part): {', '.join(self.untested_classes)}")
        return "\n".join(lines)


def _fold_line(r: dict) -> str:
    if "skipped" in r:
        return f"{r['fold']:>4} {r['train_samples']:>6} {r['test_samples']:>6}  skipped: {r['skipped']}"
    kappa = "n/a" if r["kappa"] is None else f"{r['kappa']:.3f}"
    notes = []
    if "missing_classes" in r:
        notes.append(f"training lacks {', '.join(r['missing_classes'])}")
    if "unscored_classes" in r:
        notes.append(f"cannot score {', '.join(r['unscored_classes'])}: none in the test part")
    note = f"  ({'; '.join(notes)})" if notes else ""
    return (
        f"{r['fold']:>4} {r['train_samples']:>6} {r['test_samples']:>6} {r['accuracy']:>9.3f} {kappa:>7} "
        f"{r['macro_f1']:>9.3f} {r['log_loss']:>9.3f}{note}"
    )


def _scores(model, test: Samples, classes: list[str]) -> dict:
    """The fold's metrics over all the data's classes (a class the fold's model never saw has probability 0).

    Macro F1 averages the classes the fold can score: those in its test part or predicted there.
    """
    truth, guess, probs, _ = scored_predictions(model, test, classes, "the test fold")
    probs = np.clip(probs, 1e-7, 1)
    scored = [name for name in classes if name in set(truth) | set(guess)]
    return {
        "accuracy": float(accuracy_score(truth, guess)),
        "kappa": kappa(truth, guess, classes),
        "macro_f1": float(f1_score(truth, guess, labels=scored, average="macro", zero_division=0)),
        "log_loss": float(log_loss(truth, probs / probs.sum(axis=1, keepdims=True), labels=classes)),
        "predictions": (truth, guess),
    }


def cross_validate(
    samples: Samples,
    config: TrainingConfig = TrainingConfig(),
    inputs: list[InputSpec] | None = None,
    folds: int = 5,
    by: str = "block",
    block_size: float | None = None,
    on_fold: Callable[[dict], None] | None = None,
) -> CrossValidationReport:
    """Train `folds` models, each tested on one spatial fold; per-fold and mean +/- sd metrics, and per-class
    precision, recall and F1 over the predictions of all folds together, with each class's support.

    A class with fewer samples than folds stays in every training part (so every model
    knows it) and is never tested. A fold whose test part lacks a class says so; one whose
    training part cannot make a model (one class left) is reported with the reason and
    left out of the means, not a crash.
    """
    fold_of = splitter(by, folds, block_size, config.seed).fold_of(coordinates(samples.points), samples.groups, samples.labels)
    labels = samples.labels
    classes = sorted_classes(labels)
    names, counts = np.unique(labels, return_counts=True)
    warn_rare_classes(names, counts)
    warn_about_labels(samples)
    colors_for(classes, config.colors)  # checked against every class once; a fold's models are scored, never drawn
    config = replace(config, colors=None)
    # a class with fewer samples (or training polygons) than folds is never tested, and always trained on
    untested = sorted(set(labels[~stratifiable(np.unique(labels, return_inverse=True)[1].ravel(), folds, samples.groups)]))
    fold_of[np.isin(labels, untested)] = -1  # always in training
    results, truths, guesses = [], [], []
    for fold in range(folds):
        test, training = samples.subset(fold_of == fold), samples.subset(fold_of != fold)
        record = {"fold": fold, "train_samples": len(training), "test_samples": len(test)}
        missing = sorted(set(classes) - set(training.labels))
        if missing:
            record["missing_classes"] = missing
        unscored = sorted(set(classes) - set(test.labels))
        if unscored:
            record["unscored_classes"] = unscored
        try:
            with warnings.catch_warnings():  # said once above, for all the samples; spatial folds extrapolate on purpose
                warnings.simplefilter("ignore", SampleWarning)
                warnings.simplefilter("ignore", ExtrapolationWarning)
                model = train(training, config, inputs=inputs)
                scores = _scores(model, test, classes)
            truth, guess = scores.pop("predictions")
            truths.append(truth)
            guesses.append(guess)
            record.update(scores)
        except GeoclfError as error:
            record["skipped"] = str(error)
        results.append(record)
        if on_fold is not None:
            on_fold({**record, "folds": folds})
    scored = [r for r in results if "skipped" not in r]
    if not scored:
        raise GeoclfError(f"no fold could be trained ({results[0]['skipped']}); use fewer folds or larger blocks")
    summary = {}
    for metric in METRICS:
        values = [r[metric] for r in scored if r[metric] is not None]
        summary[metric] = {"mean": float(np.mean(values)), "sd": float(np.std(values))} if values else None
    return CrossValidationReport(
        folds=folds, by=by, block_size=block_size, per_fold=results, summary=summary,
        per_class=per_class(np.concatenate(truths), np.concatenate(guesses), classes) if truths else {},
        untested_classes=untested,
    )
