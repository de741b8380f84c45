"""Spatial folds as splitters (folds.py): every point tested once, blocks and clusters kept whole."""

import numpy as np
import pytest

from geoclf import GeoclfError, spiral_samples
from geoclf.folds import BlockFolds, ClusterFolds, RandomFolds, assign_folds, splitter
from geoclf.point_values import coordinates


@pytest.fixture(scope="module")
def xy():
    return coordinates(spiral_samples(per_class=100, seed=3))


@pytest.mark.parametrize("by", ["random", "block", "cluster"])
def test_every_point_is_in_exactly_one_test_fold(xy, by):
    folds = assign_folds(xy, 5, by)
    assert folds.shape == (len(xy),) and set(np.unique(folds)) == set(range(5))
    assert assign_folds(xy, 5, by).tolist() == folds.tolist()  # the same seed, the same folds


def test_blocks_are_spatially_disjoint_and_balanced(xy):
    size = 250.0
    folds = assign_folds(xy, 4, "block", block_size=size)
    cells = np.floor((xy - xy.min(axis=0)) / size).astype(int)
    for cell in np.unique(cells, axis=0):
        in_block = (cells == cell).all(axis=1)
        assert len(set(folds[in_block])) == 1  # a block never straddles two folds
    counts = np.bincount(folds)
    assert counts.max() - counts.min() <= np.bincount(np.unique(cells, axis=0, return_inverse=True)[1].ravel()).max()


def test_clusters_are_spatially_disjoint(xy):
    folds = assign_folds(xy, 4, "cluster")
    centres = np.array([xy[folds == f].mean(axis=0) for f in range(4)])
    nearest = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
    assert (nearest == folds).mean() > 0.99  # each point lies with its own cluster's centre


@pytest.mark.parametrize(
    "args, needle",
    [((1, "block"), "^folds must be at least 2"), ((5, "grid"), "^unknown by .grid."), ((5, "block", -1.0), "^block_size must be positive"),
     ((5, "block", 1e9), "makes only 1 blocks for 5 folds"), ((1000, "random"), "more than the 300 samples")],
)
def test_fold_errors(xy, args, needle):
    with pytest.raises(GeoclfError, match=needle):
        assign_folds(xy, *args)


@pytest.mark.parametrize("by", ["block", "cluster"])
def test_spatial_folds_need_as_many_places_as_folds(by):
    two_places = np.repeat([[0.0, 0.0], [10.0, 10.0]], 20, axis=0)
    with pytest.raises(GeoclfError, match="the 40 samples sit at only 2 distinct places, fewer than the 3 folds"):
        assign_folds(two_places, 3, by)
    assert sorted(set(assign_folds(two_places, 2, by))) == [0, 1]
    with pytest.raises(GeoclfError, match="all 40 samples sit at one place"):
        assign_folds(np.zeros((40, 2)), 2, by)
    assert len(set(assign_folds(np.zeros((40, 2)), 2, "random"))) == 2


@pytest.mark.parametrize("folds", [RandomFolds(4, seed=2), BlockFolds(4, seed=2), ClusterFolds(4, seed=2)])
def test_split_yields_each_fold_as_test_once_and_the_rest_as_training(xy, folds):
    tested = np.zeros(len(xy), dtype=int)
    for train, test in folds.split(xy):
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(xy)
        tested[test] += 1
    assert (tested == 1).all()


def test_splitter_names_the_splitter_the_command_line_asks_for():
    assert splitter("block", 3, 50.0, 7) == BlockFolds(3, 7, 50.0)
    assert splitter("cluster", 4) == ClusterFolds(4, 0)
    assert splitter("random", 2, seed=1) == RandomFolds(2, 1)
