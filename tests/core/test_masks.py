"""geoclf.masks: where a class map is drawn (a polygon layer, the samples' hull, a distance from them)."""

import numpy as np
import pytest
from conftest import read_raster as read
from rasterio.windows import Window

from geoclf import GeoclfError, Grid, MapOutputs, predict_raster
from geoclf.masks import build_mask
from geoclf.windows import WindowPredictor

EXTENT = (199000.0, 549000.0, 201000.0, 551000.0)


@pytest.fixture(scope="module")
def grid(model):
    """600 x 500 cells: larger than one 256-cell window in both directions."""
    return Grid.from_bounds(EXTENT, model.crs, size=(600, 500))


def test_hull_mask(tmp_path, model, grid):
    predict_raster(model, grid, tmp_path / "all.tif")
    area = build_mask("hull", None, model.sample_points, model.crs, grid.crs)
    predict_raster(model, grid, MapOutputs(tmp_path / "hull.tif", probabilities=tmp_path / "p.tif"), mask=area)
    masked, everything = read(tmp_path / "hull.tif", 1), read(tmp_path / "all.tif", 1)
    import shapely

    x, y = grid.cell_centers(Window(0, 0, grid.width, grid.height))
    inside = shapely.contains_xy(shapely.MultiPoint(model.sample_points).convex_hull, x, y).reshape(masked.shape)
    assert (masked[~inside] == 255).all() and np.isnan(read(tmp_path / "p.tif")[:, ~inside]).all()
    border = np.abs(masked.astype(int) - everything) > 0
    assert (masked[inside] == everything[inside]).mean() > 0.995 and border[inside].sum() < 0.01 * inside.sum()


def test_distance_mask_against_brute_force(tmp_path, model):
    grid = Grid.from_bounds(EXTENT, model.crs, size=(120, 100))
    predict_raster(model, grid, tmp_path / "d.tif", mask=build_mask(None, 60.0, model.sample_points, model.crs, grid.crs))
    codes = read(tmp_path / "d.tif", 1).ravel()
    x, y = grid.cell_centers(Window(0, 0, grid.width, grid.height))
    nearest = np.sqrt(((np.column_stack([x, y])[:, None, :] - model.sample_points[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    np.testing.assert_array_equal(codes == 255, nearest > 60.0)


def test_windows_outside_the_mask_are_not_computed(model):
    grid = Grid.from_bounds((150000.0, 500000.0, 250000.0, 600000.0), model.crs, resolution=50)  # far beyond the samples
    mask = build_mask(None, 100.0, model.sample_points, model.crs, grid.crs)
    windows = list(grid.windows(256))
    touched = [w for w in windows if mask.touches(grid.transform, w)]
    assert 0 < len(touched) < len(windows) / 4
    predictor = WindowPredictor(model, grid, mask=mask)
    far = next(w for w in windows if not mask.touches(grid.transform, w))
    assert (predictor.compute(far).codes == 255).all()


def test_polygon_mask_in_another_crs(tmp_path, model, grid):
    import geopandas as gpd
    import shapely

    square = shapely.box(199500, 549500, 200500, 550500)
    gpd.GeoDataFrame(geometry=[square], crs=5186).to_crs(4326).to_file(tmp_path / "area.gpkg")
    predict_raster(model, grid, tmp_path / "m.tif", mask=build_mask(str(tmp_path / "area.gpkg"), None, None, model.crs, grid.crs))
    codes = read(tmp_path / "m.tif", 1)
    x, y = grid.cell_centers(Window(0, 0, grid.width, grid.height))
    inside = ((x > 199505) & (x < 200495) & (y > 549505) & (y < 550495)).reshape(codes.shape)
    outside = ((x < 199495) | (x > 200505) | (y < 549495) | (y > 550505)).reshape(codes.shape)
    assert (codes[inside] != 255).all() and (codes[outside] == 255).all()


@pytest.mark.parametrize(
    "mask, distance, needle",
    [("nope.gpkg", None, "^mask nope.gpkg: no such file"), (None, 0.0, "^max_distance must be positive"), (None, -5.0, "^max_distance must be positive")],
)
def test_mask_errors(model, mask, distance, needle):
    with pytest.raises(GeoclfError, match=needle):
        build_mask(mask, distance, model.sample_points, model.crs, model.crs)


def test_point_layer_is_not_a_mask(tmp_path, model, spiral_gpkg):
    with pytest.raises(GeoclfError, match="holds Point; it must be a polygon layer"):
        build_mask(str(spiral_gpkg), None, None, model.crs, model.crs)
