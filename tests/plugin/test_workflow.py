"""The image workflow in a real QGIS: training polygons over a Landsat scene -> class map -> sieve -> polygons ->
areas with confidence intervals, and which bands matter; each algorithm against the CLI on the same files."""

import json
import shutil

import numpy as np
import processing
import pytest
from conftest import ROOT, RecordingFeedback, geoclf, model_info, read_band
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProject, QgsRasterLayer, QgsVectorLayer

IMAGE = ROOT / "examples" / "data" / "olinda_landsat7.tif"
AREAS = ROOT / "examples" / "data" / "olinda_training_areas.gpkg"
# (column, row) boxes of the image where each cover is plain to see: the ocean, the forest in the north-west, the town
PLACES = {"water": (285, 235, 325, 275), "vegetation": (32, 37, 58, 58), "urban": (242, 122, 268, 148)}


@pytest.fixture(scope="module")
def trained(provider, tmp_path_factory):
    """A model trained in QGIS on the training polygons, every band of the image an input, and its class map."""
    folder = tmp_path_factory.mktemp("workflow")
    shutil.copy(IMAGE, folder / IMAGE.name)  # QGIS may write statistics beside the image: a copy keeps the repo clean
    image = QgsRasterLayer(str(folder / IMAGE.name), "olinda")
    assert image.isValid()
    QgsProject.instance().addMapLayer(image)
    from geoclf_processing.settings import parameter_name, training_settings

    settings = {setting["name"]: setting for setting in training_settings()}
    processing.run("geoclf:trainclassifier", {
        "INPUT": str(AREAS), "IMAGES": [image.id()], "USE_XY": False, "MAX_PER_POLYGON": 30, parameter_name(settings["epochs"]): 40,
        parameter_name(settings["response"]): settings["response"]["choices"].index("smooth"), "OUTPUT": str(folder / "model.geoclf"),
    })
    QgsProject.instance().removeMapLayer(image.id())
    processing.run("geoclf:predictclassraster", {"MODEL": str(folder / "model.geoclf"), "OUTPUT": str(folder / "classes.tif")})
    return folder


def reference_points(crs):
    """A memory layer of 8 points in each of the PLACES, labelled with its cover (a stand-in for a field check), in `crs`."""
    from osgeo import gdal
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform

    layer = QgsVectorLayer(f"Point?crs={crs}&field=cover:string", "reference", "memory")
    x0, dx, _, y0, _, dy = gdal.Open(str(IMAGE)).GetGeoTransform()
    to_layer = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:31985"), layer.crs(), QgsProject.instance())
    rng = np.random.default_rng(0)
    features = []
    for cover, (c0, r0, c1, r1) in PLACES.items():
        for col, row in zip(rng.uniform(c0, c1, 8), rng.uniform(r0, r1, 8)):
            feature = QgsFeature(layer.fields())
            feature.setGeometry(QgsGeometry.fromPointXY(to_layer.transform(QgsPointXY(x0 + col * dx, y0 + row * dy))))
            feature.setAttributes([cover])
            features.append(feature)
    assert layer.dataProvider().addFeatures(features)[0]
    QgsProject.instance().addMapLayer(layer)
    return layer


def test_polygons_train_on_every_band_and_the_map_takes_the_images_grid(trained):
    info = model_info(trained / "model.geoclf")
    assert [spec["name"] for spec in info["inputs"]] == ["blue", "green", "red", "nir", "swir1", "swir2"]
    assert info["metrics"]["training_areas"] == 16 and info["metrics"]["samples"] == 16 * 30
    classes = QgsRasterLayer(str(trained / "classes.tif"), "classes")
    image = QgsRasterLayer(str(trained / IMAGE.name), "image")
    assert (classes.width(), classes.height(), classes.extent()) == (image.width(), image.height(), image.extent())
    del classes, image


def test_sieve_and_vectorize_match_the_cli_and_load_styled(provider, trained, tmp_path):
    sieved, polygons = tmp_path / "sieved.tif", tmp_path / "patches.gpkg"
    processing.run("geoclf:sieve", {"INPUT": str(trained / "classes.tif"), "MIN_CELLS": 9, "CONNECTIVITY": 1, "OUTPUT": str(sieved)})
    geoclf("sieve", trained / "classes.tif", "--min-cells", 9, "--connectivity", 8, "-o", tmp_path / "cli.tif")
    np.testing.assert_array_equal(read_band(sieved), read_band(tmp_path / "cli.tif"))
    assert (read_band(sieved) != read_band(trained / "classes.tif")).any()
    layer = QgsRasterLayer(str(sieved), "sieved")  # its .qml is QGIS's default style for it
    assert layer.renderer().type() == "paletted" and [c.label for c in layer.renderer().classes()] == ["urban", "vegetation", "water"]
    del layer

    processing.run("geoclf:vectorize", {"INPUT": str(sieved), "CONNECTIVITY": 0, "OUTPUT": str(polygons)})
    layer = QgsVectorLayer(str(polygons), "patches", "ogr")
    assert layer.isValid() and layer.geometryType() == 2 and layer.featureCount() > 10  # polygons
    assert [field.name() for field in layer.fields()][-3:] == ["cover", "code", "area_ha"]
    assert layer.renderer().type() == "categorizedSymbol" and [c.label() for c in layer.renderer().categories()] == ["urban", "vegetation", "water"]
    total = sum(feature["area_ha"] for feature in layer.getFeatures())
    assert total == pytest.approx(349 * 352 * 28.5**2 / 1e4, rel=1e-6)  # every cell of the image, in hectares
    del layer


def test_class_areas_with_reference_points_from_a_memory_layer(provider, trained, tmp_path):
    report = tmp_path / "areas.json"
    reference = reference_points("EPSG:31985")
    result = processing.run("geoclf:classareas", {"INPUT": str(trained / "classes.tif"), "REFERENCE": reference, "LABEL": "cover",
                                                  "OUTPUT": str(report)})
    QgsProject.instance().removeMapLayer(reference.id())
    figures = json.loads(report.read_text())
    assert result["OVERALL_ACCURACY"] == pytest.approx(figures["overall_accuracy"]) and figures["reference_points"] == 24
    assert {row["class"] for row in figures["classes"]} == {"urban", "vegetation", "water"}
    assert all(row["area_ci_ha"] is not None for row in figures["classes"])
    cli = json.loads(geoclf("areas", trained / "classes.tif", "--json").stdout)
    assert [row["mapped_ha"] for row in cli["classes"]] == [row["mapped_ha"] for row in figures["classes"]]


def test_importance_draws_its_chart_and_logs_each_band(provider, trained, tmp_path):
    reference = reference_points("EPSG:4326")  # points in another CRS than the model's
    chart, feedback = tmp_path / "importance.png", RecordingFeedback()
    processing.run("geoclf:importance", {"MODEL": str(trained / "model.geoclf"), "INPUT": reference, "LABEL": "cover",
                                         "REPEATS": 3, "OUTPUT": str(chart)}, feedback=feedback)
    QgsProject.instance().removeMapLayer(reference.id())
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    logged = "\n".join(feedback.infos)
    for band in ("blue", "nir", "swir2"):
        assert band in logged
