"""Hold-outs and inner folds that keep every class in training.

Field surveys have rare classes: three sightings of a species is the normal case. A
class with fewer samples than a split has parts cannot be in every part, and a model
whose training part lacks a class can never map it. So a class too small to stratify
stays in every training part and is never held out; the other classes are split with
scikit-learn's stratified splitters, exactly as they would be without the rare ones.

Samples in groups (the cells of one training polygon) are split group by group, with
scikit-learn's StratifiedGroupKFold: a polygon is held out whole or not at all, and a
class counts as many parts as it has polygons.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import GeoclfError


def stratifiable(codes: np.ndarray, parts: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Which samples belong to a class with at least `parts` samples (or groups), one for each part of the split."""
    if groups is None:
        counts = np.bincount(codes)
    else:
        pairs = np.unique(np.column_stack([codes, np.unique(groups, return_inverse=True)[1].ravel()]), axis=0)
        counts = np.bincount(pairs[:, 0], minlength=codes.max() + 1)
    return counts[codes] >= parts


def holdout(codes: np.ndarray, fraction: float, seed: int, groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, hold-out indices): a stratified share `fraction` held out, whole groups when given.

    A class is held out from only where it can give the hold-out at least one sample
    (count x fraction >= 1); smaller classes stay whole in training.
    """
    from sklearn.model_selection import train_test_split

    everything = np.arange(len(codes))
    parts = math.ceil(1 / fraction - 1e-9)
    split = stratifiable(codes, parts, groups)
    if not split.any():
        raise GeoclfError(
            f"every class has fewer than {parts} {'polygons' if groups is not None else 'samples'}, so a hold-out of {fraction:g} "
            "would take none; raise the validation share or set it to 0"
        )
    if groups is not None:  # one of `parts` group folds is the hold-out
        train, held = _group_folds(codes, parts, seed, groups, everything[split])[0]
    else:
        train, held = train_test_split(everything[split], test_size=fraction, stratify=codes[split], random_state=seed)
    return np.concatenate([train, everything[~split]]), held  # in train_test_split's order, which training sees


def stratified_folds(codes: np.ndarray, folds: int, seed: int, groups: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training indices, left-out indices) for each of `folds` stratified folds, of whole groups when given;
    rare classes always train."""
    from sklearn.model_selection import StratifiedKFold

    everything = np.arange(len(codes))
    stratify = stratifiable(codes, folds, groups)
    split, always = everything[stratify], everything[~stratify]
    parts = len(split) if groups is None else len(np.unique(groups[split]))
    if parts < folds:
        raise GeoclfError(f"too few samples to make {folds} inner folds; collect more samples, or give the settings (weight decay, response) that training would choose on them")
    if groups is not None:
        found = _group_folds(codes, folds, seed, groups, split)
    else:
        found = [(split[train], split[test]) for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(split, codes[split])]
    return [(np.sort(np.concatenate([train, always])), test) for train, test in found]


def _group_folds(codes, folds: int, seed: int, groups, among: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training, left-out) indices of `folds` stratified folds of whole groups, over the samples `among`."""
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # "the least populated class has only N members": the rare classes were set aside
        warnings.simplefilter("ignore", UserWarning)
        return [(among[train], among[test]) for train, test in splitter.split(among, codes[among], groups[among])]
