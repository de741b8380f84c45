"""Which inputs a model leans on: permutation importance on labelled points.

Shuffling one input's values across the points breaks its link to the class and keeps
everything else; how much accuracy falls and log loss rises measures what the model
drew from it (Breiman 2001; scikit-learn's permutation_importance does the same for its
estimators). Scored on points the model was not trained on, it says what generalises.
Repeats with fresh shuffles give the spread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import GeoclfError, SettingError
from .inputs import check_covariates
from .model import Model
from .point_values import input_values
from .samples import Samples

PROBABILITY_FLOOR = 1e-15  # log loss of a probability of 0: large, not infinite (as scikit-learn clips)


@dataclass(frozen=True)
class ImportanceReport:
    """The model's accuracy and log loss on the points, and for each input (rows) and repeat (columns) the drop
    in accuracy and rise in log loss when that input alone is shuffled."""

    inputs: list[str]
    samples: int
    skipped: int
    accuracy: float
    log_loss: float
    accuracy_drop: np.ndarray
    log_loss_rise: np.ndarray

    def order(self) -> np.ndarray:
        """Inputs from the most important (largest mean accuracy drop, then log loss rise) down."""
        return np.lexsort((-self.log_loss_rise.mean(axis=1), -self.accuracy_drop.mean(axis=1)))

    def to_dict(self) -> dict:
        return {
            "samples": self.samples, "skipped": self.skipped, "repeats": int(self.accuracy_drop.shape[1]),
            "accuracy": self.accuracy, "log_loss": self.log_loss,
            "inputs": [
                {"input": self.inputs[i], "accuracy_drop": float(self.accuracy_drop[i].mean()), "accuracy_drop_sd": float(self.accuracy_drop[i].std()),
                 "log_loss_rise": float(self.log_loss_rise[i].mean()), "log_loss_rise_sd": float(self.log_loss_rise[i].std())}
                for i in self.order()
            ],
        }

    def to_text(self) -> str:
        width = max(10, *(len(name) for name in self.inputs)) + 2
        skipped = f" ({self.skipped} skipped: an input is missing)" if self.skipped else ""
        lines = [f"on {self.samples} points{skipped}: accuracy {self.accuracy:.3f}, log loss {self.log_loss:.4f}; "
                 f"each input shuffled {self.accuracy_drop.shape[1]} times (mean ± sd)",
                 f"{'input':<{width}}{'accuracy drop':>22}{'log loss rise':>22}"]
        for row in self.to_dict()["inputs"]:
            lines.append(f"{row['input']:<{width}}{row['accuracy_drop']:>13.3f} ± {row['accuracy_drop_sd']:<6.3f}"
                         f"{row['log_loss_rise']:>13.4f} ± {row['log_loss_rise_sd']:<6.4f}")
        return "\n".join(lines)


def permutation_importance(model: Model, samples: Samples, repeats: int = 10, seed: int = 0,
                           on_repeat: Callable[[int, int], None] | None = None, where: str = "the samples") -> ImportanceReport:
    """Shuffle each of the model's inputs `repeats` times over the labelled points and score the model each time."""
    if not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise SettingError("{repeats} must be a whole number, 1 or more, got {value}", value=repeats)
    truth = samples.labels
    unknown = sorted(set(truth) - set(model.classes))
    if unknown:
        raise SettingError("{where}: labels {unknown} in {field!r} are not classes of the model; check {label} or remove those points",
                           where=where, unknown=", ".join(map(repr, unknown)), field=samples.label)
    values, valid = input_values(samples.points, check_covariates(model.inputs), model.crs, where)
    if valid.sum() < 2:
        raise GeoclfError(f"{where}: fewer than 2 points have a value for every input of the model; check that the rasters cover them")
    values = values[valid]
    position = {name: code for code, name in enumerate(model.classes)}
    codes = np.array([position[label] for label in truth[valid]], dtype=np.int64)
    accuracy, loss = _scores(model, values, codes)
    rng = np.random.default_rng(seed)
    drops, rises = np.zeros((len(model.inputs), repeats)), np.zeros((len(model.inputs), repeats))
    for repeat in range(repeats):
        for column in range(len(model.inputs)):
            shuffled = values.copy()
            shuffled[:, column] = rng.permutation(shuffled[:, column])
            shuffled_accuracy, shuffled_loss = _scores(model, shuffled, codes)
            drops[column, repeat], rises[column, repeat] = accuracy - shuffled_accuracy, shuffled_loss - loss
        if on_repeat is not None:
            on_repeat(repeat + 1, repeats)
    return ImportanceReport(model.input_names, int(len(values)), int((~valid).sum()), accuracy, loss, drops, rises)


def _scores(model: Model, values: np.ndarray, codes: np.ndarray) -> tuple[float, float]:
    predicted, probabilities = model.classify(values, probabilities=True)
    truth_probability = probabilities[np.arange(len(codes)), codes].astype(np.float64)
    return float(np.mean(predicted == codes)), float(-np.mean(np.log(np.maximum(truth_probability, PROBABILITY_FLOOR))))
