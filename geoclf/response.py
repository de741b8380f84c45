"""How species respond to covariates and fields: thresholds or smooth, chosen on inner folds.

Species answer some covariates with thresholds (deeper than 1 m: crayfish) and others
smoothly (a little warmer, a little likelier). A network for thresholds sees binned
inputs and is pushed to use few of them (the input lasso); one for smooth responses
sees raw inputs under weight decay. Neither wins everywhere (benchmarks/model_selection.py),
so by default training tries both on inner folds of the samples and keeps the one with
the lower held-out log loss.
"""

from __future__ import annotations

import time
from dataclasses import replace

import torch

from .config import RESPONSE_FOLDS, RESPONSE_SETTINGS, TrainingConfig
from .fitting import fit_network
from .splits import stratified_folds


def choose_response(values, codes, classes: int, config: TrainingConfig, inputs, crs, on_epoch=None, fits: int = 0,
                    groups=None) -> dict:
    """Threshold or smooth: the response whose networks, fitted on RESPONSE_FOLDS stratified inner
    folds of the training samples, give the lower log loss on the samples each one left out.

    Log loss rather than accuracy: it tells the two apart on a fold's few samples where
    accuracy often ties (benchmarks/model_selection.py). Returns the choice and each response's loss.
    """
    folds = stratified_folds(codes, RESPONSE_FOLDS, config.seed, groups)
    losses, fit, started = {}, 0, time.perf_counter()
    for response in RESPONSE_SETTINGS:
        settled = replace(config.settled(inputs, response), val_fraction=0.0, patience=0)
        total = 0.0
        for used, left_out in folds:
            fit += 1
            report = None if on_epoch is None else (lambda record, fit=fit: on_epoch({**record, "fit": fit, "fits": fits}))
            fitted = fit_network(values[used], codes[used], classes, settled, inputs, crs, None, report,
                                 None if groups is None else groups[used])
            logits = fitted.logits(values[left_out])
            truth = torch.from_numpy(codes[left_out]).long().to(fitted.device)
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
