"""Training polygons and whole images: the cells inside polygons become samples, grouped by polygon in every split."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Point, box

import geoclf
from conftest import assert_one_line_error
from geoclf.folds import splitter
from geoclf.inputs import image_covariates
from geoclf.splits import holdout, stratified_folds
from geoclf.training_areas import AREA_COLUMN, cells_in_polygons

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
IMAGE, AREAS = EXAMPLES / "olinda_landsat7.tif", EXAMPLES / "olinda_training_areas.gpkg"


def _raster(path, bands=1, descriptions=None):
    """A 10 x 10 raster of 10 m cells with its corner at (1000, 2000)."""
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=bands, dtype="float32", crs="EPSG:32633",
                       transform=from_origin(1000, 2000, 10, 10)) as dst:
        dst.write(np.arange(bands * 100, dtype=np.float32).reshape(bands, 10, 10))
        for band, text in enumerate(descriptions or [], start=1):
            dst.set_band_description(band, text)
    return path


def test_a_polygon_becomes_the_cells_whose_centres_it_holds(tmp_path):
    raster = _raster(tmp_path / "r.tif")
    features = gpd.GeoDataFrame(
        {"cover": ["wood", "lake", "reed", "wood"]},
        geometry=[box(1000, 1960, 1030, 2000),  # 3 x 4 cells exactly
                  box(1051, 1901, 1069, 1919),  # holds the centres of 4 cells (1055/1065, 1905/1915)
                  box(1091, 1991, 1094, 1994),  # smaller than a cell, holding no centre
                  Point(1005, 1905)],
        index=[10, 11, 12, 13], crs="EPSG:32633",
    )
    with pytest.warns(geoclf.errors.SampleWarning, match="1 training polygon"):
        cells = cells_in_polygons(features, raster)
    counts = cells.groupby(AREA_COLUMN).size().to_dict()
    assert counts == {10: 12, 11: 4, 13: 1}
    assert set(cells.loc[cells[AREA_COLUMN] == 11, "cover"]) == {"lake"}
    lake = cells[cells[AREA_COLUMN] == 11]
    assert sorted(zip(lake.geometry.x, lake.geometry.y)) == [(1055, 1905), (1055, 1915), (1065, 1905), (1065, 1915)]
    capped = cells_in_polygons(features.iloc[:2], raster, max_per_polygon=5, seed=1)
    assert capped.groupby(AREA_COLUMN).size().to_dict() == {10: 5, 11: 4}


def test_polygons_in_another_crs_take_the_rasters_cells_and_come_back_in_their_own(tmp_path):
    raster = _raster(tmp_path / "r.tif")
    square = gpd.GeoSeries([box(1000, 1960, 1030, 2000)], crs="EPSG:32633").to_crs("EPSG:4326")
    cells = cells_in_polygons(gpd.GeoDataFrame({"cover": ["wood"]}, geometry=square), raster)
    assert len(cells) == 12 and cells.crs.to_epsg() == 4326


def test_splits_keep_each_polygon_whole():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), rng.integers(3, 20, 30))
    codes = (np.arange(30) % 3)[groups]
    train, held = holdout(codes, 0.25, seed=0, groups=groups)
    assert not set(groups[train]) & set(groups[held]) and len(held) > 0
    assert set(codes[held]) == {0, 1, 2}
    for used, left_out in stratified_folds(codes, 3, 0, groups):
        assert not set(groups[used]) & set(groups[left_out])
    xy = rng.uniform(0, 1000, (len(groups), 2))
    for by in ("block", "cluster", "random", "polygon"):
        fold_of = splitter(by, 4, seed=0).fold_of(xy, groups)
        assert all(len(set(fold_of[groups == g])) == 1 for g in range(30)), by
        assert set(fold_of) == {0, 1, 2, 3}


def test_polygon_folds_given_the_labels_test_every_class_in_every_fold():
    sizes = np.random.default_rng(1).integers(5, 40, 16)
    groups = np.repeat(np.arange(16), sizes)
    labels = np.array(["urban"] * 6 + ["vegetation"] * 6 + ["water"] * 4)[groups]  # as the bundled Olinda polygons
    for seed in range(5):
        fold_of = splitter("polygon", 4, seed=seed).fold_of(None, groups, labels)
        assert all(set(labels[fold_of == fold]) == {"urban", "vegetation", "water"} for fold in range(4)), seed
        assert all(len(set(fold_of[groups == g])) == 1 for g in range(16))
        assert np.bincount(fold_of).max() < 2 * np.bincount(fold_of).min()  # sizes stay comparable


def test_a_class_drawn_as_too_few_polygons_stays_in_training():
    groups = np.r_[np.repeat(np.arange(8), 10), [100, 100, 100]]
    codes = np.r_[np.arange(8) % 2, [2, 2, 2]][np.r_[np.repeat(np.arange(8), 10), [8, 8, 8]]]
    train, held = holdout(codes, 0.25, seed=0, groups=groups)
    assert 2 in set(codes[train]) and 2 not in set(codes[held])


def test_image_bands_are_named_by_their_descriptions_or_numbers(tmp_path):
    named = _raster(tmp_path / "named.tif", 3, ["red", "nir", "swir"])
    plain = _raster(tmp_path / "plain.tif", 2)
    assert image_covariates([named]) == (("red", str(named), 1), ("nir", str(named), 2), ("swir", str(named), 3))
    assert [name for name, _, _ in image_covariates([plain])] == ["b1", "b2"]
    assert [name for name, _, _ in image_covariates([named, plain])] == ["named_red", "named_nir", "named_swir", "plain_b1", "plain_b2"]


@pytest.fixture(scope="module")
def olinda_model(tmp_path_factory):
    """A model trained on the bundled Landsat scene's training polygons, every band an input."""
    folder = tmp_path_factory.mktemp("olinda")
    from geoclf.cli import main

    code = main(["train", str(AREAS), "--image", str(IMAGE), "--no-xy", "--max-per-polygon", "40", "--response", "smooth",
                 "--epochs", "60", "-o", str(folder / "model.geoclf"), "-q"])
    assert code == 0
    return folder / "model.geoclf"


def test_training_on_polygons_over_a_real_image_maps_it_on_its_own_grid(olinda_model, tmp_path, cli):
    model = geoclf.Model.load(olinda_model)
    assert model.input_names == ["blue", "green", "red", "nir", "swir1", "swir2"]
    assert model.metrics["training_areas"] == 16 and model.metrics["samples"] == 16 * 40
    result = cli("predict-raster", "-m", olinda_model, "-o", tmp_path / "classes.tif", "-q")
    assert result.code == 0, result.err
    with rasterio.open(tmp_path / "classes.tif") as out, rasterio.open(IMAGE) as image:
        assert (out.width, out.height, out.transform, out.crs) == (image.width, image.height, image.transform, image.crs)
        classes = out.read(1)
    names, codes = geoclf.style.read_class_codes(tmp_path / "classes.tif")
    water = codes[names.index("water")]
    assert (classes[230:280, 280:330] == water).mean() > 0.9  # the ocean a water polygon was drawn on (reefs aside)
    assert (classes[:150, :100] == water).mean() < 0.05  # and none in the forest of the north-west


def test_cross_validation_by_polygon_tests_on_polygons_never_trained_on(tmp_path, cli):
    result = cli("cross-validate", AREAS, "--image", IMAGE, "--no-xy", "--max-per-polygon", "20", "--by", "polygon",
                 "--folds", "4", "--response", "smooth", "--epochs", "30", "--json", "-q")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [fold["test_samples"] for fold in report["per_fold"]] == [80, 80, 80, 80]  # 16 polygons of 20 cells, 4 a fold
    assert not any(fold.get("unscored_classes") for fold in report["per_fold"])  # each fold holds polygons of every class
    assert report["summary"]["accuracy"]["mean"] > 0.6


def test_polygons_without_a_raster_input_and_polygon_folds_of_points_say_what_to_do(tmp_path, cli, spiral_gpkg):
    assert_one_line_error(cli("train", AREAS, "-o", tmp_path / "m.geoclf", "-q"), "Polygon", "raster input")
    assert_one_line_error(cli("cross-validate", spiral_gpkg, "--by", "polygon", "-q"), "--by polygon", "points")
    assert_one_line_error(cli("train", AREAS, "--image", tmp_path / "nothing.tif", "-q"), "--image", "does not exist")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_one_line_error(cli("train", AREAS, "--image", IMAGE, "--max-per-polygon", "0", "-q"), "--max-per-polygon")
