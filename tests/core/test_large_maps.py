"""Output that large maps need: confidence, masks, Cloud Optimized GeoTIFFs, and Dask."""

import numpy as np
import pytest
import rasterio
from conftest import assert_one_line_error, listing
from rasterio.windows import Window
from rio_cogeo.cogeo import cog_validate

import geoclf
from geoclf import GeoclfError, Grid, predict_raster
from geoclf.masks import build_mask
from geoclf.raster import WindowPredictor, confidence_of

EXTENT = (199000.0, 549000.0, 201000.0, 551000.0)


@pytest.fixture(scope="module")
def grid(model):
    return Grid.from_bounds(EXTENT, model.crs, size=(600, 500))


def read(path, band=None):
    with rasterio.open(path) as src:
        return src.read(band) if band else src.read()


def test_confidence_measures():
    probs = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1], [np.nan] * 3], dtype=np.float32)
    np.testing.assert_allclose(confidence_of(probs, "top")[:3], [1.0, 1 / 3, 0.6], rtol=1e-6)
    entropy = confidence_of(probs, "entropy")
    np.testing.assert_allclose(entropy[:2], [1.0, 0.0], atol=1e-6)
    assert 0 < entropy[2] < 1 and np.isnan(entropy[3])


def test_confidence_raster_is_the_top_probability(tmp_path, model, grid):
    predict_raster(model, grid, tmp_path / "c.tif", probabilities=tmp_path / "p.tif", confidence=tmp_path / "conf.tif")
    np.testing.assert_allclose(read(tmp_path / "conf.tif", 1), read(tmp_path / "p.tif").max(axis=0), rtol=1e-6)
    predict_raster(model, grid, tmp_path / "e.tif", confidence=tmp_path / "ent.tif", confidence_measure="entropy")
    entropy = read(tmp_path / "ent.tif", 1)
    assert 0 <= np.nanmin(entropy) and np.nanmax(entropy) <= 1 + 1e-6
    assert not (tmp_path / "e_probs.tif").exists()


def test_cog_is_valid_and_holds_the_same_map(tmp_path, model, grid):
    predict_raster(model, grid, tmp_path / "plain.tif", probabilities=tmp_path / "plain_p.tif")
    predict_raster(model, grid, tmp_path / "cog.tif", probabilities=tmp_path / "cog_p.tif", confidence=tmp_path / "cog_c.tif", cog=True)
    for name in ("cog.tif", "cog_p.tif", "cog_c.tif"):
        valid, errors, _ = cog_validate(str(tmp_path / name))
        assert valid, (name, errors)
    with rasterio.open(tmp_path / "cog.tif") as cog, rasterio.open(tmp_path / "plain.tif") as plain:
        assert cog.overviews(1), "a COG of 600 x 500 cells has overviews"
        np.testing.assert_array_equal(cog.read(1), plain.read(1))
        assert cog.colormap(1)[2] == plain.colormap(1)[2]
        assert cog.tags()["GEOCLF_CLASSES"] == plain.tags()["GEOCLF_CLASSES"] and cog.descriptions == plain.descriptions
        assert cog.nodata == 255
        overview = cog.read(1, out_shape=(cog.height // 4, cog.width // 4))
        assert set(np.unique(overview)) <= {0, 1, 2, 255}  # mode resampling invents no class
    np.testing.assert_array_equal(read(tmp_path / "cog_p.tif"), read(tmp_path / "plain_p.tif"))
    assert not [p for p in listing(tmp_path) if p.startswith(".")]  # no intermediate left behind


def test_hull_mask(tmp_path, model, grid):
    predict_raster(model, grid, tmp_path / "all.tif")
    area = build_mask("hull", None, model.sample_points, model.crs, grid.crs)
    predict_raster(model, grid, tmp_path / "hull.tif", mask=area, probabilities=tmp_path / "p.tif")
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
    [("nope.gpkg", None, "--mask nope.gpkg: no such file"), (None, 0.0, "--max-distance must be positive"), (None, -5.0, "--max-distance must be positive")],
)
def test_mask_errors(model, mask, distance, needle):
    with pytest.raises(GeoclfError, match=needle):
        build_mask(mask, distance, model.sample_points, model.crs, model.crs)


def test_point_layer_is_not_a_mask(tmp_path, model, spiral_gpkg):
    with pytest.raises(GeoclfError, match="holds Point; it must be a polygon layer"):
        build_mask(str(spiral_gpkg), None, None, model.crs, model.crs)


def test_model_bytes_round_trip(model):
    again = geoclf.Model.from_bytes(model.to_bytes())
    assert again.metadata() == model.metadata()
    np.testing.assert_array_equal(again.sample_points, model.sample_points)


# -- Dask -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


def test_dask_matches_the_local_run_cell_for_cell(tmp_path, model, grid, dask_cluster):
    from dask.distributed import Client

    from geoclf.cluster import dask_results

    predict_raster(model, grid, tmp_path / "local.tif", probabilities=tmp_path / "local_p.tif", confidence=tmp_path / "local_c.tif")
    with Client(dask_cluster) as client:
        predict_raster(
            model, grid, tmp_path / "dask.tif", probabilities=tmp_path / "dask_p.tif", confidence=tmp_path / "dask_c.tif",
            results=dask_results(client),
        )
    np.testing.assert_array_equal(read(tmp_path / "dask.tif"), read(tmp_path / "local.tif"))
    np.testing.assert_array_equal(read(tmp_path / "dask_p.tif"), read(tmp_path / "local_p.tif"))
    np.testing.assert_array_equal(read(tmp_path / "dask_c.tif"), read(tmp_path / "local_c.tif"))


def test_dask_with_covariates_and_a_mask_through_the_cli(cli, tmp_path, dask_cluster):
    from geoclf.datasets import pond_samples, write_pond_rasters

    rasters = write_pond_rasters(tmp_path)
    geoclf.write_points(pond_samples(300), tmp_path / "s.gpkg", "samples")
    covariates = [a for name, path in rasters.items() for a in ("--covariate", f"{name}={path}")]
    assert cli("train", tmp_path / "s.gpkg", *covariates, "-o", tmp_path / "m.geoclf", "--epochs", "20", "-q").code == 0
    common = ["-m", tmp_path / "m.geoclf", "--resolution", "10", "--mask", "hull", "-q"]
    assert cli("predict-raster", *common, "-o", tmp_path / "local.tif").code == 0
    assert cli("predict-raster", *common, "-o", tmp_path / "remote.tif", "--scheduler", dask_cluster.scheduler_address).code == 0
    assert cli("predict-raster", *common, "-o", tmp_path / "workers.tif", "--workers", "2", "--cog").code == 0
    local = read(tmp_path / "local.tif")
    assert (local == 255).any() and (local != 255).any()
    np.testing.assert_array_equal(read(tmp_path / "remote.tif"), local)
    np.testing.assert_array_equal(read(tmp_path / "workers.tif"), local)


def test_dask_errors(cli, tmp_path, model_path):
    both = cli("predict-raster", "-m", model_path, "-o", tmp_path / "c.tif", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert_one_line_error(both, "either --scheduler ADDRESS")
    nowhere = cli("predict-raster", "-m", model_path, "-o", tmp_path / "c.tif", "--scheduler", "tcp://127.0.0.1:1")
    assert_one_line_error(nowhere, "cannot reach the Dask scheduler at tcp://127.0.0.1:1")
    assert listing(tmp_path) == set()


def test_cli_output_options(cli, tmp_path, model_path):
    result = cli("predict-raster", "-m", model_path, "-o", tmp_path / "c.tif", "--size", "300,300", "--cog",
                 "--confidence", tmp_path / "conf.tif", "--confidence-measure", "entropy", "--max-distance", "80", "-q")
    assert result.code == 0 and "wrote confidence (entropy)" in result.out
    assert cog_validate(str(tmp_path / "c.tif"))[0] and cog_validate(str(tmp_path / "conf.tif"))[0]
    codes = read(tmp_path / "c.tif", 1)
    assert (codes == 255).any() and (codes != 255).any()
    assert_one_line_error(cli("predict-raster", "-m", model_path, "-o", tmp_path / "x.tif", "--mask", "nowhere.gpkg"), "--mask nowhere.gpkg: no such file")
    assert not (tmp_path / "x.tif").exists()
