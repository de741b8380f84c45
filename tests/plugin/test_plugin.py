"""Each algorithm through processing.run in a real QGIS, on real files and on memory layers."""

import configparser
import json
import re
import shutil

import numpy as np
import processing
import pytest
from conftest import EXTENT, GEOCLF, PLUGIN_DIR, RecordingFeedback, geoclf, listing, model_info, read_band
from qgis.PyQt.QtCore import Qt
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsLayerTree,
    QgsLayerTreeModel,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

QGIS_EXTENT = f"{EXTENT[0]},{EXTENT[2]},{EXTENT[1]},{EXTENT[3]} [EPSG:5186]"  # QGIS writes xmin,xmax,ymin,ymax
ALGORITHMS = {"trainclassifier", "predictclassraster", "predictpoints", "evaluate", "importance", "classareas", "sieve", "vectorize", "spiralsamples"}


def memory_points(features, crs="EPSG:5186", fields="species:string"):
    layer = QgsVectorLayer(f"Point?crs={crs}&field={fields}", "memory points", "memory")
    provider = layer.dataProvider()
    items = []
    for x, y, *values in features:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        feature.setAttributes(list(values))
        items.append(feature)
    assert provider.addFeatures(items)[0]
    QgsProject.instance().addMapLayer(layer)
    return layer


def spiral_features(path):
    layer = QgsVectorLayer(str(path), "samples", "ogr")
    return [(f.geometry().asPoint().x(), f.geometry().asPoint().y(), f["species"]) for f in layer.getFeatures()]


def test_provider_and_algorithms_are_named_for_processing(provider):
    assert provider.id() == "geoclf"
    algorithms = {a.name(): a for a in provider.algorithms()}
    assert set(algorithms) == ALGORITHMS
    for name, algorithm in algorithms.items():
        assert re.fullmatch(r"[a-z]+", name) and re.fullmatch(r"[a-z]+", algorithm.groupId())
        assert algorithm.group()[0].isupper() and algorithm.groupId() == algorithm.group().lower().replace(" ", "")
        help_text = algorithm.shortHelpString()
        for parameter in algorithm.parameterDefinitions():
            assert parameter.description().split(" (")[0] in help_text, (name, parameter.description())
    assert QgsApplication.processingRegistry().algorithmById("geoclf:predictclassraster") is not None


def test_metadata_is_complete():
    meta = configparser.ConfigParser()
    meta.read(PLUGIN_DIR / "geoclf_processing" / "metadata.txt")
    general = meta["general"]
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository", "license", "icon"):
        assert general.get(key), key
    assert general["qgisMinimumVersion"] == "3.22" and general["hasProcessingProvider"] == "yes"
    assert (PLUGIN_DIR / "geoclf_processing" / general["icon"]).is_file()


def test_spiral_samples(provider, tmp_path):
    out = tmp_path / "spiral.gpkg"
    processing.run("geoclf:spiralsamples", {"PER_CLASS": 20, "SEED": 3, "CENTER": "127.0,37.5 [EPSG:4326]", "CRS": "EPSG:32652", "OUTPUT": str(out)})
    layer = QgsVectorLayer(str(out), "s", "ogr")
    assert layer.featureCount() == 60 and layer.crs().authid() == "EPSG:32652"
    assert sorted({f["species"] for f in layer.getFeatures()}) == ["crayfish", "diving beetle", "tadpole"]
    centre = layer.extent().center()
    assert 300_000 < centre.x() < 340_000 and 4_130_000 < centre.y() < 4_170_000  # 127E 37.5N in UTM 52N
    renamed = tmp_path / "taxon.gpkg"
    processing.run("geoclf:spiralsamples", {"PER_CLASS": 5, "LABEL": "taxon", "OUTPUT": str(renamed)})
    assert {f["taxon"] for f in QgsVectorLayer(str(renamed), "t", "ogr").getFeatures()} == {"crayfish", "diving beetle", "tadpole"}


def test_train_from_a_file(provider, spiral, tmp_path):
    out = tmp_path / "m.geoclf"
    feedback = QgsProcessingFeedback()
    progress = []
    feedback.progressChanged.connect(progress.append)
    result = processing.run(
        "geoclf:trainclassifier",
        {"INPUT": str(spiral), "LABEL": "species", "HIDDEN": "16,16", "ACTIVATION": 2, "EPOCHS": 30, "LR": 0.02, "SEED": 4, "OUTPUT": str(out)},
        feedback=feedback,
    )
    assert result["OUTPUT"] == str(out)
    info = model_info(out)
    shape = {key: info["architecture"][key] for key in ("inputs", "hidden", "outputs", "activation")}
    assert shape == {"inputs": 2, "hidden": [16, 16], "outputs": 3, "activation": "tanh"}
    assert info["training"]["epochs"] == 30 and info["training"]["seed"] == 4 and info["training"]["lr"] == 0.02
    assert progress and max(progress) == 100


def test_every_setting_geoclf_describes_is_a_parameter_with_geoclfs_label_default_and_bounds(provider):
    """Generated from geoclf's one declaration: the installed geoclf's `describe --json` is the plugin's description."""
    import subprocess

    from geoclf_processing.settings import description, map_settings, training_settings

    described = json.loads(subprocess.run([GEOCLF, "describe", "--json"], check=True, capture_output=True, text=True).stdout)
    assert described == description(), "run `make plugin-description`"
    for algorithm_name, settings in (("trainclassifier", training_settings()), ("predictclassraster", map_settings())):
        _assert_parameters_match(provider.algorithm(algorithm_name), settings)


def _assert_parameters_match(algorithm, settings):
    from geoclf_processing.settings import parameter_name

    for setting in settings:
        parameter = algorithm.parameterDefinition(parameter_name(setting))
        assert parameter is not None, setting["name"]
        assert parameter.description() == setting["label"] and setting["help"] in parameter.help()
        default = parameter.defaultValue()
        if setting["choices"]:
            assert parameter.options()[default] == setting["default"]
        else:
            assert default == setting["default"], setting["name"]
        assert bool(parameter.flags() & parameter.FlagOptional) == setting["optional"], setting["name"]
        assert bool(parameter.flags() & parameter.FlagAdvanced) == setting["advanced"], setting["name"]
        if setting["kind"] in ("int", "float") and setting["minimum"] is not None:
            assert parameter.minimum() == setting["minimum"], setting["name"]


PLUGIN_SETS_ITSELF = {"--overwrite", "--progress", "--quiet", "--debug", "--json", "--threads"}  # --threads: QGIS's max cores
def test_every_option_of_the_commands_the_plugin_runs_has_its_parameter(provider):
    from geoclf_processing.settings import description, map_settings, parameter_name, training_settings

    generated = {setting["flag"]: parameter_name(setting) for setting in training_settings() + map_settings()}
    for algorithm_name in sorted(ALGORITHMS):
        algorithm = provider.algorithm(algorithm_name)
        command, by_hand = algorithm.COMMAND, algorithm.OPTIONS  # options the algorithm maps by hand, in its own class
        for flag in description()["command_options"][command]:
            if flag in PLUGIN_SETS_ITSELF:
                continue
            name = generated.get(flag) if command in ("train", "predict-raster") else None
            name = name or by_hand.get(flag)
            assert name is not None, f"geoclf {command} {flag} has no parameter in {algorithm_name}"
            assert algorithm.parameterDefinition(name) is not None, (command, flag, name)


# One value other than the default for every setting; a setting declared in geoclf and missing here fails the test.
CHANGED = {
    "scaling": "minmax", "hidden": "8,8", "activation": "tanh", "optimizer": "sgd", "lr": 0.05, "epochs": 7, "batch_size": 16,
    "lr_schedule": "constant", "seed": 3, "val_fraction": 0.25, "device": "auto", "encoding": "fourier", "encoding_frequencies": 4,
    "encoding_scale": 0.5, "residual": True, "dropout": 0.1, "response": "smooth", "weight_decay": 0.01, "feature_bins": 4,
    "input_lasso": 0.001, "class_weight": "balanced", "patience": 3, "calibrate": False, "colors": "tadpole=green",
    "near_detail": False,
}


def test_every_setting_changed_in_the_dialog_reaches_the_model_file(provider, tmp_path):
    from geoclf_processing.settings import parameter_name, training_settings

    settings = training_settings()
    assert {setting["name"] for setting in settings} == set(CHANGED)
    parameters = {}
    for setting in settings:
        value = CHANGED[setting["name"]]
        assert value != setting["default"], setting["name"]
        parameters[parameter_name(setting)] = setting["choices"].index(value) if setting["choices"] else value
    rng = np.random.default_rng(0)
    layer = memory_points(
        [(200000 + x, 550000 + y, "crayfish" if x > 0 else "tadpole", float(d)) for x, y, d in rng.uniform(-500, 500, (60, 3))],
        fields="species:string&field=depth:double",
    )
    out = tmp_path / "changed.geoclf"
    processing.run("geoclf:trainclassifier", {"INPUT": layer.id(), "LABEL": "species", "FEATURES": ["depth"], **parameters, "OUTPUT": str(out)})
    info = model_info(out)
    training = info["training"]
    recorded = {name: ",".join(map(str, training[name])) if name == "hidden" else training[name] for name in CHANGED}
    assert recorded == CHANGED
    assert info["colors"][info["classes"].index("tadpole")] == "#008000"  # and the legend takes the colour


def test_train_with_the_better_model_options_and_cross_validation(provider, spiral, tmp_path):
    out = tmp_path / "better.geoclf"
    logged = []

    class LogFeedback(QgsProcessingFeedback):  # keeps what the Processing log shows
        def pushInfo(self, info):  # noqa: N802
            logged.append(info)

    feedback = LogFeedback()
    processing.run(
        "geoclf:trainclassifier",
        {"INPUT": str(spiral), "LABEL": "species", "EPOCHS": 30, "ENCODING": 2, "DROPOUT": 0.1, "WEIGHT_DECAY": 0.01,
         "CLASS_WEIGHT": 1, "VAL_FRACTION": 0.2, "PATIENCE": 10, "CV_FOLDS": 3, "CV_BY": 1, "OUTPUT": str(out)},
        feedback=feedback,
    )
    info = model_info(out)
    assert info["architecture"]["encoding"]["kind"] == "sinusoidal" and info["architecture"]["dropout"] == 0.1
    assert info["training"]["class_weight"] == "balanced" and info["training"]["weight_decay"] == 0.01
    assert info["training"]["patience"] == 10 and "temperature" in info["metrics"]
    report = info["metrics"]["cross_validation"]
    assert report["folds"] == 3 and report["by"] == "cluster"
    assert any("3-fold cross-validation by cluster" in line for line in logged)


def test_a_model_left_as_a_temporary_file_is_written_beside_the_samples(provider, spiral, tmp_path):
    samples = tmp_path / "survey.gpkg"
    shutil.copy(spiral, samples)
    first = processing.run("geoclf:trainclassifier", {"INPUT": str(samples), "LABEL": "species", "EPOCHS": 3, "OUTPUT": "TEMPORARY_OUTPUT"})
    second = processing.run("geoclf:trainclassifier", {"INPUT": str(samples), "LABEL": "species", "EPOCHS": 3, "OUTPUT": "TEMPORARY_OUTPUT"})
    assert (first["OUTPUT"], second["OUTPUT"]) == (str(tmp_path / "survey.geoclf"), str(tmp_path / "survey_2.geoclf"))
    assert {n for n in listing(tmp_path) if not n.endswith(("-wal", "-shm"))} == {"survey.gpkg", "survey.geoclf", "survey_2.geoclf"}
    assert model_info(tmp_path / "survey_2.geoclf")["label"] == "species"


def test_presence_only_records_train_against_background_points(provider, tmp_path):
    sightings = memory_points([(200000.0 + 7 * i, 550000.0 + 5 * (i % 9), "crayfish") for i in range(40)])
    out = tmp_path / "presence.geoclf"
    processing.run("geoclf:trainclassifier", {"INPUT": sightings, "LABEL": "species", "BACKGROUND": 300, "EPOCHS": 5, "OUTPUT": str(out)})
    info = model_info(out)
    assert info["classes"] == ["background", "crayfish"] and info["metrics"]["train_class_counts"] == {"background": 300, "crayfish": 40}
    assert info["training"]["class_weight"] == "balanced"


def test_train_from_a_memory_layer_with_selection(provider, spiral, tmp_path):
    layer = memory_points(spiral_features(spiral))
    layer.selectByIds([f.id() for f in layer.getFeatures() if f.id() % 2 == 0])
    selected = layer.selectedFeatureCount()
    out = tmp_path / "sel.geoclf"
    source = QgsProcessingFeatureSourceDefinition(layer.id(), selectedFeaturesOnly=True)
    processing.run("geoclf:trainclassifier", {"INPUT": source, "LABEL": "species", "EPOCHS": 5, "OUTPUT": str(out)})
    info = model_info(out)
    assert info["metrics"]["samples"] == selected == 150
    assert "5186" in info["crs"] or "Central Belt 2010" in info["crs"]


def test_a_rare_class_trains_and_its_warning_reaches_the_log(provider, spiral, tmp_path):
    otters = [(203000.0 + i, 553000.0 + i, "otter") for i in range(3)]
    layer = memory_points(spiral_features(spiral) + otters)
    out = tmp_path / "rare.geoclf"
    feedback = RecordingFeedback()
    processing.run("geoclf:trainclassifier", {"INPUT": layer, "LABEL": "species", "EPOCHS": 5, "OUTPUT": str(out)}, feedback=feedback)
    assert feedback.warnings == [
        "class 'otter' has only 3 samples; it is trained and mapped, but where it lives rests on those alone: collect more if you can"
    ]
    info = model_info(out)
    assert info["classes"] == ["crayfish", "diving beetle", "otter", "tadpole"]
    assert info["metrics"]["train_class_counts"]["otter"] == 3


def test_predict_raster_matches_the_cli_cell_for_cell(provider, model_file, tmp_path):
    out, probs = tmp_path / "classes.tif", tmp_path / "probs.tif"
    processing.run(
        "geoclf:predictclassraster",
        {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 10, "OUTPUT": str(out), "PROBABILITIES": str(probs)},
    )
    geoclf("predict-raster", ",".join(map(str, EXTENT)), "-m", model_file, "-o", tmp_path / "cli.tif", "--resolution", 10, "-q")
    plugin_codes, cli_codes = read_band(out), read_band(tmp_path / "cli.tif")
    assert plugin_codes.shape == (200, 200)
    np.testing.assert_array_equal(plugin_codes, cli_codes)
    np.testing.assert_array_equal(np.stack([read_band(probs, b) for b in (1, 2, 3)]).argmax(axis=0), plugin_codes)
    probability_layer = QgsRasterLayer(str(probs), "probabilities")  # not an RGB of three classes: one class on a 0-1 ramp
    assert probability_layer.renderer().type() == "singlebandpseudocolor" and probability_layer.renderer().band() == 1
    del probability_layer


def test_class_raster_opens_with_species_in_the_legend(provider, model_file, tmp_path):
    out = tmp_path / "legend.tif"
    processing.run("geoclf:predictclassraster", {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 20, "OUTPUT": str(out)})
    layer = QgsRasterLayer(str(out), "classes")  # QGIS loads classes.qml, its default style
    assert layer.isValid() and layer.crs().authid() == "EPSG:5186"
    renderer = layer.renderer()
    assert renderer.type() == "paletted"
    assert [c.label for c in renderer.classes()] == ["crayfish", "diving beetle", "tadpole"]
    assert [label for label, _ in renderer.legendSymbologyItems()] == ["crayfish", "diving beetle", "tadpole"]
    tree = QgsLayerTree()
    model = QgsLayerTreeModel(tree)  # the legend nodes live as long as their model
    legend = [node.data(Qt.DisplayRole) for node in model.layerLegendNodes(tree.addLayer(layer))]
    del model  # C++ objects Python owns: the model goes before its tree, the tree before the layer
    tree.removeAllChildren()
    del tree
    assert legend[0].startswith("Band 1: species") and legend[1:] == ["crayfish", "diving beetle", "tadpole"]  # the heading names the field


def test_class_raster_loaded_by_processing_gets_the_style(provider, model_file, tmp_path):
    """The path a user takes in the toolbox: the output is loaded into the project, styled."""
    out = tmp_path / "loaded.tif"
    processing.runAndLoadResults(
        "geoclf:predictclassraster", {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 40, "OUTPUT": str(out)}
    )
    layers = [l for l in QgsProject.instance().mapLayers().values() if l.source() == str(out)]
    assert len(layers) == 1
    renderer = layers[0].renderer()
    assert renderer.type() == "paletted" and [c.label for c in renderer.classes()] == ["crayfish", "diving beetle", "tadpole"]


def test_extent_in_another_crs(provider, model_file, tmp_path):
    out = tmp_path / "wgs.tif"
    processing.run(
        "geoclf:predictclassraster",
        {"MODEL": str(model_file), "EXTENT": "126.98,127.0,37.55,37.57 [EPSG:4326]", "PIXEL_SIZE": 25, "OUTPUT": str(out)},
    )
    layer = QgsRasterLayer(str(out), "w")
    assert layer.crs().authid() == "EPSG:5186"
    assert 190_000 < layer.extent().xMinimum() < 200_000


def test_predict_points_from_a_memory_layer_in_another_crs(provider, model_file, spiral, tmp_path):
    from qgis.core import QgsCoordinateTransform

    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:5186"), QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance()
    )
    features = []
    for x, y, species in spiral_features(spiral)[::10]:
        point = transform.transform(QgsPointXY(x, y))
        features.append((point.x(), point.y(), species))
    layer = memory_points(features, crs="EPSG:4326")
    out = tmp_path / "predicted.gpkg"
    processing.run("geoclf:predictpoints", {"MODEL": str(model_file), "INPUT": layer.id(), "OUTPUT": str(out)})
    result = QgsVectorLayer(str(out), "p", "ogr")
    assert result.featureCount() == 30 and result.crs().authid() == "EPSG:4326"
    names = result.fields().names()
    assert {"predicted", "prob_crayfish", "prob_diving_beetle", "prob_tadpole"} <= set(names)
    rows = list(result.getFeatures())
    assert np.mean([f["predicted"] == f["species"] for f in rows]) >= 0.9
    assert all(abs(f["prob_crayfish"] + f["prob_diving_beetle"] + f["prob_tadpole"] - 1) < 1e-5 for f in rows)
    renderer = result.renderer()  # QGIS loads predicted.qml, its default style: coloured by class as the class map
    assert renderer.type() == "categorizedSymbol" and renderer.classAttribute() == "predicted"
    assert [c.value() for c in renderer.categories()] == ["crayfish", "diving beetle", "tadpole"]
    assert [c.symbol().color().name() for c in renderer.categories()] == model_info(model_file)["colors"]


@pytest.mark.parametrize("suffix", [".html", ".json"])
def test_evaluate_writes_a_report(provider, model_file, spiral, tmp_path, suffix):
    out, plot = tmp_path / f"report{suffix}", tmp_path / "reliability.png"
    feedback = RecordingFeedback()
    result = processing.run(
        "geoclf:evaluate", {"MODEL": str(model_file), "INPUT": str(spiral), "OUTPUT": str(out), "RELIABILITY_PLOT": str(plot)},
        feedback=feedback,
    )
    geoclfs = [line for line in feedback.infos if not line.startswith("Results: ")]  # Processing adds its own results line
    assert geoclfs == [  # the figures in one line, not the JSON the algorithm reads them from
        f"overall accuracy {result['ACCURACY']:.3f}, Cohen's kappa {result['KAPPA']:.3f}, on 300 points; "
        f"the whole report (per class, confusion matrix, calibration): {out}"
    ]
    assert result["RELIABILITY_PLOT"] == str(plot) and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cli = json.loads(geoclf("evaluate", model_file, spiral, "--json").stdout)
    assert result["ACCURACY"] == pytest.approx(cli["accuracy"]) and result["KAPPA"] == pytest.approx(cli["kappa"])
    text = out.read_text()
    if suffix == ".json":
        assert json.loads(text) == cli
    else:
        assert "<table" in text and "diving beetle" in text and f"{cli['accuracy']:.3f}" in text
        assert f"expected calibration error: {cli['calibration']['ece']:.3f}" in text


def test_a_geoclf_error_becomes_a_processing_exception(provider, tmp_path):
    import gc
    import warnings

    layer = memory_points([(float(i), float(i), "crayfish") for i in range(10)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(QgsProcessingException, match="fewer than 2 classes"):
            processing.run("geoclf:trainclassifier", {"INPUT": layer.id(), "LABEL": "species", "OUTPUT": str(tmp_path / "x.geoclf")})
        gc.collect()
    assert listing(tmp_path) == set()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]  # the runner closes geoclf's pipes


def test_a_setting_error_names_the_dialogs_labels_not_the_command_lines_flags(provider, spiral, tmp_path):
    with pytest.raises(QgsProcessingException) as caught:
        processing.run("geoclf:trainclassifier", {"INPUT": str(spiral), "LABEL": "species", "PATIENCE": 5, "OUTPUT": str(tmp_path / "x.geoclf")})
    assert str(caught.value) == "'Patience' watches the hold-out loss, but there is no hold-out; give 'Validation share' (e.g. 0.2)"
    assert listing(tmp_path) == set()


def test_an_option_error_names_the_dialogs_parameter_not_the_command_lines_flag(provider, model_file, tmp_path):
    with pytest.raises(QgsProcessingException) as caught:
        processing.run(
            "geoclf:predictclassraster",
            {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 1e7, "OUTPUT": str(tmp_path / "one.tif")},
        )
    assert str(caught.value).startswith("'Pixel size (0 = automatic)' 1e+07 covers the whole extent")
    assert "--" not in str(caught.value) and listing(tmp_path) == set()


def test_cancel_stops_geoclf_and_leaves_no_output(provider, model_file, tmp_path):
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda value: feedback.cancel() if value > 0 else None)
    with pytest.raises(QgsProcessingException, match="canceled"):
        processing.run(
            "geoclf:predictclassraster",
            {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 0.4, "OUTPUT": str(tmp_path / "big.tif"), "PROBABILITIES": str(tmp_path / "p.tif")},
            feedback=feedback,
        )
    assert listing(tmp_path) == set()


def test_missing_executable_says_how_to_set_it(provider, tmp_path, monkeypatch, spiral):
    monkeypatch.setenv("GEOCLF_EXECUTABLE", str(tmp_path / "nowhere" / "geoclf"))
    with pytest.raises(QgsProcessingException, match="GEOCLF_EXECUTABLE points at .*not an executable file"):
        processing.run("geoclf:trainclassifier", {"INPUT": str(spiral), "LABEL": "species", "OUTPUT": str(tmp_path / "x.geoclf")})
    monkeypatch.delenv("GEOCLF_EXECUTABLE")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(QgsProcessingException, match="geoclf executable not found: .*Processing > Options > Providers > geoclf"):
        processing.run("geoclf:trainclassifier", {"INPUT": str(spiral), "LABEL": "species", "OUTPUT": str(tmp_path / "x.geoclf")})


def test_train_with_covariate_rasters_and_attribute_fields(provider, tmp_path):
    """Pond covariates (made by the CLI's library in its own environment) as QGIS raster layers, plus an attribute."""
    script = (
        "import sys, geoclf; from geoclf.datasets import write_pond_rasters, pond_samples; "
        "p = pond_samples(300); p['rain'] = 1.0; geoclf.write_layer(p, sys.argv[1] + '/s.gpkg', 'samples'); write_pond_rasters(sys.argv[1])"
    )
    import subprocess
    from pathlib import Path

    python = Path(GEOCLF).parent / "python"
    subprocess.run([str(python), "-c", script, str(tmp_path)], check=True, env={"PATH": "/usr/bin:/bin"})
    depth = QgsRasterLayer(str(tmp_path / "depth.tif"), "depth")
    vegetation = QgsRasterLayer(str(tmp_path / "vegetation.tif"), "vegetation")
    QgsProject.instance().addMapLayers([depth, vegetation])
    out = tmp_path / "pond.geoclf"
    processing.run(
        "geoclf:trainclassifier",
        {"INPUT": str(tmp_path / "s.gpkg"), "LABEL": "species", "FEATURES": ["rain"], "COVARIATES": [depth.id(), vegetation.id()],
         "USE_XY": False, "EPOCHS": 40, "OUTPUT": str(out)},
    )
    info = model_info(out)
    assert [(i["name"], i["kind"]) for i in info["inputs"]] == [("rain", "attribute"), ("depth", "covariate"), ("vegetation", "covariate")]
    assert info["metrics"]["dropped_samples"] > 0  # points under the vegetation raster's cloud
    choice = info["metrics"]["response_choice"]  # left at auto: chosen on inner folds, by the lower log loss
    assert choice["response"] == info["training"]["response"] == min(choice["log_loss"], key=choice["log_loss"].get), choice
    training, binned = info["training"], info["architecture"]["binning"]["columns"]
    if choice["response"] == "threshold":  # binned inputs under the input lasso
        assert training["input_lasso"] == 0.02 and training["weight_decay"] == 0.0
        assert binned == [1, 2]  # the constant 'rain' field stays a raw value
    else:  # raw inputs, the weight decay chosen on the same inner folds and recorded as if given
        assert training["input_lasso"] == 0.0 and not binned
        assert training["weight_decay"] == info["metrics"]["smoothness_choice"]["weight_decay"]


def test_predict_raster_with_confidence_masks_and_cog(provider, model_file, tmp_path):
    from osgeo import gdal

    polygon = QgsVectorLayer("Polygon?crs=EPSG:5186", "area", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromWkt("POLYGON((199500 549500, 200500 549500, 200500 550500, 199500 550500, 199500 549500))"))
    polygon.dataProvider().addFeatures([feature])
    QgsProject.instance().addMapLayer(polygon)
    out, confidence = tmp_path / "c.tif", tmp_path / "conf.tif"
    result = processing.run(
        "geoclf:predictclassraster",
        {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 5, "OUTPUT": str(out), "CONFIDENCE": str(confidence),
         "MASK": polygon.id(), "MAX_DISTANCE": 150, "COG": True},
    )
    assert result["CONFIDENCE"] == str(confidence)
    codes, conf = read_band(out), read_band(confidence)
    assert codes.shape == (400, 400)  # larger than a 256 block, so the COG has overviews
    assert (codes[:80, :] == 255).all() and (codes[:, :80] == 255).all()  # outside the square
    inside = codes[120:280, 120:280]
    assert (inside != 255).mean() > 0.5 and np.isnan(conf[codes == 255]).all()
    assert np.nanmin(conf) >= 1 / 3 - 1e-6 and np.nanmax(conf) <= 1 + 1e-6
    assert gdal.Open(str(out)).GetRasterBand(1).GetOverviewCount() > 0
    confidence_layer = QgsRasterLayer(str(confidence), "confidence")  # QGIS loads conf.qml, its default style
    style = confidence_layer.styleManager().style(confidence_layer.styleManager().currentStyle()).xmlData()
    assert 'type="singlebandpseudocolor"' in style and 'classificationMin="0"' in style and 'classificationMax="1"' in style
    del confidence_layer  # closed before the runs below read and write beside it (left open, QGIS crashed at exit)
    entropy, cli = tmp_path / "entropy.tif", tmp_path / "cli_entropy.tif"  # a map setting set in the dialog reaches geoclf
    processing.run(
        "geoclf:predictclassraster",
        {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 20, "OUTPUT": str(tmp_path / "e.tif"),
         "CONFIDENCE": str(entropy), "CONFIDENCE_MEASURE": 1, "DEVICE": 2},
    )
    geoclf("predict-raster", ",".join(map(str, EXTENT)), "-m", model_file, "-o", tmp_path / "cli.tif", "--resolution", 20,
           "--confidence", cli, "--confidence-measure", "entropy", "-q")
    np.testing.assert_array_equal(read_band(entropy), read_band(cli))
    assert np.nanmin(read_band(entropy)) < 1 / 3  # entropy's scale, not the top probability's
    hull = tmp_path / "hull.tif"
    processing.run("geoclf:predictclassraster", {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 20, "OUTPUT": str(hull), "HULL": True})
    assert 0 < (read_band(hull) == 255).mean() < 1
    with pytest.raises(QgsProcessingException, match="not both"):
        processing.run(
            "geoclf:predictclassraster",
            {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "OUTPUT": str(tmp_path / "x.tif"), "MASK": polygon.id(), "HULL": True},
        )


def test_predict_raster_grid_choices_match_the_cli(provider, model_file, tmp_path):
    """Align to a raster, a size in cells, no extent at all: the same grids (and cells) as geoclf's --like, --size and nothing."""
    reference = tmp_path / "reference.tif"
    geoclf("predict-raster", ",".join(map(str, EXTENT)), "-m", model_file, "-o", reference, "--resolution", 40, "-q")
    aligned = tmp_path / "aligned.tif"
    processing.run("geoclf:predictclassraster", {"MODEL": str(model_file), "LIKE": str(reference), "OUTPUT": str(aligned)})
    assert QgsRasterLayer(str(aligned), "a").extent() == QgsRasterLayer(str(reference), "r").extent()
    np.testing.assert_array_equal(read_band(aligned), read_band(reference))

    sized = tmp_path / "sized.tif"
    processing.run("geoclf:predictclassraster", {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "SIZE": "50,40", "OUTPUT": str(sized)})
    assert read_band(sized).shape == (40, 50)

    default, cli_default = tmp_path / "default.tif", tmp_path / "cli_default.tif"
    processing.run("geoclf:predictclassraster", {"MODEL": str(model_file), "OUTPUT": str(default)})
    geoclf("predict-raster", "-m", model_file, "-o", cli_default, "-q")
    assert QgsRasterLayer(str(default), "d").extent() == QgsRasterLayer(str(cli_default), "c").extent()

    with pytest.raises(QgsProcessingException, match="not both"):
        processing.run(
            "geoclf:predictclassraster",
            {"MODEL": str(model_file), "EXTENT": QGIS_EXTENT, "LIKE": str(reference), "OUTPUT": str(tmp_path / "both.tif")},
        )


def test_predict_raster_with_other_covariate_rasters_and_resampling(provider, tmp_path):
    """A depth model drawn on next year's depth raster, nearest-neighbour resampled: as the CLI draws it."""
    import subprocess
    from pathlib import Path

    from geoclf_processing.settings import map_settings

    resamplings = next(setting["choices"] for setting in map_settings() if setting["name"] == "resampling")
    python = Path(GEOCLF).parent / "python"
    script = (
        "import sys, json, rasterio, geoclf; from geoclf.datasets import write_pond_rasters, pond_samples; "
        "geoclf.write_layer(pond_samples(200), sys.argv[1] + '/s.gpkg', 'samples'); write_pond_rasters(sys.argv[1]); "
        "src = rasterio.open(sys.argv[1] + '/depth.tif'); profile = src.profile; d = src.read(1); src.close(); "
        "data = d.copy(); data[d != profile['nodata']] *= 0.5; "
        "out = rasterio.open(sys.argv[1] + '/shallow.tif', 'w', **profile); out.write(data, 1); out.close()"
    )
    subprocess.run([str(python), "-c", script, str(tmp_path)], check=True, env={"PATH": "/usr/bin:/bin"})
    model = tmp_path / "depth.geoclf"
    geoclf("train", tmp_path / "s.gpkg", "--covariate", f"depth={tmp_path / 'depth.tif'}", "--no-xy", "--epochs", 20, "-o", model, "-q")

    plugin, cli = tmp_path / "plugin.tif", tmp_path / "cli.tif"
    replacement = f"depth={tmp_path / 'shallow.tif'}"
    processing.run(
        "geoclf:predictclassraster",
        {"MODEL": str(model), "EXTENT": QGIS_EXTENT, "PIXEL_SIZE": 25, "RESAMPLING": resamplings.index("nearest"),
         "COVARIATES": f"\n{replacement}\n", "OUTPUT": str(plugin)},
    )
    geoclf("predict-raster", ",".join(map(str, EXTENT)), "-m", model, "-o", cli, "--resolution", 25, "--resampling", "nearest",
           "--covariate", replacement, "-q")
    np.testing.assert_array_equal(read_band(plugin), read_band(cli))
    original = tmp_path / "original.tif"
    geoclf("predict-raster", ",".join(map(str, EXTENT)), "-m", model, "-o", original, "--resolution", 25, "--resampling", "nearest", "-q")
    assert (read_band(original) != read_band(plugin)).any()  # the other raster was really read
