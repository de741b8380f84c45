"""Hold-outs and inner folds that keep every class in training.

Field surveys have rare classes: three sightings of a species is the normal case. A
class with fewer samples than a split has parts cannot be in every part, and a model
whose training part lacks a class can never map it. So a class too small to stratify
stays in every training part and is never held out; the other classes are split with
scikit-learn's stratified splitters, exactly as they would be without the rare ones.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import GeoclfError


def stratifiable(codes: np.ndarray, parts: int) -> np.ndarray:
    """Which samples belong to a class with at least `parts` samples (one for each part of the split)."""
    counts = np.bincount(codes)
    return counts[codes] >= parts


def holdout(codes: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, hold-out indices): a stratified share `fraction` held out.

    A class is held out from only where it can give the hold-out at least one sample
    (count x fraction >= 1); smaller classes stay whole in training.
    """
    from sklearn.model_selection import train_test_split

    everything = np.arange(len(codes))
    parts = math.ceil(1 / fraction - 1e-9)
    split = stratifiable(codes, parts)
    if not split.any():
        raise GeoclfError(
            f"every class has fewer than {parts} samples, so a hold-out of {fraction:g} "
            "would take none; raise the validation share or set it to 0"
        )
    train, held = train_test_split(everything[split], test_size=fraction, stratify=codes[split], random_state=seed)
    return np.concatenate([train, everything[~split]]), held  # in train_test_split's order, which training sees


def stratified_folds(codes: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training indices, left-out indices) for each of `folds` stratified folds; rare classes always train."""
    from sklearn.model_selection import StratifiedKFold

    everything = np.arange(len(codes))
    stratify = stratifiable(codes, folds)
    split, always = everything[stratify], everything[~stratify]
    if len(split) < folds:
        raise GeoclfError(f"too few samples to make {folds} inner folds; collect more samples, or give the settings (weight decay, response) that training would choose on them")
    found = StratifiedKFold(folds, shuffle=True, random_state=seed).split(split, codes[split])
    return [(np.sort(np.concatenate([split[train], always])), split[test]) for train, test in found]
