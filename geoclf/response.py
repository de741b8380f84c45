"""How species respond to covariates and fields: thresholds or smooth, chosen on inner folds.

Species answer some covariates with thresholds (deeper than 1 m: crayfish) and others
smoothly (a little warmer, a little likelier). A network for thresholds sees binned
inputs and is pushed to use few of them (the input lasso); one for smooth responses
sees raw inputs under a weight decay that it chooses itself on the same inner folds
(smoothness.py), since no one decay suits every survey. Neither response wins
everywhere (benchmarks/model_selection.py, benchmarks/real_data.py), so by default
training tries both on inner folds of the samples and keeps the one with the lower
held-out log loss.
"""

from __future__ import annotations

import time
from dataclasses import replace

import torch

from .config import INNER_FOLDS, RESPONSE_SETTINGS, TrainingConfig
from .fitting import FitResult, fit_network, tag_records
from .splits import stratified_folds


def choose_response(values, codes, classes: int, config: TrainingConfig, inputs, crs, on_epoch=None, fits: int = 0,
                    groups=None, validation=None) -> tuple[dict, FitResult | None]:
    """Threshold or smooth: the response whose networks, fitted on INNER_FOLDS stratified inner folds of the
    training samples, give the lower log loss on the samples each one left out.

    Log loss rather than accuracy: it tells the two apart on a fold's few samples where
    accuracy often ties (benchmarks/model_selection.py). A response whose network trains
    as a stack (the plain network under adam) trains its inner networks and its model
    side by side (network_stack.py): its loss is that of its best rung (for the smooth
    response, its best weight decay), and when it wins its model is returned (with
    `validation` scored), so nothing is refitted. Any other takes INNER_FOLDS fits, and
    training fits its model after. Returns the choice (each response's loss, the fits
    run) and the winner's model or None.
    """
    folds = stratified_folds(codes, INNER_FOLDS, config.seed, groups)  # the folds network_stack.py draws, too
    scored = max(sum(len(left_out) for _, left_out in folds), 1)
    losses, trained, fit, started = {}, {}, 0, time.perf_counter()
    for response in RESPONSE_SETTINGS:
        settled = config.settled(inputs, response)
        if settled.trains_as_stack():
            fit += 1
            trained[response] = fit_network(values, codes, classes, settled, inputs, crs, validation,
                                            tag_records(on_epoch, fit=fit, fits=fits), groups, inner_folds=True)
            losses[response] = trained[response].metrics["inner_fold_log_loss"]
            continue
        settled = replace(settled, val_fraction=0.0, patience=0)
        total = 0.0
        for used, left_out in folds:
            fit += 1
            fitted = fit_network(values[used], codes[used], classes, settled, inputs, crs, None,
                                 tag_records(on_epoch, fit=fit, fits=fits), None if groups is None else groups[used])
            logits = fitted.logits(values[left_out])
            truth = torch.from_numpy(codes[left_out]).long().to(fitted.device)
            total += float(torch.nn.functional.cross_entropy(logits, truth, reduction="sum"))
        losses[response] = round(total / scored, 5)
    chosen = min(losses, key=losses.get)
    seconds = round(time.perf_counter() - started, 3)
    choice = {"response": chosen, "inner_folds": INNER_FOLDS, "log_loss": losses, "seconds": seconds, "fits": fit}
    return choice, trained.get(chosen)


def describe_response(training: dict, metrics: dict) -> str:
    """The response a model was trained for and, when training chose it, the evidence."""
    choice = metrics.get("response_choice")
    if choice is None:
        return str(training.get("response", "auto"))
    losses = ", ".join(f"{name} {loss:.4f}" for name, loss in choice["log_loss"].items())
    spent = f" in {choice['seconds']:.1f} s" if "seconds" in choice else ""
    return f"{choice['response']}, chosen by log loss on {choice['inner_folds']} inner folds{spent} ({losses})"
