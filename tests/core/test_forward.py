"""The fast paths of predict-raster (forward.py) against the plain one (Model.classify), on real files."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from conftest import listing

import geoclf
from geoclf import Grid, MapOutputs, predict_raster
from geoclf.forward import SeparableGrid, is_plain
from geoclf.masks import Mask
from geoclf.network import Blend
from geoclf.raster import _write_behind
from geoclf.windows import WindowResult


def plain_path(model, grid):
    """Codes and probabilities (classes, rows, cols) of every cell centre through Model.classify."""
    window = rasterio.windows.Window(0, 0, grid.width, grid.height)
    codes, probs = model.classify(np.column_stack(grid.cell_centers(window)), probabilities=True)
    return codes.reshape(grid.height, grid.width), probs.T.reshape(-1, grid.height, grid.width)


def test_separable_map_matches_the_plain_path_on_a_million_cells(tmp_path, model):
    """The same class in all but ties (at most 1 cell in 10^6), probabilities within 1e-5."""
    grid = Grid.from_bounds(model.extent, model.crs, size=(1000, 1000))
    assert SeparableGrid.applies(model, grid, same_crs=True)
    predict_raster(model, grid, MapOutputs(tmp_path / "c.tif", probabilities=tmp_path / "p.tif"))
    with rasterio.open(tmp_path / "c.tif") as src:
        codes = src.read(1)
    with rasterio.open(tmp_path / "p.tif") as src:
        probs = src.read()
    expected_codes, expected_probs = plain_path(model, grid)
    assert len(np.unique(codes)) == 3
    assert np.count_nonzero(codes != expected_codes) <= 1
    np.testing.assert_allclose(probs, expected_probs, atol=1e-5, rtol=0)


@pytest.fixture(scope="module")
def blend():
    """Two plain networks of one shape (decays given: no ladder) blended 0.3 / 0.7, as smoothness.py blends rungs."""
    spiral = geoclf.Samples(geoclf.spiral_samples(per_class=40), "species")
    sharp, smooth = (geoclf.train(spiral, geoclf.TrainingConfig(epochs=30, weight_decay=d)) for d in (0.0, 1.0))
    architecture = replace(sharp.architecture, members=2)
    network = Blend([], [sharp.network, smooth.network], torch.tensor([0.3, 0.7]))
    return replace(sharp, network=network, architecture=architecture)


def test_a_blends_fast_paths_match_its_plain_path(tmp_path, blend):
    """The separable grid, and the buffered pass over cell centres (a rotated grid), for a blend of two networks."""
    straight = Grid.from_bounds(blend.extent, blend.crs, size=(120, 90))
    rotated = Grid(straight.transform * Affine.rotation(10), 120, 90, straight.crs)
    assert is_plain(blend) and SeparableGrid.applies(blend, straight, same_crs=True)
    for name, grid in (("straight", straight), ("rotated", rotated)):
        predict_raster(blend, grid, MapOutputs(tmp_path / f"{name}.tif", probabilities=tmp_path / f"{name}_p.tif"))
        with rasterio.open(tmp_path / f"{name}.tif") as src:
            codes = src.read(1)
        with rasterio.open(tmp_path / f"{name}_p.tif") as src:
            probs = src.read()
        expected_codes, expected_probs = plain_path(blend, grid)
        assert len(np.unique(codes)) == 3 and np.count_nonzero(codes != expected_codes) <= 1
        np.testing.assert_allclose(probs, expected_probs, atol=1e-5, rtol=0)


def test_a_masked_separable_map_leaves_the_outside_empty(tmp_path, model):
    xmin, ymin, xmax, ymax = model.extent
    grid = Grid.from_bounds(model.extent, model.crs, size=(300, 200))
    east_half = Mask(area=shapely.box((xmin + xmax) / 2, ymin - 1, xmax + 1, ymax + 1))
    predict_raster(model, grid, MapOutputs(tmp_path / "c.tif", probabilities=tmp_path / "p.tif"), mask=east_half)
    with rasterio.open(tmp_path / "c.tif") as src:
        codes = src.read(1)
    with rasterio.open(tmp_path / "p.tif") as src:
        probs = src.read()
    expected_codes, _ = plain_path(model, grid)
    assert (codes[:, :150] == 255).all() and np.isnan(probs[:, :, :150]).all()
    assert np.count_nonzero(codes[:, 150:] != expected_codes[:, 150:]) <= 1


def test_the_fast_path_is_taken_only_where_it_is_exact(model):
    grid = Grid.from_bounds(model.extent, model.crs, size=(10, 10))
    rotated = Grid(grid.transform * Affine.rotation(10), 10, 10, grid.crs)
    assert SeparableGrid.applies(model, grid, same_crs=True)
    assert not SeparableGrid.applies(model, grid, same_crs=False)  # the centres must be moved to the model's CRS first
    assert not SeparableGrid.applies(model, rotated, same_crs=True)
    spiral = geoclf.Samples(geoclf.spiral_samples(per_class=20), "species")
    encoded = geoclf.train(spiral, geoclf.TrainingConfig(encoding="fourier", epochs=2))
    assert not is_plain(encoded) and not SeparableGrid.applies(encoded, grid, same_crs=True)
    lonlat = spiral.points.to_crs(pyproj.CRS.from_epsg(4326))
    geographic = geoclf.train(geoclf.Samples(lonlat, "species"), geoclf.TrainingConfig(epochs=2))
    assert not SeparableGrid.applies(geographic, Grid.from_bounds(geographic.extent, 4326, size=(10, 10)), same_crs=True)


def test_a_failing_write_stops_the_map_and_says_why(model):
    """The writer thread's error is raised in the caller, not lost with the thread."""
    grid = Grid.from_bounds(model.extent, model.crs, size=(10, 10))
    window = next(grid.windows(256))

    class Refusing:
        def write(self, *args, **kwargs):
            raise OSError("disk full")

    results = [WindowResult(window, np.zeros((10, 10), dtype=np.uint8)) for _ in range(5)]
    with pytest.raises(OSError, match="disk full"):
        _write_behind(iter(results), {"classes": Refusing()}, None, None, grid.cells)


def test_an_interrupted_fast_map_leaves_nothing_behind(tmp_path, model):
    grid = Grid.from_bounds(model.extent, model.crs, size=(2000, 2000))
    calls = []

    def stop_midway(done, total):
        calls.append(done)
        if len(calls) == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        predict_raster(model, grid, MapOutputs(tmp_path / "c.tif", probabilities=tmp_path / "p.tif"), progress=stop_midway)
    assert listing(tmp_path) == set()
