import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from rasterio.warp import transform_bounds

from geoclf import GeoclfError, Grid, resolve_grid, spiral_samples, write_layer
from geoclf.grid import default_resolution

KOREA = pyproj.CRS.from_epsg(5186)


def test_bounds_and_resolution_cover_the_extent():
    grid = resolve_grid("0,0,100,50", KOREA, resolution=10)
    assert (grid.width, grid.height) == (10, 5)
    assert grid.transform == Affine(10, 0, 0, 0, -10, 50)
    assert grid.crs == KOREA
    assert resolve_grid("0,0,101,50", KOREA, resolution=10).width == 11  # the last partial column is kept


def test_size_gives_exact_cell_counts():
    grid = resolve_grid("0, 0, 100, 50", KOREA, size=(4, 5))
    assert (grid.width, grid.height, grid.resolution) == (4, 5, (25.0, 10.0))
    assert grid.bounds == (0, 0, 100, 50)


@pytest.mark.parametrize("extent, expected", [((0, 0, 2000, 2000), 2.0), ((0, 0, 3000, 100), 5.0), ((0, 0, 0.9, 0.4), 0.001)])
def test_default_resolution_is_round(extent, expected):
    assert default_resolution(extent) == pytest.approx(expected)


def test_cell_centres():
    grid = Grid(Affine(10, 0, 100, 0, -10, 500), 4, 3, None)
    window = next(grid.windows(block=2))
    x, y = grid.cell_centers(window)
    np.testing.assert_allclose(x, [105, 115, 105, 115])
    np.testing.assert_allclose(y, [495, 495, 485, 485])
    windows = list(grid.windows(block=2))
    assert sum(w.width * w.height for w in windows) == grid.cells


def test_extent_in_another_crs_is_transformed():
    grid = resolve_grid("126.98,37.55,127.0,37.57 [EPSG:4326]", KOREA, resolution=10)
    expected = transform_bounds("EPSG:4326", "EPSG:5186", 126.98, 37.55, 127.0, 37.57, densify_pts=21)
    np.testing.assert_allclose(grid.bounds[:2], expected[:2])
    assert grid.bounds[2] >= expected[2] and grid.bounds[3] <= expected[3] + 1e-6
    assert 190_000 < expected[0] < 200_000


def test_vector_file_lends_its_bounds(tmp_path):
    points = spiral_samples(per_class=10)
    write_layer(points, tmp_path / "p.gpkg", "samples")
    xmin, ymin, xmax, ymax = points.total_bounds
    grid = resolve_grid(str(tmp_path / "p.gpkg"), KOREA, resolution=1)
    left, bottom, right, top = grid.bounds
    assert (left, top) == pytest.approx((xmin, ymax))  # anchored at the top-left corner
    assert xmax <= right < xmax + 1 and ymin - 1 < bottom <= ymin  # covers the extent, within one cell
    write_layer(points.to_crs(4326), tmp_path / "wgs.geojson", "samples")
    grid = resolve_grid(str(tmp_path / "wgs.geojson"), KOREA, resolution=1)
    assert grid.bounds[0] == pytest.approx(xmin, abs=2) and grid.bounds[3] == pytest.approx(ymax, abs=2)


def _raster(path, crs="EPSG:5186", transform=Affine(5, 0, 1000, 0, -5, 2000), shape=(20, 30)):
    with rasterio.open(path, "w", driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="uint8", crs=crs, transform=transform) as dst:
        dst.write(np.zeros((1, *shape), dtype="uint8"))
    return path


def test_raster_lends_its_grid_unless_resolution_is_given(tmp_path):
    path = _raster(tmp_path / "g.tif")
    grid = resolve_grid(str(path), KOREA)
    assert (grid.transform, grid.width, grid.height) == (Affine(5, 0, 1000, 0, -5, 2000), 30, 20)
    grid = resolve_grid(str(path), KOREA, resolution=10)
    assert (grid.width, grid.height) == (15, 10)


def test_like_copies_a_grid_in_its_own_crs(tmp_path):
    path = _raster(tmp_path / "g.tif", crs="EPSG:4326", transform=Affine(0.001, 0, 126.9, 0, -0.001, 37.6))
    grid = resolve_grid(None, KOREA, like=str(path))
    assert grid.crs == pyproj.CRS.from_epsg(4326)
    assert (grid.width, grid.height) == (30, 20)


@pytest.mark.parametrize(
    "extent, kwargs, needle",
    [
        ("10,0,0,10", {}, "inverted or has zero size"),
        ("0,0,0,10", {}, "inverted or has zero size"),
        ("0,0,10", {}, "cannot read extent"),
        ("a,b,c,d", {}, "cannot read extent"),
        ("0,0,10,10 [EPSG:0]", {}, "unknown CRS"),
        ("0,0,10,10", {"resolution": 0}, "^resolution must be a positive cell size"),
        ("0,0,10,10", {"resolution": -2}, "^resolution must be a positive cell size"),
        ("0,0,10,10", {"resolution": float("inf")}, "^resolution must be a positive cell size"),
        ("0,0,10,4", {"resolution": 10}, r"covers the whole extent \(10 x 4\) with one cell; give a cell size under 10"),
        ("0,0,10,10", {"resolution": 1e-300}, "more than a GeoTIFF holds"),
        ("0,0,10,10", {"size": (0, 4)}, "^size must be two positive"),
        ("0,0,10,10", {"size": (4, 4), "resolution": 1}, "not both"),
        (None, {}, "give an EXTENT"),
        ("0,0,10,10", {"like": "x.tif"}, "^like copies a whole grid"),
    ],
)
def test_bad_extents(extent, kwargs, needle):
    with pytest.raises(GeoclfError, match=needle):
        resolve_grid(extent, KOREA, **kwargs)


def test_crs_on_extent_needs_a_model_crs():
    with pytest.raises(GeoclfError, match="model has no CRS"):
        resolve_grid("0,0,1,1 [EPSG:4326]", None)


# -- an extent that misses the training extent ----------------------------------------------------

TRAINING = (199_000.0, 549_000.0, 201_000.0, 551_000.0)  # the default spiral's 2 km square near Seoul, EPSG:5186
KOREA = pyproj.CRS("EPSG:5186")


def _warnings_of(extent, **kwargs):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolve_grid(extent, KOREA, training_extent=TRAINING, **kwargs)
    return [str(w.message) for w in caught]


def test_an_extent_over_the_training_extent_is_not_warned_about():
    assert _warnings_of("199500,549500,200500,550500", resolution=10) == []


def test_qgiss_extent_order_is_named_when_it_would_have_matched():
    (message,) = _warnings_of("199000,201000,549000,551000", resolution=1000)  # xmin,xmax,ymin,ymax: 350 km, samples in a corner
    assert message.startswith("the training samples' extent (199000,549000,201000,551000) covers only 0.0033% of the map's extent: ")
    assert message.endswith("read in QGIS's order (xmin,xmax,ymin,ymax) it would cover them: write 199000,549000,201000,551000")


def test_lon_lat_numbers_without_their_crs_are_named():
    lon, lat = pyproj.Transformer.from_crs(KOREA, "EPSG:4326", always_xy=True).transform(200_000.0, 550_000.0)
    text = f"{lon - 0.005:.4f},{lat - 0.005:.4f},{lon + 0.005:.4f},{lat + 0.005:.4f}"
    (message,) = _warnings_of(text, resolution=0.001)
    assert "does not overlap the map's extent, which lies " in message and " metre away" in message
    assert message.endswith(f"read as longitude and latitude it would cover them: write {text} [EPSG:4326]")


def test_an_extent_far_away_in_no_known_order_says_what_to_check():
    (message,) = _warnings_of("0,0,1000,1000", resolution=10)
    assert message.endswith("nearly every class in the map is extrapolated; check the extent's order (xmin,ymin,xmax,ymax) and CRS")
