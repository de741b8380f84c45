"""Spatial folds as splitters: which samples each cross-validation fold tests on.

Nearby samples look alike (spatial autocorrelation), so random folds test a model on
places it has nearly seen and flatter it. Spatial folds hold out whole areas: square
blocks (as verde's BlockKFold) or k-means clusters of the coordinates (as elapid's).
Each splitter has scikit-learn's and verde's shape: `split(xy)` yields (train, test)
index arrays, and `fold_of(xy)` gives each point's test fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .choices import FOLD_METHODS
from .errors import SettingError


@dataclass(frozen=True)
class _Folds:
    """What every splitter shares: the fold count, the seed, the checks and `split`."""

    folds: int = 5
    seed: int = 0

    def fold_of(self, xy: np.ndarray) -> np.ndarray:
        """The test fold (0..folds-1) of each point, after checking that the points can make that many."""
        xy = np.asarray(xy, dtype=float)
        if self.folds < 2:
            raise SettingError("{folds} must be at least 2, got {value}", value=self.folds)
        if self.folds > len(xy):
            raise SettingError("{folds} {value} is more than the {count} samples; use fewer folds", value=self.folds, count=len(xy))
        return self._assign(xy, np.random.default_rng(self.seed))

    def split(self, xy: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(training indices, test indices) for each fold in turn."""
        fold_of = self.fold_of(xy)
        for fold in range(self.folds):
            yield np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)

    def _assign(self, xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _check_places(self, xy: np.ndarray, by: str) -> None:
        """Spatial folds part places, not samples: there must be at least one place per fold."""
        places = len(np.unique(xy, axis=0))
        if places < 2:
            raise SettingError("all {count} samples sit at one place: spatial folds cannot part them; use {by} random", count=len(xy))
        if places < self.folds:  # k-means would warn and leave folds empty
            raise SettingError(
                "the {count} samples sit at only {places} distinct places, fewer than the {value} folds: "
                "use {folds} {places} or fewer, or {by} random", count=len(xy), places=places, value=self.folds,
            )


@dataclass(frozen=True)
class RandomFolds(_Folds):
    """Points shuffled into folds of equal size: what a non-spatial check does, and flatters a map."""

    def _assign(self, xy, rng):
        return rng.permutation(np.arange(len(xy)) % self.folds)


@dataclass(frozen=True)
class BlockFolds(_Folds):
    """Square blocks of `block_size` (default: the extent's longer side / (2 x folds)), whole blocks
    dealt to folds, largest first, each to the fold with the fewest points so far."""

    block_size: float | None = None

    def _assign(self, xy, rng):
        self._check_places(xy, "block")
        size = self.block_size if self.block_size is not None else np.ptp(xy, axis=0).max() / (2 * self.folds)
        if not size > 0:
            raise SettingError("{block_size} must be positive (CRS units), got {value}", value=self.block_size)
        cells = np.floor((xy - xy.min(axis=0)) / size).astype(np.int64)
        blocks, block_of = np.unique(cells, axis=0, return_inverse=True)
        block_of = block_of.ravel()
        if len(blocks) < self.folds:
            raise SettingError(
                "{block_size} {value:g} makes only {blocks} blocks for {wanted} folds; use smaller blocks",
                value=size, blocks=len(blocks), wanted=self.folds,
            )
        counts = np.bincount(block_of)
        order = rng.permutation(len(blocks))
        order = order[np.argsort(-counts[order], kind="stable")]  # largest blocks first, ties in random order
        fold_of_block, filled = np.empty(len(blocks), dtype=np.int64), np.zeros(self.folds, dtype=np.int64)
        for block in order:
            fold_of_block[block] = target = int(np.argmin(filled))
            filled[target] += counts[block]
        return fold_of_block[block_of]


@dataclass(frozen=True)
class ClusterFolds(_Folds):
    """k-means clusters of the coordinates, one per fold: areas shaped by where the samples are."""

    def _assign(self, xy, rng):
        from sklearn.cluster import KMeans

        self._check_places(xy, "cluster")
        return KMeans(n_clusters=self.folds, n_init=10, random_state=self.seed).fit_predict(xy)


def splitter(by: str = "block", folds: int = 5, block_size: float | None = None, seed: int = 0) -> _Folds:
    """The splitter a fold method names ('random', 'block' or 'cluster'), as the command line gives it."""
    if by not in FOLD_METHODS:
        raise SettingError("unknown {by} {value!r}; choose from {allowed}", value=by, allowed=", ".join(FOLD_METHODS))
    if by == "block":
        return BlockFolds(folds, seed, block_size)
    return {"random": RandomFolds, "cluster": ClusterFolds}[by](folds, seed)


def assign_folds(xy: np.ndarray, folds: int, by: str = "block", block_size: float | None = None, seed: int = 0) -> np.ndarray:
    """The test fold of each point under fold method `by`: `splitter(...).fold_of(xy)`."""
    return splitter(by, folds, block_size, seed).fold_of(xy)
