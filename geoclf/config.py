"""Every setting a user gives: how to train (TrainingConfig) and how to draw a map (MapSettings).

Each is declared once (settings.py), so the command line, `geoclf describe` and the
QGIS plugin offer the same options with the same defaults, bounds and help.

A setting left at None is filled in for the inputs (`settled`): a map from coordinates
alone chooses its weight decay on inner folds (smoothness.py), one with covariates or
fields takes the settings of its response (response.py chooses which), and a smooth
response chooses its weight decay as a coordinate map does. A setting given explicitly
always wins. Nothing here trains; fitting.py holds the loop.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from .choices import (
    ACTIVATIONS,
    CLASS_WEIGHTS,
    CONFIDENCE_MEASURES,
    DEVICES,
    ENCODINGS,
    LR_SCHEDULES,
    MAX_EPOCHS,
    MAX_FEATURE_BINS,
    MAX_FREQUENCIES,
    OPTIMIZERS,
    RESAMPLINGS,
    RESPONSES,
    SCALINGS,
)
from .colors import parse_color_pairs
from .errors import SettingError
from .inputs import InputSpec
from .settings import check_settings, setting

# The settings each response stands for; an option given explicitly overrides them (benchmarks/model_selection.py).
# A smooth response chooses its weight decay and batch on inner folds (SMOOTHNESS_SETTINGS) where it can; these
# are its settings where it cannot (sgd, dropout, ...).
RESPONSE_SETTINGS = {
    "threshold": {"feature_bins": 32, "input_lasso": 0.02, "weight_decay": 0.0},  # batches: network_stack.stack_batch_size
    "smooth": {"feature_bins": 0, "input_lasso": 0.0, "weight_decay": 2.0, "batch_size": 128},
}
LOCATION_SETTINGS = {"feature_bins": 0, "input_lasso": 0.0, "weight_decay": 0.0, "batch_size": 32}  # coordinates only
SMOOTHNESS_SETTINGS = {"feature_bins": 0, "input_lasso": 0.0}  # raw inputs, decay and batch left to smoothness.py
INNER_FOLDS = 3  # inner folds on which training chooses the response and the smoothness: the same folds, so their losses compare
DEFAULT_EPOCHS = 200  # passes over a survey of up to FULL_EPOCHS_UP_TO samples, as every benchmark here measured them
FULL_EPOCHS_UP_TO = 10_000
# Beyond that, passes enough for about this many sample visits per network, and at least LARGE_SURVEY_EPOCHS: each
# step then sees fresh samples, and 10^5 spiral points map as well in 10 epochs as 10^4 do in 200, so training time
# stops growing with the survey until a few passes are all it takes (benchmarks/training_speed.py: 10^6 points
# reached 0.9988-0.9992 in 2 passes, 0.9999 in 4).
LARGE_SURVEY_VISITS = 1_000_000
LARGE_SURVEY_EPOCHS = 4


def default_epochs(samples: int) -> int:
    """DEFAULT_EPOCHS up to FULL_EPOCHS_UP_TO samples; beyond, about LARGE_SURVEY_VISITS / samples, LARGE_SURVEY_EPOCHS at least."""
    if samples <= FULL_EPOCHS_UP_TO:
        return DEFAULT_EPOCHS
    return max(LARGE_SURVEY_EPOCHS, math.ceil(LARGE_SURVEY_VISITS / samples))


@dataclass(frozen=True)
class TrainingConfig:
    """How to train: every option of `train` and `cross-validate`, declared once (settings.py).

    The defaults beat the teaching text's setup on the spiral and the peers on field
    surveys (see README). A setting left at None is filled in for the inputs (`settled`).
    """

    scaling: str = setting(
        "standard", "Input scaling, with statistics from the training points (minmax is the second teaching text's).",
        "Input scaling", choices=SCALINGS,
    )
    hidden: tuple[int, ...] = setting(
        (64, 64), "Hidden layer widths, comma-separated (64,64 is two layers of 64).",
        "Hidden layers", advanced=False, kind="widths",
    )
    activation: str = setting(
        "relu", "Activation after each hidden layer.",
        "Activation", choices=ACTIVATIONS, advanced=False,
    )
    optimizer: str = setting(
        "adam", "adam is AdamW (weight decay decoupled from the step); sgd is plain stochastic gradient descent.",
        "Optimizer", choices=OPTIMIZERS,
    )
    lr: float = setting(0.01, "Learning rate.", "Learning rate", above=0, advanced=False)
    epochs: int | None = setting(
        None, f"Passes over the training samples. Default: {DEFAULT_EPOCHS} up to {FULL_EPOCHS_UP_TO:,} samples; "
        f"beyond, enough for about {LARGE_SURVEY_VISITS:,} samples seen per network (10 epochs of 100,000), "
        f"{LARGE_SURVEY_EPOCHS} at least.",
        "Epochs", minimum=1, maximum=MAX_EPOCHS, advanced=False,
    )
    batch_size: int | None = setting(
        None, "Samples per step. Default: 32, or enough for at most 4,000 steps per network where that is more (for the "
        "threshold response, and where the weight decay is chosen on inner folds); 32 for x, y alone and 128 for a smooth "
        "response where the weight decay cannot be chosen.",
        "Batch size", minimum=1,
    )
    lr_schedule: str = setting(
        "cosine", "Learning rate over the epochs: cosine decay to 0 ends training settled; constant is the teaching text's.",
        "Learning rate schedule", choices=LR_SCHEDULES,
    )
    seed: int = setting(0, "Seed: the same seed on the same data gives the same model.", "Seed", minimum=0, advanced=False)
    val_fraction: float = setting(
        0.0, "Stratified hold-out share: validation loss per epoch, early stopping and calibration.",
        "Validation share", minimum=0, below=1,
    )
    device: str = setting("cpu", "Where to train: cpu, cuda, or auto (cuda when there is one).", "Device", choices=DEVICES)
    encoding: str = setting(
        "none", "Expand x, y into sines and cosines first (on the sphere for lon/lat): sharper, curlier boundaries.",
        "Location encoding", choices=ENCODINGS,
    )
    encoding_frequencies: int = setting(
        16, "Random frequencies (fourier) or octaves per axis (sinusoidal).",
        "Encoding frequencies", minimum=1, maximum=MAX_FREQUENCIES,
    )
    encoding_scale: float = setting(
        1.0, "Typical (fourier) or lowest (sinusoidal) frequency, in cycles per standard deviation of the samples.",
        "Encoding scale", above=0,
    )
    residual: bool = setting(False, "Residual blocks with layer norm (hidden widths must be equal).", "Residual blocks")
    dropout: float = setting(0.0, "Dropout rate after each hidden activation.", "Dropout", minimum=0, below=1)
    response: str = setting(
        "auto", "How species respond to covariates and fields: threshold (binned inputs, input lasso), smooth (raw inputs, "
        "weight decay chosen on 3 inner folds), or auto: try both on the same inner folds and keep the lower log loss. "
        "Not used with x, y alone.",
        "Response to covariates", choices=RESPONSES,
    )
    weight_decay: float | None = setting(
        None, "Decoupled weight decay (AdamW) or L2 (sgd). Default: chosen on 3 inner folds for a map from x, y alone "
        "(which blends the networks of several decays where that wins on inner folds, or maps the class frequencies "
        "alone where location tells nothing) and for a smooth response "
        "(2 where it cannot be chosen: sgd, dropout, residual blocks, early stopping); else 0. Given: one network.",
        "Weight decay", minimum=0,
    )
    feature_bins: int | None = setting(
        None, "Encode each covariate and field piecewise-linearly over this many quantile bins; 0: raw values. "
        "Default: 32 for a threshold response, else 0.",
        "Covariate bins", minimum=0, maximum=MAX_FEATURE_BINS,
    )
    input_lasso: float | None = setting(
        None, "Group lasso on the first layer, one group per input, so the network uses few inputs. "
        "Default: 0.02 for a threshold response, else 0.",
        "Input lasso", minimum=0,
    )
    near_detail: bool = setting(
        True, "For a map from x, y (projected CRS; alone, or with covariates after the response is chosen): also train "
        "a sharper map (x, y as random Fourier features) and mix it in near the samples, as far out as inner folds can "
        "test it, at the share they fit; the smooth map elsewhere. For covariates and fields alone: a finely binned map "
        "mixed in where a cell's values repeat a training sample's (its covariate cell). The share is 0 unless it "
        "lowers the inner folds' log loss.",
        "Detail near the samples",
    )
    class_weight: str = setting(
        "none", "balanced: rare species weigh as much in the loss as common ones.",
        "Class weights", choices=CLASS_WEIGHTS,
    )
    patience: int = setting(
        0, "Stop when the hold-out loss has not improved for this many epochs, keeping the best (needs a validation share; 0: never).",
        "Patience", minimum=0,
    )
    calibrate: bool = setting(
        True, "Fit a temperature on the hold-out so that probabilities mean what they say (with a validation share).",
        "Calibrate probabilities",
    )
    colors: str | None = setting(
        None, "Class colours in the map, its legend and the plots: CLASS=COLOUR pairs, comma-separated "
        "(water=#1f78b4,forest=tab:green; any matplotlib colour). Classes not named keep the default palette.",
        "Class colours", advanced=False,
    )

    def check(self) -> None:
        """Every declared bound and choice, then what no single declaration can say."""
        # imported here: they import torch, which `geoclf --help` should not wait for
        from .encoding import Binning, Encoding
        from .network import Architecture

        check_settings(self)
        if self.colors:
            parse_color_pairs(self.colors)
        encoding = Encoding(self.encoding, self.encoding_frequencies, self.encoding_scale)
        binning = Binning(self.feature_bins or 0)
        Architecture(2, tuple(self.hidden), 2, self.activation, encoding, self.residual, self.dropout, binning)
        if self.patience and self.val_fraction == 0:
            raise SettingError("{patience} watches the hold-out loss, but there is no hold-out; give {val_fraction} (e.g. 0.2)")

    def chooses_response(self, inputs: list[InputSpec]) -> bool:
        """Whether training will try both responses first (auto, with covariates or attributes among the inputs)."""
        return self.response == "auto" and _has_covariates(inputs)

    def trains_as_stack(self) -> bool:
        """Whether this network can train side by side with its inner-fold twins (network_stack.py): linear layers
        under adam, a location encoding or binning in front computed once. Dropout, residual blocks, early stopping
        or sgd train one network at a time."""
        return self.optimizer == "adam" and not self.residual and not self.dropout and not self.patience

    def chooses_smoothness(self, inputs: list[InputSpec]) -> bool:
        """Whether training will choose the weight decay on inner folds (smoothness.py): for a coordinate-only map,
        and for a smooth response to covariates on raw inputs.

        Only for networks that train as a stack (trains_as_stack), a location encoding
        included: a weight decay, covariate bins or the input lasso given explicitly wins.
        """
        raw = not _has_covariates(inputs) or (self.response == "smooth" and not self.feature_bins and not self.input_lasso)
        return raw and self.weight_decay is None and self.trains_as_stack()

    def may_blend(self, inputs: list[InputSpec]) -> bool:
        """Whether the ladder's choice may blend several rungs (smoothness.py): for a coordinate-only map. On the
        banana slugs' six fields a blended smooth response lost accuracy under spatial blocks (0.926 -> 0.918, and
        0.947 -> 0.941 with x, y), so a response to covariates keeps its one chosen rung."""
        return self.chooses_smoothness(inputs) and not _has_covariates(inputs)

    def fits(self, inputs: list[InputSpec]) -> int:
        """How many fits training runs at most, each one bar's worth of epochs.

        One, unless it chooses the response: then each response is scored on inner folds,
        in one fit where its networks train as a stack (its model among them, so no final
        fit follows when it wins), else in INNER_FOLDS fits and a final one. A winner that
        trained as a stack may add one fit more, its detail near the samples (near_detail.py,
        which needs the CRS): training.planned_fits counts it where it is sure to follow.
        """
        if not self.chooses_response(inputs):
            return 1
        stacked = [self.settled(inputs, r).trains_as_stack() for r in RESPONSE_SETTINGS]
        return sum(1 if s else INNER_FOLDS for s in stacked) + (not all(stacked))

    def settled(self, inputs: list[InputSpec], response: str | None = None) -> "TrainingConfig":
        """The config with every setting left open (None) filled in, for these inputs and this response.

        A location-only map and a smooth response choose their weight decay on inner folds
        (smoothness.py); where they cannot (sgd, dropout, ...), a location-only map gets
        none, as the clean generated maps want, and a smooth response RESPONSE_SETTINGS'.
        Weight decay was measured for adam's decoupled decay; sgd's is an L2 penalty on
        another scale, so it stays 0 there unless given.
        """
        response = response or self.response
        covariates = _has_covariates(inputs)
        if not covariates:
            if self.response != "auto":
                raise SettingError(
                    "{response} {value} describes the response to covariates or fields, and there are none; "
                    "add a covariate or fields, or leave {response} at auto", value=self.response
                )
            defaults = SMOOTHNESS_SETTINGS if self.chooses_smoothness(inputs) else LOCATION_SETTINGS
        elif response == "auto":
            raise ValueError("choose the response (choose_response) before settling the config")
        else:
            defaults = dict(RESPONSE_SETTINGS[response])
            if response == "smooth" and replace(self, response=response).chooses_smoothness(inputs):
                defaults = dict(SMOOTHNESS_SETTINGS)
            elif self.optimizer != "adam":
                defaults["weight_decay"] = 0.0
        filled = {name: value for name, value in defaults.items() if getattr(self, name) is None}
        return replace(self, response=response if covariates else self.response, **filled)

    def for_samples(self, samples: int) -> "TrainingConfig":
        """The config with its epochs settled for this many training samples (default_epochs), unless given."""
        return self if self.epochs is not None else replace(self, epochs=default_epochs(samples))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data


@dataclass(frozen=True)
class MapSettings:
    """How predict-raster draws a class map: every option besides the grid, the outputs and the mask, declared once."""

    resampling: str = setting(
        "bilinear", "How covariate rasters are resampled onto the map's grid (nearest for categorical rasters).",
        "Covariate resampling", choices=RESAMPLINGS,
    )
    confidence_measure: str = setting(
        "top", "top: the winning class's probability; entropy: 1 - normalized entropy (1 = certain).",
        "Confidence measure", choices=CONFIDENCE_MEASURES,
    )
    cog: bool = setting(False, "Write Cloud Optimized GeoTIFFs with overviews (mode resampling for classes).",
                        "Cloud Optimized GeoTIFF", advanced=False)
    device: str = setting("cpu", "Where to classify: cpu, cuda, or auto (cuda when there is one).", "Device", choices=DEVICES)
    force: bool = setting(False, "Allow grids over the size limit.", "Allow huge grids")
    workers: int | None = setting(
        None, "Compute the windows on a local Dask cluster of this many worker processes (needs dask[distributed]).",
        "Dask workers", minimum=1,
    )
    scheduler: str | None = setting(
        None, "Compute the windows on an existing Dask cluster at this address (tcp://HOST:PORT).", "Dask scheduler",
    )

    def check(self) -> None:
        check_settings(self)
        if self.workers is not None and self.scheduler:
            raise SettingError("give either {scheduler} (an existing Dask cluster) or {workers} (a local one), not both")


def _has_covariates(inputs: list[InputSpec]) -> bool:
    return any(spec.kind != "coordinate" for spec in inputs)
