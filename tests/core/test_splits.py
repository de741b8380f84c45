"""Hold-outs and inner folds keep every class in training, however rare."""

import numpy as np
import pytest

from geoclf import GeoclfError
from geoclf.splits import holdout, stratified_folds


def _codes():
    """40 + 30 samples of two common classes, 3 of a rare one, 1 of a single sighting, shuffled."""
    codes = np.repeat([0, 1, 2, 3], [40, 30, 3, 1])
    return np.random.default_rng(0).permutation(codes)


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_holdout_keeps_every_class_in_training(fraction):
    codes = _codes()
    train, held = holdout(codes, fraction, seed=0)
    assert sorted(np.concatenate([train, held])) == list(range(len(codes)))  # a partition
    assert set(codes[train]) == {0, 1, 2, 3}
    assert set(codes[held]) <= {0, 1} | ({2} if 3 * fraction >= 1 else set())
    assert 3 not in codes[held]  # the single sighting is never held out
    for common in (0, 1):  # stratified: each common class gives its share
        assert abs((codes[held] == common).sum() - fraction * (codes == common).sum()) <= 1


def test_holdout_without_any_splittable_class_says_what_to_do():
    with pytest.raises(GeoclfError, match="raise the validation share or set it to 0"):
        holdout(np.array([0, 0, 1, 1]), 0.1, seed=0)


@pytest.mark.parametrize("folds", [3, 5])
def test_every_inner_fold_trains_on_every_class(folds):
    codes = _codes()
    parts = stratified_folds(codes, folds, seed=1)
    assert len(parts) == folds
    left_out = np.concatenate([test for _, test in parts])
    assert len(left_out) == len(set(left_out))  # each sample left out at most once
    for train, test in parts:
        assert set(codes[train]) == {0, 1, 2, 3}
        assert not set(train) & set(test)
    rare = {c for c in (2, 3) if (codes == c).sum() < folds}
    assert not rare & set(codes[left_out])  # too rare to stratify: never left out
    assert set(np.flatnonzero(~np.isin(codes, list(rare)))) == set(left_out)  # all others, once


def test_folds_are_deterministic_per_seed():
    codes = _codes()
    first, again = stratified_folds(codes, 3, seed=4), stratified_folds(codes, 3, seed=4)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, stratified_folds(codes, 3, seed=5)))
