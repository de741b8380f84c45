"""Class areas: mapped hectares from real GeoTIFFs, and Olofsson et al.'s (2014) estimates against the paper."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Point

import geoclf
from geoclf.accuracy_estimates import stratified_estimate
from geoclf.areas import class_areas, mapped_areas

from conftest import assert_one_line_error

# Olofsson et al. (2014), section 5 (Table 8): counts of 640 reference points (rows: map class, columns: reference
# class) over a map of 30 m pixels: deforestation, forest gain, stable forest, stable non-forest.
PAPER_COUNTS = np.array([[66, 0, 5, 4], [0, 55, 8, 12], [1, 0, 153, 11], [2, 1, 9, 313]])
PAPER_PIXELS = np.array([200_000, 150_000, 3_200_000, 6_450_000])
PIXEL_HA = 0.09


def test_the_stratified_estimates_match_the_papers_worked_example():
    """The published figures (their section 5): areas 21,158 ± 6,158, 11,686 ± 3,756, 285,770 ± 15,510 and
    581,386 ± 16,282 ha; user's accuracies 0.88, 0.73, 0.93, 0.96; producer's 0.75, 0.85, 0.93, 0.96; overall 0.95
    ± 0.02. The paper rounds with z = 1.96."""
    areas = PAPER_PIXELS * PIXEL_HA
    estimate = stratified_estimate(PAPER_COUNTS, areas / areas.sum(), z=1.96)
    total = areas.sum()
    np.testing.assert_allclose(estimate.proportions * total, [21_158, 11_686, 285_770, 581_386], atol=1)
    np.testing.assert_allclose(estimate.proportions_ci * total, [6_158, 3_756, 15_510, 16_282], atol=1.5)
    np.testing.assert_allclose(np.round(estimate.users, 2), [0.88, 0.73, 0.93, 0.96])
    np.testing.assert_allclose(np.round(estimate.producers, 2), [0.75, 0.85, 0.93, 0.96])
    assert round(estimate.overall, 2) == 0.95 and round(estimate.overall_ci, 2) == 0.02
    assert round(estimate.producers_ci[0], 2) == 0.21  # deforestation's producer's accuracy, 0.75 ± 0.21


def test_a_map_class_without_reference_points_leaves_areas_unknown_rather_than_wrong():
    counts = PAPER_COUNTS.copy()
    counts[1] = 0  # no reference point in the forest-gain stratum
    estimate = stratified_estimate(counts, PAPER_PIXELS / PAPER_PIXELS.sum())
    assert np.isnan(estimate.proportions).all() and np.isnan(estimate.overall)
    assert np.isnan(estimate.users[1]) and np.isfinite(estimate.users[0])


def _class_map(path, codes, crs="EPSG:32633", transform=from_origin(500_000, 6_000_000, 30, 30), classes=("forest", "field")):
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0], count=1, dtype="uint8",
                       crs=crs, transform=transform, nodata=255) as dst:
        dst.write(codes.astype(np.uint8), 1)
        dst.update_tags(GEOCLF_CLASSES=json.dumps(list(classes)), GEOCLF_CODES=json.dumps(list(range(len(classes)))))
        dst.write_colormap(1, {0: (0, 120, 0, 255), 1: (230, 200, 0, 255)})
    return path


def test_mapped_areas_count_cells_times_their_area_and_skip_nodata(tmp_path):
    codes = np.zeros((40, 50), dtype=np.uint8)
    codes[:, 30:] = 1
    codes[0, :5] = 255
    report = mapped_areas(_class_map(tmp_path / "map.tif", codes))
    assert report.legend.names == ["forest", "field"]
    assert report.cells.tolist() == [40 * 30 - 5, 40 * 20]
    np.testing.assert_allclose(report.hectares, report.cells * 0.09)  # 30 m cells are 0.09 ha
    assert report.legend.colors == ["#007800", "#e6c800"]


def test_cells_in_degrees_take_their_area_on_the_ellipsoid(tmp_path):
    """A 0.1-degree cell is 11.13 km by 11.06 km at the equator (123 km²), and half as wide at 60° north."""
    codes = np.zeros((2, 1), dtype=np.uint8)
    codes[1, 0] = 1
    at_equator = mapped_areas(_class_map(tmp_path / "eq.tif", codes, "EPSG:4326", from_origin(10, 0.1, 0.1, 0.1)))
    up_north = mapped_areas(_class_map(tmp_path / "north.tif", codes, "EPSG:4326", from_origin(10, 60.1, 0.1, 0.1)))
    assert at_equator.hectares[0] == pytest.approx(12_309, rel=0.001)
    # a sphere would give cos(60.05°) = 0.499; on the ellipsoid, degrees are longer towards the poles (0.504)
    assert 0.502 < up_north.hectares[0] / at_equator.hectares[0] < 0.507


def test_a_reference_sample_gives_error_adjusted_areas_from_a_real_map(tmp_path):
    """Half the map is forest, half field; the reference points say a quarter of the mapped forest is field: the
    error-adjusted forest area is smaller than the mapped one by that much."""
    codes = np.zeros((40, 40), dtype=np.uint8)
    codes[:, 20:] = 1
    path = _class_map(tmp_path / "map.tif", codes)
    rng = np.random.default_rng(0)
    x = np.r_[rng.uniform(500_000, 500_590, 40), rng.uniform(500_610, 501_190, 40)]
    y = rng.uniform(6_000_000 - 1190, 6_000_000 - 10, 80)
    observed = ["forest"] * 30 + ["field"] * 10 + ["field"] * 40
    points = gpd.GeoDataFrame({"class": observed}, geometry=[Point(a, b) for a, b in zip(x, y)], crs="EPSG:32633")
    geoclf.write_layer(points, tmp_path / "reference.gpkg", "reference")
    report = class_areas(path, geoclf.read_samples(tmp_path / "reference.gpkg"))
    total = report.total_hectares
    assert report.counts.tolist() == [[30, 10], [0, 40]]
    assert report.estimate.proportions[0] * total == pytest.approx(0.75 * total / 2)
    assert report.estimate.users[0] == pytest.approx(0.75) and report.estimate.producers[1] == pytest.approx(40 / 50)
    assert 0 < report.estimate.proportions_ci[0] < 0.1
    assert "overall accuracy 0.875 ±" in report.to_text()


def test_areas_command_prints_hectares_and_intervals_as_json(tmp_path, cli):
    codes = np.zeros((10, 10), dtype=np.uint8)
    codes[5:] = 1
    path = _class_map(tmp_path / "map.tif", codes)
    points = gpd.GeoDataFrame({"class": ["forest", "forest", "field", "field", "forest"]},
                              geometry=[Point(500_015, 5_999_985), Point(500_100, 5_999_900), Point(500_015, 5_999_800),
                                        Point(500_200, 5_999_750), Point(500_250, 5_999_720)], crs="EPSG:32633")
    geoclf.write_layer(points, tmp_path / "ref.gpkg", "ref")
    result = cli("areas", path, "--reference", tmp_path / "ref.gpkg", "--json", "-q")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["total_ha"] == pytest.approx(9.0) and data["reference_points"] == 5
    field = next(row for row in data["classes"] if row["class"] == "field")
    assert field["mapped_ha"] == pytest.approx(4.5) and field["users_accuracy"] == pytest.approx(2 / 3)


def test_areas_refuses_what_is_not_a_class_map_in_one_line(tmp_path, cli):
    with rasterio.open(tmp_path / "float.tif", "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       crs="EPSG:32633", transform=from_origin(0, 4, 1, 1)) as dst:
        dst.write(np.zeros((1, 4, 4), dtype=np.float32))
    assert_one_line_error(cli("areas", tmp_path / "float.tif"), "one band of whole numbers")
    assert_one_line_error(cli("areas", tmp_path / "missing.tif"), "no such file")


def test_reference_labels_the_map_does_not_know_are_named(tmp_path, cli):
    path = _class_map(tmp_path / "map.tif", np.zeros((10, 10), dtype=np.uint8))
    points = gpd.GeoDataFrame({"class": ["forest", "swamp"]}, geometry=[Point(500_015, 5_999_985), Point(500_100, 5_999_900)], crs="EPSG:32633")
    geoclf.write_layer(points, tmp_path / "ref.gpkg", "ref")
    assert_one_line_error(cli("areas", path, "--reference", tmp_path / "ref.gpkg", "-q"), "'swamp'", "--label")


def test_evaluate_reports_intervals_for_points_drawn_at_random(model, spiral_gpkg):
    report = geoclf.evaluate(model, geoclf.read_samples(spiral_gpkg))
    assert 0 < report.accuracy_ci < 0.1
    n = report.samples
    assert report.accuracy_ci == pytest.approx(1.96 * np.sqrt(report.accuracy * (1 - report.accuracy) / n), rel=0.35)
    assert all(row["precision_ci"] is not None for row in report.per_class.values())
    assert "± " in report.to_text() and "± " in report.to_html()
