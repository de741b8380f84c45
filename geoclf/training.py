"""Training: samples in, a Model out, the same Model for the same seed and data.

Beyond the plain loop: a stratified hold-out that early stopping watches (the best
epoch's weights are kept) and on which a temperature is fitted so that probabilities
are calibrated; balanced class weights for rare species; and, when covariates or
attributes are inputs, a choice of how the species respond to them.

Species answer some covariates with thresholds (deeper than 1 m: crayfish) and others
smoothly (a little warmer, a little likelier). A network for thresholds sees binned
inputs and is pushed to use few of them (the input lasso); one for smooth responses
sees raw inputs under weight decay. Neither wins everywhere (benchmarks/model_selection.py),
so by default training tries both on inner folds of the samples and keeps the one with
the lower held-out log loss.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, replace
from typing import Callable

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from .colors import class_colors
from .errors import GeoclfError
from .encoding import Binning, Encoding, spherical_spread
from .features import COORDINATE_INPUTS, SCALINGS, InputSpec, Scaler, coordinates, input_values
from .model import Model
from .network import ACTIVATIONS, Architecture, resolve_device
from .samples import Samples

MIN_SAMPLES_PER_CLASS = 5
MAX_CLASSES = 255  # class codes are uint8 in the raster, with 255 kept for nodata
OPTIMIZERS = {"adam": torch.optim.AdamW, "sgd": torch.optim.SGD}  # AdamW: weight decay decoupled from the step
LR_SCHEDULES = ("cosine", "constant")
CLASS_WEIGHTS = ("none", "balanced")
RESPONSES = ("auto", "threshold", "smooth")
# The settings each response stands for; an option given explicitly overrides them (benchmarks/model_selection.py).
RESPONSE_SETTINGS = {
    "threshold": {"feature_bins": 32, "input_lasso": 0.02, "weight_decay": 0.0, "batch_size": 32},
    "smooth": {"feature_bins": 0, "input_lasso": 0.0, "weight_decay": 2.0, "batch_size": 128},
}
LOCATION_SETTINGS = {"feature_bins": 0, "input_lasso": 0.0, "weight_decay": 0.0, "batch_size": 32}  # coordinates only
RESPONSE_FOLDS = 3  # inner folds on which --response auto compares the two


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. The defaults beat the teaching text's setup on the spiral (see README)."""

    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 200
    batch_size: int | None = None  # None, as every setting below marked so: from the response (RESPONSE_SETTINGS)
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
    weight_decay: float | None = None
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

    def fits(self, inputs: list[InputSpec]) -> int:
        """How many networks training fits: the model, plus two per inner fold when it chooses the response."""
        return 1 + (len(RESPONSE_SETTINGS) * RESPONSE_FOLDS if self.chooses_response(inputs) else 0)

    def settled(self, inputs: list[InputSpec], response: str | None = None) -> "TrainingConfig":
        """The config with every setting left open (None) filled in, for these inputs and this response.

        A location-only map needs every bit of its network's freedom (weight decay 0.3
        already costs the checkerboard 0.07 of accuracy), so it gets no penalty at all.
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
            defaults = LOCATION_SETTINGS
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


def encode_labels(samples: Samples, keep: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Class names in code order (sorted) and the code of each kept sample, after the checks training needs."""
    labels = samples.labels if keep is None else samples.labels[keep]
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes, minlength=len(classes))
    if len(classes) < 2:
        only = f" (only {classes[0]!r})" if len(classes) else ""
        raise GeoclfError(f"field {samples.label!r} has fewer than 2 classes{only}; a classifier needs at least 2 species")
    if len(classes) > MAX_CLASSES:
        raise GeoclfError(f"field {samples.label!r} has {len(classes)} classes; geoclf supports at most {MAX_CLASSES}")
    few = [f"{name!r} ({count})" for name, count in zip(classes, counts) if count < MIN_SAMPLES_PER_CLASS]
    if few:
        raise GeoclfError(
            f"too few samples for class {', '.join(few)}; each class needs at least {MIN_SAMPLES_PER_CLASS}: "
            "collect more or remove the class"
        )
    return [str(c) for c in classes], codes


def _split(values, codes, fraction, seed):
    """(train values, train codes, hold-out values, hold-out codes); no hold-out when fraction is 0."""
    if fraction == 0:
        return values, codes, None, None
    try:
        train_x, val_x, train_y, val_y = train_test_split(values, codes, test_size=fraction, stratify=codes, random_state=seed)
        return train_x, train_y, val_x, val_y
    except ValueError:
        raise GeoclfError(
            f"--val-fraction {fraction} leaves too few hold-out samples for every class to have one; raise it or set it to 0"
        ) from None


def usable_values(samples: Samples, inputs: list[InputSpec]) -> tuple[np.ndarray, np.ndarray]:
    """Input values of the samples and which samples have all of them (covariate nodata or outside: not)."""
    values, valid = input_values(samples.points, inputs, samples.crs, "the samples")
    if not valid.any():
        raise GeoclfError(
            f"none of the {len(valid)} samples has a value for every input (covariates nodata or outside their rasters, "
            "or empty attributes); check that the rasters cover the samples"
        )
    return values[valid], valid


def encoding_for(config: TrainingConfig, inputs: list[InputSpec], train_values: np.ndarray, crs) -> Encoding:
    """The location encoding the config asks for, placed on the coordinate inputs (on the sphere for lon/lat)."""
    columns = tuple(i for i, spec in enumerate(inputs) if spec.kind == "coordinate")
    if config.encoding == "none":
        return Encoding()
    if len(columns) != 2:
        raise GeoclfError(f"--encoding {config.encoding} encodes the coordinates, which are not inputs; drop --no-xy or the encoding")
    sphere = bool(crs is not None and crs.is_geographic)
    spread = spherical_spread(train_values[:, list(columns)]) if sphere else 1.0
    return Encoding(config.encoding, config.encoding_frequencies, config.encoding_scale, columns, sphere, spread, config.seed)


def class_weights(codes: np.ndarray, classes: int) -> torch.Tensor:
    """'balanced' weights n / (classes * count), as scikit-learn's class_weight='balanced'."""
    counts = np.bincount(codes, minlength=classes)
    return torch.from_numpy(len(codes) / (classes * counts)).float()


def fit_temperature(logits: torch.Tensor, truth: torch.Tensor) -> float:
    """The T > 0 that minimizes the negative log-likelihood of softmax(logits / T) (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t):
        return float(torch.nn.functional.cross_entropy(logits / float(np.exp(log_t)), truth))

    return float(np.exp(minimize_scalar(nll, bounds=(-4.0, 4.0), method="bounded").x))


def train(
    samples: Samples,
    config: TrainingConfig = TrainingConfig(),
    on_epoch: Callable[[dict], None] | None = None,
    inputs: list[InputSpec] | None = None,
) -> Model:
    """Fit an MLP to the samples' inputs (by default their coordinates); `on_epoch` receives each epoch's losses.

    Each record also says which fit it belongs to ("fit" of "fits": with --response auto
    the inner-fold fits come first). Samples missing an input value are dropped and
    counted in the model's metrics.
    """
    config.check()
    inputs = list(inputs) if inputs is not None else list(COORDINATE_INPUTS)
    fits = config.fits(inputs)
    values, valid = usable_values(samples, inputs)
    classes, codes = encode_labels(samples, valid)
    train_x, train_y, val_x, val_y = _split(values, codes, config.val_fraction, config.seed)

    choice = None
    if config.chooses_response(inputs):
        choice = choose_response(train_x, train_y, len(classes), config, inputs, samples.crs, on_epoch, fits)
        config = config.settled(inputs, choice["response"])
    else:
        config = config.settled(inputs)
    validation = (val_x, val_y) if val_x is not None else None
    report = None if on_epoch is None else (lambda record: on_epoch({**record, "fit": fits, "fits": fits}))
    fitted = _fit(train_x, train_y, len(classes), config, inputs, samples.crs, validation, report)

    metrics = {
        "samples": int(len(values)),
        "dropped_samples": int((~valid).sum()),
        "train_samples": int(len(train_x)),
        "class_counts": {name: int(n) for name, n in zip(classes, np.bincount(codes, minlength=len(classes)))},
        **fitted["metrics"],
    }
    if choice is not None:
        metrics["response_choice"] = choice
    return Model(
        network=fitted["network"].cpu().eval(),
        architecture=fitted["architecture"],
        inputs=inputs,
        scaler=fitted["scaler"],
        classes=classes,
        colors=class_colors(len(classes)),
        label=samples.label,
        crs_wkt=samples.crs.to_wkt() if samples.crs is not None else None,
        extent=tuple(float(v) for v in samples.points[valid].total_bounds),
        training=config.to_dict(),
        metrics=metrics,
        history=fitted["history"],
        sample_points=coordinates(samples.points[valid]),
        temperature=fitted["temperature"],
    )


def choose_response(values, codes, classes: int, config: TrainingConfig, inputs, crs, on_epoch=None, fits: int = 0) -> dict:
    """Threshold or smooth: the response whose networks, fitted on RESPONSE_FOLDS stratified inner
    folds of the training samples, give the lower log loss on the samples each one left out.

    Log loss rather than accuracy: it tells the two apart on a fold's few samples where
    accuracy often ties (benchmarks/model_selection.py). Returns the choice and each response's loss.
    """
    import warnings

    from sklearn.model_selection import StratifiedKFold

    with warnings.catch_warnings():  # a class rarer than the folds: some folds lack it, which log loss still scores
        warnings.simplefilter("ignore", UserWarning)
        folds = list(StratifiedKFold(RESPONSE_FOLDS, shuffle=True, random_state=config.seed).split(values, codes))
    losses, fit, started = {}, 0, time.perf_counter()
    for response in RESPONSE_SETTINGS:
        settled = replace(config.settled(inputs, response), val_fraction=0.0, patience=0)
        total = 0.0
        for used, left_out in folds:
            fit += 1
            report = None if on_epoch is None else (lambda record, fit=fit: on_epoch({**record, "fit": fit, "fits": fits}))
            fitted = _fit(values[used], codes[used], classes, settled, inputs, crs, None, report)
            with torch.no_grad():
                logits = fitted["network"].eval()(torch.from_numpy(fitted["scaler"].transform(values[left_out])).to(fitted["device"]))
            truth = torch.from_numpy(codes[left_out]).long().to(fitted["device"])
            total += float(torch.nn.functional.cross_entropy(logits, truth, reduction="sum"))
        losses[response] = round(total / len(codes), 5)
    seconds = round(time.perf_counter() - started, 3)
    return {"response": min(losses, key=losses.get), "inner_folds": RESPONSE_FOLDS, "log_loss": losses, "seconds": seconds}


def describe_response(training: dict, metrics: dict) -> str:
    """The response a model was trained for and, when training chose it, the evidence."""
    choice = metrics.get("response_choice")
    if choice is None:
        return str(training.get("response", "auto"))
    losses = ", ".join(f"{name} {loss:.4f}" for name, loss in choice["log_loss"].items())
    spent = f" in {choice['seconds']:.1f} s" if "seconds" in choice else ""
    return f"{choice['response']}, chosen by log loss on {choice['inner_folds']} inner folds{spent} ({losses})"


def _fit(train_x, train_y, classes: int, config: TrainingConfig, inputs, crs, validation=None, on_epoch=None) -> dict:
    """One network (with its scaler and encodings) fitted to input values under a settled config: the loop itself.

    With `validation` (values, codes) each epoch is scored on it; early stopping then
    keeps the best epoch's weights, and a temperature is fitted on it (when calibrating).
    Returns the network, its architecture, scaler, history, temperature and metrics.
    """
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    encoding = encoding_for(config, inputs, train_x, crs)
    scaler = Scaler.fit(train_x, config.scaling, unscaled=encoding.columns if encoding.sphere else ())
    others = tuple(i for i, spec in enumerate(inputs) if spec.kind != "coordinate")
    scaled_train = scaler.transform(train_x)
    binning = Binning.fit(scaled_train, others, config.feature_bins)
    architecture = Architecture(
        len(inputs), tuple(config.hidden), classes, config.activation, encoding, config.residual, config.dropout, binning
    )
    network = architecture.build().to(device)
    optimizer = OPTIMIZERS[config.optimizer](network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs) if config.lr_schedule == "cosine" else None
    weights = class_weights(train_y, classes).to(device) if config.class_weight == "balanced" else None
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    penalty = _input_lasso(network, architecture, config.input_lasso)
    shuffler = torch.Generator().manual_seed(config.seed)

    x = torch.from_numpy(scaled_train).to(device)
    y = torch.from_numpy(train_y).long().to(device)
    if validation is not None:
        vx = torch.from_numpy(scaler.transform(validation[0])).to(device)
        vy = torch.from_numpy(validation[1]).long().to(device)

    history: list[dict] = []
    best = {"loss": float("inf"), "epoch": 0, "state": None}
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        network.train()
        total = 0.0
        for batch in torch.randperm(len(x), generator=shuffler).to(device).split(config.batch_size):
            optimizer.zero_grad()
            loss = loss_fn(network(x[batch]), y[batch])
            (loss + penalty() if penalty else loss).backward()
            optimizer.step()
            total += loss.item() * len(batch)
        if schedule is not None:
            schedule.step()
        record = {"epoch": epoch, "loss": total / len(x)}
        if validation is not None:
            record.update(_score(network, vx, vy, loss_fn, prefix="val_"))
            if record["val_loss"] < best["loss"]:
                best = {"loss": record["val_loss"], "epoch": epoch, "state": copy.deepcopy(network.state_dict())}
        history.append(record)
        if on_epoch is not None:
            on_epoch({**record, "epochs": config.epochs})
        if config.patience and epoch - best["epoch"] >= config.patience:
            break
    metrics = {"seconds": round(time.perf_counter() - started, 3), "epochs_run": len(history)}
    kept = history[-1]
    if config.patience and best["state"] is not None:  # early stopping keeps the epoch that did best on the hold-out
        network.load_state_dict(best["state"])
        metrics["best_epoch"] = best["epoch"]
        kept = history[best["epoch"] - 1]
    metrics.update(_score(network, x, y, loss_fn, prefix="train_"))
    temperature = 1.0
    if validation is not None:
        metrics["val_samples"] = int(len(vy))
        metrics.update({k: v for k, v in kept.items() if k.startswith("val_")})  # the kept epoch's, as recorded
        if config.calibrate:
            with torch.no_grad():
                logits = network.eval()(vx)
            temperature = fit_temperature(logits, vy)
            metrics["temperature"] = round(temperature, 4)
            metrics["val_log_loss_uncalibrated"] = float(torch.nn.functional.cross_entropy(logits, vy))
            metrics["val_log_loss"] = float(torch.nn.functional.cross_entropy(logits / temperature, vy))
    return {
        "network": network, "architecture": architecture, "scaler": scaler, "history": history,
        "temperature": temperature, "metrics": metrics, "device": device,
    }


def _input_lasso(network, architecture: Architecture, strength: float) -> Callable[[], torch.Tensor] | None:
    """strength x the sum over inputs of the norm of the first layer's weights from that input (a group lasso).

    Species follow few factors: the penalty lets the network drop an input that another
    explains better, as a tree that splits on depth alone does, instead of leaning on
    every correlated covariate and on x, y (LassoNet, Lemhadri et al. 2021, selects inputs so).
    """
    if not strength:
        return None
    first = next(m for m in network.modules() if isinstance(m, torch.nn.Linear))
    sources = np.asarray(architecture.input_sources())
    groups = [torch.from_numpy(np.flatnonzero(sources == s)).to(first.weight.device) for s in np.unique(sources)]
    return lambda: strength * sum(first.weight[:, group].norm() for group in groups)


@torch.no_grad()
def _score(network, x, y, loss_fn, prefix: str) -> dict:
    network.eval()
    logits = network(x)
    return {
        f"{prefix}loss": float(loss_fn(logits, y)),
        f"{prefix}accuracy": float((logits.argmax(dim=1) == y).float().mean()),
    }
