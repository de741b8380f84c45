"""One network fitted under a settled config: the training loop itself.

Beyond the plain loop: each epoch scored on a stratified hold-out when there is one,
early stopping that keeps the best epoch's weights, a temperature fitted on the
hold-out so that probabilities are calibrated (Guo et al. 2017), balanced class weights
for rare species, and the input lasso of the threshold response. A network scored on
inner folds while it trains (a map whose smoothness is left open, a response being
chosen) trains in a stack with its inner-fold twins instead (network_stack.py).
"""

from __future__ import annotations

import copy
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch

from .config import TrainingConfig
from .encoding import Binning, Encoding, spherical_spread
from .errors import GeoclfError, SettingError
from .inputs import InputSpec, Scaler
from .network import Architecture, resolve_device
from .network_stack import InnerFoldFit, Rung, fit_on_inner_folds, stack_batch_size
from .near_detail import (adds_detail, choose_detail, detail_architecture, detail_rungs, fit_far_blend, near_columns,
                          near_left_out, near_samples, repeats_only)
from .smoothness import LADDER, blended_network, choose_blend, smoothness_choice, with_class_frequencies

OPTIMIZER_CLASSES = {"adam": torch.optim.AdamW, "sgd": torch.optim.SGD}


@dataclass
class FitResult:
    """What one fit returns: the network with all it needs to be used, and how the fit went.

    `metrics` holds the figures the model file keeps (losses, accuracies, seconds, the
    kept epoch, the temperature, a smoothness choice); `history` one record per epoch.
    """

    network: torch.nn.Module
    architecture: Architecture
    scaler: Scaler
    device: torch.device
    temperature: float = 1.0
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    stacked: tuple[InnerFoldFit, dict[Rung, float]] | None = None  # the inner-fold fit and its blend, when it trained so

    @torch.no_grad()
    def logits(self, values: np.ndarray) -> torch.Tensor:
        """The network's raw scores for unscaled input values (no temperature), on the fit's device."""
        return self.network.eval()(torch.from_numpy(self.scaler.transform(values)).to(self.device))


def encoding_for(config: TrainingConfig, inputs: list[InputSpec], train_values: np.ndarray, crs) -> Encoding:
    """The location encoding the config asks for, placed on the coordinate inputs (on the sphere for lon/lat)."""
    columns = tuple(i for i, spec in enumerate(inputs) if spec.kind == "coordinate")
    if config.encoding == "none":
        return Encoding()
    if len(columns) != 2:
        raise SettingError("{encoding} {value} encodes the coordinates, which are not inputs; drop {no_xy} or the encoding", value=config.encoding)
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


def tag_records(on_epoch, **fields):
    """`on_epoch` with `fields` added to every record (which fit it is, of how many; the epochs), or None without one."""
    return None if on_epoch is None else (lambda record: on_epoch({**record, **fields}))


@contextmanager
def flushing_denormals():
    """Floats below 1e-38 read as zero while training.

    Weight decay and the input lasso shrink unused weights towards zero, into the
    denormal range, where a CPU computes many times slower: the smoothness ladder's
    stack took twice as long in its late epochs. Flushed to zero they change no
    prediction. The switch is torch's, process-wide, so it is turned off again after.
    """
    switched = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if switched:
            torch.set_flush_denormal(False)


@flushing_denormals()
def fit_network(train_x, train_y, classes: int, config: TrainingConfig, inputs, crs, validation=None, on_epoch=None,
                groups=None, inner_folds: bool = False) -> FitResult:
    """One network (with its scaler and encodings) fitted to input values under a settled config (its epochs too,
    settled for the survey by training.train): the loop itself.

    A network whose config chooses its smoothness, or that is asked for its `inner_folds`
    loss (response.py), trains side by side with its inner-fold twins (network_stack.py)
    and records that loss ("inner_fold_log_loss"). `groups` (the training polygon of each
    sample) keep a polygon whole in those inner folds.

    With `validation` (values, codes) each epoch is scored on it; early stopping then
    keeps the best epoch's weights, and a temperature is fitted on it (when calibrating).
    """
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    encoding = encoding_for(config, inputs, train_x, crs)
    scaler = Scaler.fit(train_x, config.scaling, unscaled=encoding.columns if encoding.sphere else ())
    overflowing = [spec.name for spec, offset, scale in zip(inputs, scaler.offset, scaler.scale) if not np.isfinite([offset, scale]).all()]
    if overflowing:
        raise GeoclfError(f"the values of {', '.join(overflowing)} are too large to scale (their mean or spread overflows); "
                          "rescale them, e.g. to other units")
    others = tuple(i for i, spec in enumerate(inputs) if spec.kind != "coordinate")
    scaled_train = scaler.transform(train_x)
    binning = Binning.fit(scaled_train, others, config.feature_bins)
    architecture = Architecture(
        len(inputs), tuple(config.hidden), classes, config.activation, encoding, config.residual, config.dropout, binning
    )
    weights = class_weights(train_y, classes).to(device) if config.class_weight == "balanced" else None
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    x = torch.from_numpy(scaled_train).to(device)
    y = torch.from_numpy(train_y).long().to(device)
    held_out = validation  # unscaled, for the detail's fit
    if validation is not None:
        vx = torch.from_numpy(scaler.transform(validation[0])).to(device)
        vy = torch.from_numpy(validation[1]).long().to(device)
        validation = (vx, vy)

    started = time.perf_counter()
    detailed = adds_detail(config, inputs, crs) and not inner_folds  # inner folds: a response being chosen, detail after
    # the detail's stack a second run of epochs, and where the ladder may blend, the blend's far fit a third (counted
    # from the start, so that the bar never runs back; closed at once when no blend is kept)
    runs = (3 if config.may_blend(inputs) else 2) if detailed else 1
    report = tag_records(on_epoch, epochs=config.epochs * runs)
    if inner_folds and not config.trains_as_stack():
        raise ValueError("only a network that trains as a stack is scored on inner folds within its fit")
    if config.chooses_smoothness(inputs) or inner_folds:
        rungs = LADDER if config.chooses_smoothness(inputs) else (Rung(config.weight_decay, config.input_lasso),)
        stacked = fit_on_inner_folds(x, y, classes, architecture, config, rungs, report, validation, groups)
        if config.may_blend(inputs):  # a map from x, y alone: its ladder's limit, the class frequencies, is a rung too
            stacked = with_class_frequencies(stacked, y, architecture, weights)
        chosen = stacked.chosen
        blend, evidence = choose_blend(stacked, weights) if config.may_blend(inputs) else ({chosen: 1.0}, None)
        network, architecture = blended_network(stacked, blend, architecture)
        history = stacked.history[chosen]
        metrics = {"epochs_run": len(history), "batch_size": stacked.batch_size,
                   "inner_fold_log_loss": round(stacked.losses[chosen], 5)}
        if len(rungs) > 1:
            metrics["smoothness_choice"] = smoothness_choice(stacked, blend, evidence)
        metrics["seconds"] = round(time.perf_counter() - started, 3)
        fitted = _finish(network.to(device), architecture, scaler, history, history[-1], x, y, loss_fn, validation,
                         config, metrics, device)
        fitted.stacked = (stacked, blend)
        if detailed:
            fitted = add_near_detail(fitted, train_x, train_y, classes, config, inputs, _run_of(on_epoch, 1, runs, config),
                                     held_out, groups, _run_of(on_epoch, 2, runs, config) if runs == 3 else None)
        return fitted

    network = architecture.build().to(device)
    optimizer = OPTIMIZER_CLASSES[config.optimizer](network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs) if config.lr_schedule == "cosine" else None
    penalty = _input_lasso(network, architecture, config.input_lasso)
    shuffler = torch.Generator().manual_seed(config.seed)
    history: list[dict] = []
    best = {"loss": float("inf"), "epoch": 0, "state": None}
    batch_size = config.batch_size or stack_batch_size(len(x), config.epochs, 32)  # left open: as a stack's
    for epoch in range(1, config.epochs + 1):
        network.train()
        total = 0.0
        for batch in torch.randperm(len(x), generator=shuffler).to(device).split(batch_size):
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
        if report is not None:
            report(record)
        if config.patience and epoch - best["epoch"] >= config.patience:
            break
    metrics = {"seconds": round(time.perf_counter() - started, 3), "epochs_run": len(history), "batch_size": batch_size}
    kept = history[-1]
    if config.patience and best["state"] is not None:  # early stopping keeps the epoch that did best on the hold-out
        network.load_state_dict(best["state"])
        metrics["best_epoch"] = best["epoch"]
        kept = history[best["epoch"] - 1]
    return _finish(network, architecture, scaler, history, kept, x, y, loss_fn, validation, config, metrics, device)


def _run_of(on_epoch, before: int, runs: int, config: TrainingConfig):
    """`on_epoch` for one more run of the config's epochs within a fit: after `before` runs, of `runs` in all."""
    if on_epoch is None:
        return None
    return lambda record: on_epoch({**record, "epoch": record["epoch"] + before * config.epochs, "epochs": runs * config.epochs})


def _close_run(on_epoch, fitted: FitResult, config: TrainingConfig) -> None:
    """Report a counted run of epochs as done with nothing trained: its last record, carrying the fit's last figures."""
    if on_epoch is not None:
        on_epoch({**fitted.history[-1], "epoch": config.epochs})


def add_near_detail(fitted: FitResult, train_x, train_y, classes: int, config: TrainingConfig, inputs, on_epoch=None,
                    validation=None, groups=None, far_on_epoch=None) -> FitResult:
    """The fitted smooth map with a detailed one mixed in near the samples where the inner folds say so, and a blend
    weighed beyond the samples' reach as spatial-block inner folds say (near_detail.py), the choices recorded in its
    metrics, the training figures and temperature scored again. `fitted` trained on inner folds (its `stacked`), on
    the same samples and hold-out (`validation`: values and codes) as the detail's stack does, which reports its
    epochs to `on_epoch`; a blend's far fit reports its own to `far_on_epoch`. Where no left-out sample lies near
    (near_left_out), no detail is trained."""
    started = time.perf_counter()
    stacked, blend = fitted.stacked
    device = fitted.device
    weights = class_weights(train_y, classes).to(device) if config.class_weight == "balanced" else None
    x = torch.from_numpy(fitted.scaler.transform(train_x)).to(device)
    y = torch.from_numpy(train_y).long().to(device)
    if validation is not None:
        validation = (torch.from_numpy(fitted.scaler.transform(validation[0])).to(device),
                      torch.from_numpy(validation[1]).long().to(device))
    columns, repeats = near_columns(inputs), repeats_only(inputs)
    points = x[:, columns].detach().cpu().double().numpy()
    reach, near, why_not = near_left_out(points, stacked.inner, repeats)
    if why_not is not None:  # nothing to test a detail on: none is trained, and its runs of epochs end here
        for report in (on_epoch, far_on_epoch):
            _close_run(report, fitted, config)
        fitted.metrics = {**fitted.metrics, "near_detail": {"share": 0.0, "reason": why_not}}
        return fitted
    architecture_of_detail = detail_architecture(fitted.architecture, inputs, config.seed, x.cpu().numpy())
    rungs = detail_rungs(inputs)
    detail = fit_on_inner_folds(x, y, classes, architecture_of_detail, config, rungs, on_epoch, validation, groups)
    detail_blend, detail_evidence = choose_blend(detail, weights) if len(rungs) > 1 else ({detail.chosen: 1.0}, None)
    share, record = choose_detail(stacked, blend, detail, detail_blend, reach, near, weights, repeats)
    record["detail"] = smoothness_choice(detail, detail_blend, detail_evidence)
    far = blend
    if len(blend) > 1 and reach > 0:
        far, record["far_blend"] = fit_far_blend(x, y, classes, fitted.architecture, config, blend, train_x[:, columns],
                                                 weights, far_on_epoch)
    else:  # its run of epochs was counted: done, with nothing to fit
        _close_run(far_on_epoch, fitted, config)
    metrics = {**fitted.metrics, "near_detail": record}
    metrics["seconds"] = round(metrics["seconds"] + time.perf_counter() - started, 3)
    if share == 0 and far == blend:
        fitted.metrics = metrics
        return fitted
    mixed_in = (detail, detail_blend, architecture_of_detail) if share > 0 else None
    network, architecture = near_samples(fitted.network, fitted.architecture, columns, points, reach, blend, far,
                                         mixed_in, share)
    metrics = {k: v for k, v in metrics.items() if not k.startswith(("train_", "val_", "temperature"))}
    kept = {k: v for k, v in fitted.history[-1].items() if not k.startswith("val_")}  # the mix was not scored per epoch
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    return replace(_finish(network.to(device), architecture, fitted.scaler, fitted.history, kept, x, y, loss_fn, validation,
                           config, metrics, device), stacked=fitted.stacked)


def _finish(network, architecture, scaler, history, kept, x, y, loss_fn, validation, config, metrics, device) -> FitResult:
    """Score the fitted network on its training samples and the hold-out (scaled tensors), and calibrate it there.

    A network whose weights or loss are not finite diverged: it is refused here, so no
    model that draws a one-class or random map is ever saved.
    """
    metrics.update(_score(network, x, y, loss_fn, prefix="train_"))
    finite = math.isfinite(metrics["train_loss"]) and all(torch.isfinite(p).all() for p in network.parameters())
    if not finite:
        raise SettingError(
            "training diverged (training loss {loss}): the steps were too large; lower {lr} (now {now:g})",
            loss=metrics["train_loss"], now=config.lr,
        )
    temperature = 1.0
    if validation is not None:
        vx, vy = validation
        metrics["val_samples"] = int(len(vy))
        recorded = {k: v for k, v in kept.items() if k.startswith("val_")}  # the kept epoch's, as recorded
        metrics.update(recorded or _score(network, vx, vy, loss_fn, prefix="val_"))
        if config.calibrate:
            with torch.no_grad():
                logits = network.eval()(vx)
            temperature = fit_temperature(logits, vy)
            metrics["temperature"] = round(temperature, 4)
            metrics["val_log_loss_uncalibrated"] = float(torch.nn.functional.cross_entropy(logits, vy))
            metrics["val_log_loss"] = float(torch.nn.functional.cross_entropy(logits / temperature, vy))
    return FitResult(network, architecture, scaler, device, temperature, history, metrics)


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
