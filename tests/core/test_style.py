"""How a class map describes itself (style.py): its codes, colour table, tags and QGIS style."""

import xml.etree.ElementTree as ET

import numpy as np
import rasterio
from conftest import read_raster

from geoclf import Grid, TrainingConfig, predict_raster, spiral_samples, train
from geoclf.plotting import plot_class_map
from geoclf.samples import Samples
from geoclf.style import raster_codes, read_class_codes


def test_numeric_labels_are_their_own_codes_and_others_their_positions():
    assert raster_codes(["10", "20", "100"]) == [10, 20, 100]
    assert raster_codes(["crayfish", "tadpole"]) == [0, 1]
    assert raster_codes(["1", "255"]) == [0, 1]  # 255 is the map's nodata: positions instead
    assert raster_codes(["3", "x"]) == [0, 1]


def test_a_map_of_numeric_labels_keeps_their_values_sorted_by_value(tmp_path):
    points = spiral_samples(per_class=30, seed=4)
    points["cover"] = points["species"].map({"crayfish": 10, "diving beetle": 100, "tadpole": 20})
    model = train(Samples(points, "cover"), TrainingConfig(epochs=20, weight_decay=0.0))
    assert model.classes == ["10", "20", "100"]  # by value, not as text ("10", "100", "20")
    grid = Grid.from_bounds(model.extent, model.crs, resolution=40)
    predict_raster(model, grid, tmp_path / "cover.tif")
    codes = read_raster(tmp_path / "cover.tif", 1)
    from rasterio.windows import Window

    centres = np.column_stack(grid.cell_centers(Window(0, 0, grid.width, grid.height)))
    expected = np.array([10, 20, 100])[model.predict(centres)].reshape(codes.shape)
    np.testing.assert_array_equal(codes, expected)
    with rasterio.open(tmp_path / "cover.tif") as src:
        colormap, tags = src.colormap(1), src.tags()
    assert [colormap[code][:3] for code in (10, 20, 100)] == [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in model.colors]
    assert (tags["CLASS_10"], tags["CLASS_100"]) == ("10", "100")
    assert read_class_codes(tmp_path / "cover.tif") == (["10", "20", "100"], [10, 20, 100])
    palette = ET.parse(tmp_path / "cover.qml").getroot().iter("paletteEntry")
    assert [(entry.get("value"), entry.get("label")) for entry in palette] == [("10", "10"), ("20", "20"), ("100", "100")]
    shown = plot_class_map(tmp_path / "cover.tif").axes[0].images[0].get_array()
    np.testing.assert_array_equal(np.asarray(shown), np.searchsorted([10, 20, 100], codes))  # drawn by class position


def test_confidence_and_probability_rasters_get_styles_on_a_0_to_1_ramp(tmp_path, model):
    from geoclf import MapOutputs
    from geoclf.style import CONFIDENCE_RAMP, PROBABILITY_RAMP

    grid = Grid.from_bounds(model.extent, model.crs, resolution=100)
    predict_raster(model, grid, MapOutputs(tmp_path / "c.tif", probabilities=tmp_path / "p.tif", confidence=tmp_path / "conf.tif"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.qml", "c.tif", "conf.qml", "conf.tif", "p.qml", "p.tif"]
    for name, ramp in (("conf.qml", CONFIDENCE_RAMP), ("p.qml", PROBABILITY_RAMP)):
        renderer = ET.parse(tmp_path / name).getroot().find("pipe/rasterrenderer")
        assert renderer.get("type") == "singlebandpseudocolor" and renderer.get("band") == "1"
        assert (renderer.get("classificationMin"), renderer.get("classificationMax")) == ("0", "1")
        assert [(float(item.get("value")), item.get("color")) for item in renderer.iter("item")] == list(ramp)


def test_colours_a_user_names_reach_the_model_the_colour_table_and_the_qgis_style(tmp_path, cli, spiral_gpkg):
    from conftest import assert_one_line_error

    model_path, classes = tmp_path / "m.geoclf", tmp_path / "c.tif"
    result = cli("train", spiral_gpkg, "-o", model_path, "--epochs", "5", "--weight-decay", "0", "-q",
                 "--colors", "tadpole=forestgreen, crayfish=#E31A1C")
    assert result.code == 0, result.err
    from geoclf import Model
    from geoclf.colors import class_colors

    model = Model.load(model_path)
    assert model.classes == ["crayfish", "diving beetle", "tadpole"]
    assert model.colors == ["#e31a1c", class_colors(3)[1], "#228b22"]  # the one not named keeps its default
    assert cli("predict-raster", "-m", model_path, "-o", classes, "--size", "20,20", "-q").code == 0
    with rasterio.open(classes) as src:
        assert [src.colormap(1)[code][:3] for code in (0, 2)] == [(227, 26, 28), (34, 139, 34)]
    palette = {entry.get("label"): entry.get("color") for entry in ET.parse(tmp_path / "c.qml").getroot().iter("paletteEntry")}
    assert (palette["crayfish"], palette["tadpole"]) == ("#e31a1c", "#228b22")
    for given, needle in (("otter=blue", "'otter', not a class"), ("tadpole=bluish", "'bluish' is not a colour"), ("tadpole", "CLASS=COLOUR")):
        assert_one_line_error(cli("train", spiral_gpkg, "-o", tmp_path / "x.geoclf", "--colors", given, "-q"), "--colors", needle)
    assert not (tmp_path / "x.geoclf").exists()
