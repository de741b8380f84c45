import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from conftest import assert_one_line_error, listing
from conftest import read_raster as read
from rio_cogeo.cogeo import cog_validate

from geoclf import GeoclfError, Grid, MapOutputs, MapSettings, predict_raster
from geoclf.colors import rgb255
from geoclf.grid import MAX_CELLS
from geoclf.style import read_class_names
from geoclf.windows import confidence_of


@pytest.fixture
def grid(model):
    xmin, ymin, xmax, ymax = model.extent
    return Grid.from_bounds((xmin, ymin, xmax, ymax), model.crs, resolution=20)


def test_class_map_is_a_complete_georeferenced_geotiff(tmp_path, model, grid):
    out = tmp_path / "classes.tif"
    predict_raster(model, grid, out)
    with rasterio.open(out) as src:
        assert (src.width, src.height, src.count) == (grid.width, grid.height, 1)
        assert src.dtypes == ("uint8",) and src.nodata == 255
        assert src.crs.to_epsg() == 5186 and src.transform == grid.transform
        assert src.profile["tiled"] and src.profile["compress"] == "deflate"
        assert src.block_shapes == [(256, 256)]
        codes = src.read(1)
        cmap = src.colormap(1)
        tags = src.tags()
        description = src.descriptions[0]
    assert set(np.unique(codes)) == {0, 1, 2}
    for code, color in enumerate(model.colors):
        assert cmap[code] == (*rgb255(color), 255)
    assert json.loads(tags["GEOCLF_CLASSES"]) == model.classes
    assert tags["CLASS_1"] == "diving beetle"
    assert description == "species"  # QGIS heads the legend with it: "Band 1: species"
    assert read_class_names(out) == model.classes


def test_every_cell_is_classified_at_its_centre(tmp_path, model, grid):
    out = tmp_path / "classes.tif"
    predict_raster(model, grid, out)
    with rasterio.open(out) as src:
        codes = src.read(1)
    rows, cols = np.meshgrid(np.arange(grid.height), np.arange(grid.width), indexing="ij")
    x, y = rasterio.transform.xy(grid.transform, rows.ravel(), cols.ravel(), offset="center")
    expected = model.predict(np.column_stack([x, y]))
    np.testing.assert_array_equal(codes.ravel(), expected)


def test_qml_sidecar_gives_a_paletted_legend(tmp_path, model, grid):
    predict_raster(model, grid, tmp_path / "classes.tif")
    root = ET.parse(tmp_path / "classes.qml").getroot()
    renderer = root.find("pipe/rasterrenderer")
    assert renderer.get("type") == "paletted" and renderer.get("band") == "1"
    entries = [(e.get("value"), e.get("label"), e.get("color")) for e in renderer.iter("paletteEntry")]
    assert entries == [(str(i), name, color) for i, (name, color) in enumerate(zip(model.classes, model.colors))]


def test_probabilities_are_named_bands_that_agree_with_the_classes(tmp_path, model, grid):
    predict_raster(model, grid, MapOutputs(tmp_path / "c.tif", probabilities=tmp_path / "p.tif"))
    with rasterio.open(tmp_path / "p.tif") as src:
        probs = src.read()
        assert src.descriptions == tuple(model.classes)
        assert src.dtypes == ("float32",) * 3
    with rasterio.open(tmp_path / "c.tif") as src:
        codes = src.read(1)
    np.testing.assert_allclose(probs.sum(axis=0), 1, atol=1e-5)
    np.testing.assert_array_equal(probs.argmax(axis=0), codes)


def test_grid_in_another_crs_classifies_transformed_centres(tmp_path, model):
    wgs = pyproj.CRS.from_epsg(4326)
    to_wgs = pyproj.Transformer.from_crs(model.crs, wgs, always_xy=True)
    lon0, lat0 = to_wgs.transform(model.extent[0], model.extent[1])
    lon1, lat1 = to_wgs.transform(model.extent[2], model.extent[3])
    grid = Grid.from_bounds((lon0, lat0, lon1, lat1), wgs, size=(40, 30))
    predict_raster(model, grid, tmp_path / "wgs.tif")
    with rasterio.open(tmp_path / "wgs.tif") as src:
        assert src.crs.to_epsg() == 4326
        codes = src.read(1).ravel()
    lon, lat = grid.cell_centers(next(grid.windows(block=256)))
    x, y = pyproj.Transformer.from_crs(wgs, model.crs, always_xy=True).transform(lon, lat)
    np.testing.assert_array_equal(codes, model.predict(np.column_stack([x, y])))


def test_oversized_grid_needs_force(tmp_path, model):
    huge = Grid(Affine(1, 0, 0, 0, -1, 0), 20_000, MAX_CELLS // 20_000 + 1, model.crs)
    with pytest.raises(GeoclfError, match="over the limit.* or force if you mean it"):
        predict_raster(model, huge, tmp_path / "huge.tif")
    assert listing(tmp_path) == set()


def test_existing_outputs_are_kept_without_overwrite(tmp_path, model, grid):
    (tmp_path / "classes.qml").write_text("mine")
    with pytest.raises(GeoclfError, match="classes.qml already exists"):
        predict_raster(model, grid, tmp_path / "classes.tif")
    assert (tmp_path / "classes.qml").read_text() == "mine"
    assert listing(tmp_path) == {"classes.qml"}
    predict_raster(model, grid, MapOutputs(tmp_path / "classes.tif", overwrite=True))
    assert "paletted" in (tmp_path / "classes.qml").read_text()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_interruption_leaves_nothing_behind(tmp_path, model, stop):
    grid = Grid.from_bounds(model.extent, model.crs, size=(600, 600))
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 3:
            raise stop()

    with pytest.raises(stop):
        predict_raster(model, grid, MapOutputs(tmp_path / "classes.tif", probabilities=tmp_path / "probs.tif"), progress=progress)
    assert listing(tmp_path) == set()


def test_progress_reports_every_cell_once(tmp_path, model):
    grid = Grid.from_bounds(model.extent, model.crs, size=(300, 280))
    seen = []
    predict_raster(model, grid, tmp_path / "c.tif", progress=lambda done, total: seen.append((done, total)))
    assert len(seen) == 4  # 2 x 2 windows of 256
    assert seen[-1] == (grid.cells, grid.cells)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_memory_does_not_grow_with_the_grid(tmp_path, model_path):
    """Peak memory of a 4000 x 4000 map (with probabilities) stays near that of a 300 x 300 one."""
    # VmHWM is the child's own peak; ru_maxrss would carry pytest's over exec.
    script = (
        "import sys; from geoclf.cli import main; code = main(sys.argv[1:]); "
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) // 1024); sys.exit(code)"
    )
    peaks = {}
    for side in (300, 4000):
        done = subprocess.run(
            [sys.executable, "-c", script, "predict-raster", "-m", str(model_path), "-o", str(tmp_path / f"{side}.tif"),
             "--size", f"{side},{side}", "--probabilities", str(tmp_path / f"p{side}.tif"), "-q"],
            capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr
        peaks[side] = int(done.stdout.split()[-1])
    assert peaks[4000] < peaks[300] + 200, peaks  # 178x the cells, not 178x the memory
    assert peaks[4000] < 500, peaks  # the bar for any grid size, probabilities on


# -- outputs of large maps: confidence, Cloud Optimized GeoTIFFs ---------------------------------


@pytest.fixture(scope="module")
def large_grid(model):
    """600 x 500 cells: larger than one 256-cell window, so a COG gets overviews."""
    return Grid.from_bounds((199000.0, 549000.0, 201000.0, 551000.0), model.crs, size=(600, 500))


def test_confidence_measures():
    probs = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1], [np.nan] * 3], dtype=np.float32)
    np.testing.assert_allclose(confidence_of(probs, "top")[:3], [1.0, 1 / 3, 0.6], rtol=1e-6)
    entropy = confidence_of(probs, "entropy")
    np.testing.assert_allclose(entropy[:2], [1.0, 0.0], atol=1e-6)
    assert 0 < entropy[2] < 1 and np.isnan(entropy[3])


def test_confidence_raster_is_the_top_probability(tmp_path, model, large_grid):
    predict_raster(model, large_grid, MapOutputs(tmp_path / "c.tif", tmp_path / "p.tif", tmp_path / "conf.tif"))
    np.testing.assert_allclose(read(tmp_path / "conf.tif", 1), read(tmp_path / "p.tif").max(axis=0), rtol=1e-6)
    predict_raster(model, large_grid, MapOutputs(tmp_path / "e.tif", confidence=tmp_path / "ent.tif"), settings=MapSettings(confidence_measure="entropy"))
    entropy = read(tmp_path / "ent.tif", 1)
    assert 0 <= np.nanmin(entropy) and np.nanmax(entropy) <= 1 + 1e-6
    assert not (tmp_path / "e_probs.tif").exists()


def test_cog_is_valid_and_holds_the_same_map(tmp_path, model, large_grid):
    predict_raster(model, large_grid, MapOutputs(tmp_path / "plain.tif", tmp_path / "plain_p.tif"))
    predict_raster(model, large_grid, MapOutputs(tmp_path / "cog.tif", tmp_path / "cog_p.tif", tmp_path / "cog_c.tif"), settings=MapSettings(cog=True))
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


def test_cli_output_options(cli, tmp_path, model_path):
    result = cli("predict-raster", "-m", model_path, "-o", tmp_path / "c.tif", "--size", "300,300", "--cog",
                 "--confidence", tmp_path / "conf.tif", "--confidence-measure", "entropy", "--max-distance", "80", "-q")
    assert result.code == 0 and "wrote confidence (entropy)" in result.out
    assert cog_validate(str(tmp_path / "c.tif"))[0] and cog_validate(str(tmp_path / "conf.tif"))[0]
    codes = read(tmp_path / "c.tif", 1)
    assert (codes == 255).any() and (codes != 255).any()
    assert_one_line_error(cli("predict-raster", "-m", model_path, "-o", tmp_path / "x.tif", "--mask", "nowhere.gpkg"), "--mask nowhere.gpkg: no such file")
    assert not (tmp_path / "x.tif").exists()
