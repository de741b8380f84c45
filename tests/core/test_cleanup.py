"""sieve and vectorize on real class maps: specks merged, styles kept, polygons with names and areas."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pyogrio
import pytest
import rasterio
from rasterio.transform import from_origin

import geoclf
from conftest import assert_one_line_error, listing
from geoclf.sieve import sieve_map
from geoclf.vectorize import class_polygons


def _class_map(path, codes, crs="EPSG:32633"):
    """A class map as geoclf writes it: names in its tags, a colour table and a QGIS style beside it."""
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0], count=1, dtype="uint8",
                       crs=crs, transform=from_origin(500_000, 6_000_000, 10, 10), nodata=255) as dst:
        dst.write(codes.astype(np.uint8), 1)
        dst.update_tags(GEOCLF_CLASSES=json.dumps(["crayfish", "tadpole"]), GEOCLF_CODES="[0, 1]", GEOCLF_LABEL="species")
        dst.set_band_description(1, "species")
        dst.write_colormap(1, {0: (31, 119, 180, 255), 1: (255, 127, 14, 255)})
    geoclf.style.write_qml(path.with_suffix(".qml"), ["crayfish", "tadpole"], ["#1f77b4", "#ff7f0e"])
    return path


@pytest.fixture
def speckled(tmp_path):
    codes = np.zeros((30, 30), dtype=np.uint8)
    codes[:, 15:] = 1
    codes[5, 5] = codes[5, 6] = 1  # a speck of 2 tadpole cells in the crayfish half
    codes[20:24, 20:24] = 0  # a patch of 16 crayfish cells in the tadpole half
    codes[0, 29] = 255
    return _class_map(tmp_path / "classes.tif", codes)


def test_sieve_merges_patches_under_the_threshold_and_keeps_the_legend(speckled, tmp_path, cli):
    result = cli("sieve", speckled, "--min-cells", 3, "-o", tmp_path / "clean.tif")
    assert result.code == 0, result.err
    assert "2 cells changed" in result.out
    with rasterio.open(tmp_path / "clean.tif") as src:
        clean = src.read(1)
        assert src.colormap(1)[1][:3] == (255, 127, 14) and src.descriptions[0] == "species"
    assert clean[5, 5] == 0 and clean[5, 6] == 0
    assert (clean[20:24, 20:24] == 0).all()  # 16 cells: kept
    assert clean[0, 29] == 255  # nodata stays nodata
    assert geoclf.style.read_class_codes(tmp_path / "clean.tif") == (["crayfish", "tadpole"], [0, 1])
    assert (tmp_path / "clean.qml").read_text() == speckled.with_suffix(".qml").read_text()
    assert sieve_map(speckled, tmp_path / "coarse.tif", 17) == 2 + 16


def test_sieve_without_a_style_beside_its_input_writes_one(speckled, tmp_path):
    speckled.with_suffix(".qml").unlink()
    sieve_map(speckled, tmp_path / "clean.tif", 3)
    entries = ET.parse(tmp_path / "clean.qml").getroot().iter("paletteEntry")
    assert [(entry.get("value"), entry.get("label")) for entry in entries] == [("0", "crayfish"), ("1", "tadpole")]


def test_sieve_refuses_bad_settings_and_leaves_nothing_behind(speckled, tmp_path, cli):
    before = listing(tmp_path)
    assert_one_line_error(cli("sieve", speckled, "--min-cells", 0, "-o", tmp_path / "clean.tif"), "--min-cells")
    assert_one_line_error(cli("sieve", speckled, "--min-cells", 3, "-o", speckled), "also an input")
    assert_one_line_error(cli("sieve", speckled, "--min-cells", 3, "-o", tmp_path / "clean.png"), "raster format")
    assert listing(tmp_path) == before


def test_vectorize_writes_one_polygon_per_patch_with_name_code_and_area(speckled, tmp_path, cli):
    assert_one_line_error(cli("vectorize", speckled, "-o", tmp_path / "classes.gpkg"), "classes.qml already exists")  # the map's style
    result = cli("vectorize", speckled, "-o", tmp_path / "patches.gpkg")
    assert result.code == 0, result.err
    polygons = pyogrio.read_dataframe(tmp_path / "patches.gpkg")
    assert len(polygons) == 4  # the two halves, the speck and the patch
    assert sorted(polygons.groupby("species")["code"].first().items()) == [("crayfish", 0), ("tadpole", 1)]
    assert polygons["area_ha"].sum() == pytest.approx((30 * 30 - 1) * 0.01)  # 10 m cells are 0.01 ha; nodata left out
    assert sorted(polygons["area_ha"].round(4)) == [0.02, 0.16, 4.33, 4.48]
    style = ET.parse(tmp_path / "patches.qml").getroot()
    assert [c.get("value") for c in style.iter("category")] == ["crayfish", "tadpole"]
    assert {layer.get("class") for layer in style.iter("layer")} == {"SimpleFill"}


def test_polygons_in_degrees_have_their_area_on_the_ellipsoid(tmp_path):
    path = tmp_path / "degrees.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(10, 0.1, 0.1, 0.1)) as dst:
        dst.write(np.array([[0, 1]], dtype=np.uint8), 1)
    polygons, legend = class_polygons(path)
    assert legend.names == ["0", "1"]  # a map not written by geoclf: its codes name its classes
    assert polygons["area_ha"].tolist() == pytest.approx([12_309, 12_309], rel=0.001)


def test_vectorize_refuses_formats_that_cannot_hold_polygons(speckled, tmp_path, cli):
    assert_one_line_error(cli("vectorize", speckled, "-o", tmp_path / "classes.csv"), "'.csv'", ".gpkg")
    assert_one_line_error(cli("vectorize", speckled, "-o", tmp_path / "classes.shp"), "Shapefile")
