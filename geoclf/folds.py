"""Spatial folds as splitters: which samples each cross-validation fold tests on.

Nearby samples look alike (spatial autocorrelation), so random folds test a model on
places it has nearly seen and flatter it. Spatial folds hold out whole areas: square
blocks (as verde's BlockKFold) or k-means clusters of the coordinates (as elapid's).
Each splitter has scikit-learn's and verde's shape: `split(xy)` yields (train, test)
index arrays, and `fold_of(xy)` gives each point's test fold. Given `groups` (the cells
of training polygons), every splitter keeps a group in one fold: it deals the groups'
centres; PolygonFolds deals the polygons themselves, each class's in turn when given the
labels (as scikit-learn's StratifiedGroupKFold), so that every fold tests every class.
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

    def fold_of(self, xy: np.ndarray, groups: np.ndarray | None = None, labels: np.ndarray | None = None) -> np.ndarray:
        """The test fold (0..folds-1) of each point, after checking that the points can make that many; the
        points of a group share one fold (that of the group's centre). Spatial folds part places, so they
        leave `labels` aside; PolygonFolds uses them."""
        xy = np.asarray(xy, dtype=float)
        if self.folds < 2:
            raise SettingError("{folds} must be at least 2, got {value}", value=self.folds)
        if groups is not None:
            names, group_of = np.unique(groups, return_inverse=True)
            group_of = group_of.ravel()
            centres = np.column_stack([np.bincount(group_of, weights=xy[:, axis]) for axis in (0, 1)]) / np.bincount(group_of)[:, None]
            if self.folds > len(names):
                raise SettingError("{folds} {value} is more than the {count} training areas; use fewer folds", value=self.folds, count=len(names))
            return self._assign(centres, np.random.default_rng(self.seed))[group_of]
        if self.folds > len(xy):
            raise SettingError("{folds} {value} is more than the {count} samples; use fewer folds", value=self.folds, count=len(xy))
        return self._assign(xy, np.random.default_rng(self.seed))

    def split(self, xy: np.ndarray, groups: np.ndarray | None = None,
              labels: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(training indices, test indices) for each fold in turn."""
        fold_of = self.fold_of(xy, groups, labels)
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
        return _deal(block_of, self.folds, rng)


@dataclass(frozen=True)
class ClusterFolds(_Folds):
    """k-means clusters of the coordinates, one per fold: areas shaped by where the samples are."""

    def _assign(self, xy, rng):
        from sklearn.cluster import KMeans

        self._check_places(xy, "cluster")
        return KMeans(n_clusters=self.folds, n_init=10, random_state=self.seed).fit_predict(xy)


@dataclass(frozen=True)
class PolygonFolds(_Folds):
    """Whole training polygons dealt to folds, largest first, each to the fold with the fewest cells so far:
    a test on areas drawn apart from the ones trained on. With `labels`, each class's polygons are dealt in
    turn (to the fold with the fewest cells of that class), so a class drawn as at least `folds` polygons is
    tested in every fold."""

    def fold_of(self, xy, groups=None, labels=None):
        if groups is None:
            raise SettingError("{by} polygon folds training polygons, and these samples are points; use {by} block, cluster or random")
        names, group_of = np.unique(groups, return_inverse=True)
        group_of = group_of.ravel()
        if self.folds < 2 or self.folds > len(names):
            raise SettingError("{folds} must be from 2 to the {count} training areas, got {value}", value=self.folds, count=len(names))
        rng = np.random.default_rng(self.seed)
        if labels is None:
            return _deal(group_of, self.folds, rng)
        class_of_group = np.empty(len(names), dtype=np.int64)
        class_of_group[group_of] = np.unique(np.asarray(labels), return_inverse=True)[1].ravel()  # a polygon has one label
        return _deal(group_of, self.folds, rng, strata=class_of_group)


def _deal(unit_of: np.ndarray, folds: int, rng: np.random.Generator, strata: np.ndarray | None = None) -> np.ndarray:
    """Each point's fold when whole units (blocks, polygons) are dealt out largest first, ties in random order, each
    to the fold with the fewest points so far: folds of near-equal size whatever the units' sizes. With `strata`
    (one per unit), each stratum is dealt in turn, each unit to the fold with the fewest points of its stratum
    (then the fewest in all), so every stratum spreads over the folds."""
    counts = np.bincount(unit_of)
    strata = np.zeros(len(counts), dtype=np.int64) if strata is None else strata
    order = rng.permutation(len(counts))
    order = order[np.lexsort((-counts[order], strata[order]))]  # stratum by stratum, largest first, ties at random
    fold_of_unit, filled = np.empty(len(counts), dtype=np.int64), np.zeros(folds, dtype=np.int64)
    in_stratum = np.zeros(folds, dtype=np.int64)
    for position, unit in enumerate(order):
        if position and strata[unit] != strata[order[position - 1]]:
            in_stratum[:] = 0
        fold_of_unit[unit] = target = int(np.lexsort((filled, in_stratum))[0])
        filled[target] += counts[unit]
        in_stratum[target] += counts[unit]
    return fold_of_unit[unit_of]


def splitter(by: str = "block", folds: int = 5, block_size: float | None = None, seed: int = 0) -> _Folds:
    """The splitter a fold method names ('random', 'block', 'cluster' or 'polygon'), as the command line gives it."""
    if by not in FOLD_METHODS:
        raise SettingError("unknown {by} {value!r}; choose from {allowed}", value=by, allowed=", ".join(FOLD_METHODS))
    if by == "block":
        return BlockFolds(folds, seed, block_size)
    return {"random": RandomFolds, "cluster": ClusterFolds, "polygon": PolygonFolds}[by](folds, seed)


def assign_folds(xy: np.ndarray, folds: int, by: str = "block", block_size: float | None = None, seed: int = 0,
                 groups: np.ndarray | None = None, labels: np.ndarray | None = None) -> np.ndarray:
    """The test fold of each point under fold method `by`: `splitter(...).fold_of(xy, groups, labels)`."""
    return splitter(by, folds, block_size, seed).fold_of(xy, groups, labels)
