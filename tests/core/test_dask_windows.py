"""geoclf.dask_windows: a class map's windows computed on a Dask cluster, the same bytes as a local run."""

import numpy as np
import pytest
from conftest import assert_one_line_error, listing
from conftest import read_raster as read

import geoclf
from geoclf import Grid, MapOutputs, predict_raster

EXTENT = (199000.0, 549000.0, 201000.0, 551000.0)


@pytest.fixture(scope="module")
def grid(model):
    """600 x 500 cells: larger than one 256-cell window in both directions."""
    return Grid.from_bounds(EXTENT, model.crs, size=(600, 500))


def test_model_bytes_round_trip(model):
    again = geoclf.Model.from_bytes(model.to_bytes())
    assert again.metadata() == model.metadata()
    np.testing.assert_array_equal(again.sample_points, model.sample_points)


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


def test_dask_matches_the_local_run_cell_for_cell(tmp_path, model, grid, dask_cluster):
    from dask.distributed import Client

    from geoclf.dask_windows import dask_results

    predict_raster(model, grid, MapOutputs(tmp_path / "local.tif", tmp_path / "local_p.tif", tmp_path / "local_c.tif"))
    with Client(dask_cluster) as client:
        predict_raster(
            model, grid, MapOutputs(tmp_path / "dask.tif", tmp_path / "dask_p.tif", tmp_path / "dask_c.tif"),
            results=dask_results(client),
        )
    np.testing.assert_array_equal(read(tmp_path / "dask.tif"), read(tmp_path / "local.tif"))
    np.testing.assert_array_equal(read(tmp_path / "dask_p.tif"), read(tmp_path / "local_p.tif"))
    np.testing.assert_array_equal(read(tmp_path / "dask_c.tif"), read(tmp_path / "local_c.tif"))


def test_dask_with_covariates_and_a_mask_through_the_cli(cli, tmp_path, dask_cluster):
    from geoclf.datasets import pond_samples, write_pond_rasters

    rasters = write_pond_rasters(tmp_path)
    geoclf.write_layer(pond_samples(300), tmp_path / "s.gpkg", "samples")
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
    assert_one_line_error(both, "give either --scheduler (an existing Dask cluster) or --workers (a local one), not both")
    nowhere = cli("predict-raster", "-m", model_path, "-o", tmp_path / "c.tif", "--scheduler", "tcp://127.0.0.1:1")
    assert_one_line_error(nowhere, "cannot reach the Dask scheduler at tcp://127.0.0.1:1")
    assert listing(tmp_path) == set()
