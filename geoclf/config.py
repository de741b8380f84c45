"""How to train: every setting, its checks, and which settings are left to a choice.

A setting left at None is filled in for the inputs (`settled`): a map from coordinates
alone chooses its weight decay on inner folds (smoothness.py), one with covariates or
fields takes the settings of its response (response.py chooses which). A setting given
explicitly always wins. Nothing here trains; fitting.py holds the loop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .encoding import Binning, Encoding
from .errors import GeoclfError
from .inputs import SCALINGS, InputSpec
from .network import ACTIVATIONS, Architecture

OPTIMIZERS = ("adam", "sgd")  # adam is AdamW: weight decay decoupled from the step
LR_SCHEDULES = ("cosine", "constant")
CLASS_WEIGHTS = ("none", "balanced")
RESPONSES = ("auto", "threshold", "smooth")
# The settings each response stands for; an option given explicitly overrides them (benchmarks/model_selection.py).
RESPONSE_SETTINGS = {
    "threshold": {"feature_bins": 32, "input_lasso": 0.02, "weight_decay": 0.0, "batch_size": 32},
    "smooth": {"feature_bins": 0, "input_lasso": 0.0, "weight_decay": 2.0, "batch_size": 128},
}
LOCATION_SETTINGS = {"feature_bins": 0, "input_lasso": 0.0, "weight_decay": 0.0, "batch_size": 32}  # coordinates only
SMOOTHNESS_SETTINGS = {"feature_bins": 0, "input_lasso": 0.0}  # coordinates only, decay and batch left to smoothness.py
RESPONSE_FOLDS = 3  # inner folds on which --response auto compares the two


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. The defaults beat the teaching text's setup on the spiral (see README)."""

    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 200
    batch_size: int | None = None  # None, as every setting below that may be None: filled in by `settled` for the inputs
    seed: int = 0
    val_fraction: float = 0.0
    device: str = "cpu"
    lr_schedule: str = "cosine"  # cosine decay to 0 ends training settled; "constant" is the teaching text's
    scaling: str = "standard"  # or "minmax", the second teaching text's
    encoding: str = "none"
    encoding_frequencies: int = 16
    encoding_scale: float = 1.0
    response: str = "auto"  # how species respond to covariates and attributes: threshold, smooth, or auto (tried)
    feature_bins: int | None = None  # piecewise-linear encoding of covariates and attributes; 0 feeds their raw values
    input_lasso: float | None = None  # group lasso on the first layer, one group per input: use few inputs
    residual: bool = False
    dropout: float = 0.0
    weight_decay: float | None = None  # None: chosen on inner folds (x, y alone) or the response's
    class_weight: str = "none"  # "balanced": each class weighs as much in the loss as the others, however rare
    patience: int = 0  # stop when the hold-out loss has not improved for this many epochs (0: never)
    calibrate: bool = True  # fit a temperature on the hold-out, when there is one

    def check(self) -> None:
        if not self.hidden or any(width < 1 for width in self.hidden):
            raise GeoclfError(f"--hidden needs positive layer widths like 64,64, got {','.join(map(str, self.hidden))}")
        _check_choice("--activation", self.activation, ACTIVATIONS)
        _check_choice("--optimizer", self.optimizer, OPTIMIZERS)
        if not self.lr > 0:
            raise GeoclfError(f"--lr must be positive, got {self.lr}")
        if self.epochs < 1:
            raise GeoclfError(f"--epochs must be at least 1, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise GeoclfError(f"--batch-size must be at least 1, got {self.batch_size}")
        _check_choice("--lr-schedule", self.lr_schedule, LR_SCHEDULES)
        _check_choice("--scaling", self.scaling, SCALINGS)
        if not 0 <= self.val_fraction < 1:
            raise GeoclfError(f"--val-fraction must be in [0, 1), got {self.val_fraction}")
        encoding = Encoding(self.encoding, self.encoding_frequencies, self.encoding_scale)  # checks its numbers
        Architecture(2, tuple(self.hidden), 2, self.activation, encoding, self.residual, self.dropout, Binning(self.feature_bins or 0))
        if self.weight_decay is not None and self.weight_decay < 0:
            raise GeoclfError(f"--weight-decay must be zero or positive, got {self.weight_decay}")
        if self.input_lasso is not None and self.input_lasso < 0:
            raise GeoclfError(f"--input-lasso must be zero or positive, got {self.input_lasso}")
        _check_choice("--response", self.response, RESPONSES)
        _check_choice("--class-weight", self.class_weight, CLASS_WEIGHTS)
        if self.patience < 0:
            raise GeoclfError(f"--patience must be zero (off) or positive, got {self.patience}")
        if self.patience and self.val_fraction == 0:
            raise GeoclfError("--patience watches the hold-out loss, but there is no hold-out; give --val-fraction (e.g. 0.2)")

    def chooses_response(self, inputs: list[InputSpec]) -> bool:
        """Whether training will try both responses first (auto, with covariates or attributes among the inputs)."""
        return self.response == "auto" and _has_covariates(inputs)

    def chooses_smoothness(self, inputs: list[InputSpec]) -> bool:
        """Whether training will choose the weight decay of a coordinate-only map on inner folds (smoothness.py).

        Only for the plain network the ladder was measured on: a weight decay, an
        encoding, residual blocks, dropout, early stopping or sgd given explicitly wins.
        """
        plain = self.optimizer == "adam" and self.encoding == "none" and not self.residual and not self.dropout
        return not _has_covariates(inputs) and self.weight_decay is None and plain and not self.patience

    def fits(self, inputs: list[InputSpec]) -> int:
        """How many networks training fits: the model, plus two per inner fold when it chooses the response."""
        return 1 + (len(RESPONSE_SETTINGS) * RESPONSE_FOLDS if self.chooses_response(inputs) else 0)

    def settled(self, inputs: list[InputSpec], response: str | None = None) -> "TrainingConfig":
        """The config with every setting left open (None) filled in, for these inputs and this response.

        A location-only map chooses its weight decay on inner folds (smoothness.py); when
        it cannot (an encoding, sgd, ...), it gets none, as the clean generated maps want.
        Weight decay was measured for adam's decoupled decay; sgd's is an L2 penalty on
        another scale, so it stays 0 there unless given.
        """
        response = response or self.response
        covariates = _has_covariates(inputs)
        if not covariates:
            if self.response != "auto":
                raise GeoclfError(
                    f"--response {self.response} describes the response to covariates or fields, and there are none; "
                    "add --covariate or --features, or drop --response"
                )
            defaults = SMOOTHNESS_SETTINGS if self.chooses_smoothness(inputs) else LOCATION_SETTINGS
        elif response == "auto":
            raise ValueError("choose the response (choose_response) before settling the config")
        else:
            defaults = dict(RESPONSE_SETTINGS[response])
            if self.optimizer != "adam":
                defaults["weight_decay"] = 0.0
        filled = {name: value for name, value in defaults.items() if getattr(self, name) is None}
        return replace(self, response=response if covariates else self.response, **filled)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data


def _check_choice(option: str, value: str, choices) -> None:
    if value not in choices:
        raise GeoclfError(f"unknown {option} {value!r}; choose from {', '.join(choices)}")


def _has_covariates(inputs: list[InputSpec]) -> bool:
    return any(spec.kind != "coordinate" for spec in inputs)
