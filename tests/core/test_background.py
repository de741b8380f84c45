"""Presence-only records (background.py): background points drawn over the study area, trained against."""

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from conftest import assert_one_line_error, listing

import geoclf
from geoclf import GeoclfError
from geoclf.background import BACKGROUND_CLASS, study_area, with_background
from geoclf.samples import Samples


def _presences(count=60, seed=0):
    """Sightings of one species, all in the south-west quarter of a 2 km square (EPSG:5186)."""
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(199_000, 200_000, count), rng.uniform(549_000, 550_000, count)])
    xy = np.vstack([xy, [[201_000, 551_000]]])  # and one far off, so the study area is the whole square
    return gpd.GeoDataFrame({"species": ["crayfish"] * len(xy)}, geometry=gpd.points_from_xy(*xy.T), crs="EPSG:5186")


def test_background_points_cover_the_study_area_and_follow_the_seed():
    samples = Samples(_presences(), "species")
    both = with_background(samples, 500, seed=3)
    labels = both.labels
    assert (labels == BACKGROUND_CLASS).sum() == 500 and (labels == "crayfish").sum() == len(samples)
    xmin, ymin, xmax, ymax = study_area(samples)
    x, y = samples.points.geometry.x, samples.points.geometry.y
    pad = 0.05 * max(x.max() - x.min(), y.max() - y.min())  # the extent and a 5% margin, as predict-raster's default map
    assert (xmin, ymin, xmax, ymax) == pytest.approx((x.min() - pad, y.min() - pad, x.max() + pad, y.max() + pad))
    drawn = both.points[labels == BACKGROUND_CLASS].geometry
    assert drawn.x.between(xmin, xmax).all() and drawn.y.between(ymin, ymax).all()
    assert drawn.x.std() > 500 and both.crs == samples.crs
    again = with_background(samples, 500, seed=3).points.geometry
    assert again.geom_equals(both.points.geometry).all()
    assert not with_background(samples, 500, seed=4).points.geometry.geom_equals(both.points.geometry).all()


def test_background_refuses_a_class_of_its_name_and_silly_counts():
    points = _presences()
    points.loc[0, "species"] = BACKGROUND_CLASS
    with pytest.raises(GeoclfError, match="already hold a class 'background'"):
        with_background(Samples(points, "species"), 10)
    with pytest.raises(GeoclfError, match="^background must be 1 to 1,000,000 points, got 0"):
        with_background(Samples(_presences(), "species"), 0)


def test_a_presence_only_survey_maps_where_its_species_was_found(cli, tmp_path):
    _presences().to_file(tmp_path / "sightings.gpkg", engine="pyogrio")
    trained = cli("train", tmp_path / "sightings.gpkg", "--background", 800, "-o", tmp_path / "m.geoclf", "--epochs", 60, "--quiet")
    assert trained.code == 0, trained.err
    assert "(background 800, crayfish 61)" in trained.out
    assert geoclf.Model.load(tmp_path / "m.geoclf").training["class_weight"] == "balanced"  # presence weighs as much as background
    made = cli("predict-raster", "-m", tmp_path / "m.geoclf", "-o", tmp_path / "c.tif", "--probabilities", tmp_path / "p.tif",
               "--resolution", 50, "--quiet")
    assert made.code == 0, made.err
    with rasterio.open(tmp_path / "p.tif") as src:
        assert src.descriptions == ("background", "crayfish")
        suitability = src.read(2)
    half = suitability.shape[0] // 2
    found, elsewhere = suitability[half:, : half].mean(), suitability[: half, half:].mean()  # south-west vs north-east
    assert found > 0.5 > elsewhere + 0.2, (found, elsewhere)


def test_background_with_field_inputs_is_refused_before_any_work(cli, tmp_path):
    points = _presences()
    points["depth"] = 1.0
    points.to_file(tmp_path / "s.gpkg", engine="pyogrio")
    result = cli("train", tmp_path / "s.gpkg", "--background", 100, "--features", "depth", "-o", tmp_path / "m.geoclf")
    assert_one_line_error(result, "--background", "--features", "covariate")
    assert listing(tmp_path) == {"s.gpkg"}
