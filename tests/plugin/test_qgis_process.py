"""The algorithms once more through /usr/bin/qgis_process.bin, with a throwaway profile.

The class map qgis_process draws must equal the CLI's for the same model and grid, cell for cell.
"""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from conftest import EXTENT, GEOCLF, PLUGIN_DIR, geoclf, model_info, read_band

sys.path.insert(0, str(PLUGIN_DIR))
from build_zip import build as build_zip  # noqa: E402

QGIS_PROCESS = "/usr/bin/qgis_process.bin"  # Debian's qgis_process wrapper adds a flag that fails
pytestmark = pytest.mark.skipif(not os.path.exists(QGIS_PROCESS), reason="QGIS is not installed")


@pytest.fixture(scope="module")
def qgis_process(tmp_path_factory):
    """Run qgis_process as a user would: /usr/bin first on PATH, offscreen, a fresh profile, the plugin enabled."""
    home = tmp_path_factory.mktemp("qgis-home")
    # Installed as the Plugin Manager's "Install from ZIP" does: the zip unpacked into the profile.
    plugins = home / "config" / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(build_zip(home / "dist")) as archive:
        archive.extractall(plugins)
    env = {
        "PATH": "/usr/bin:/bin",  # a venv or pyenv first on PATH makes QGIS load the wrong Python
        "HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        "QGIS_CUSTOM_CONFIG_PATH": str(home / "config"),
        "GEOCLF_EXECUTABLE": GEOCLF,
        "LANG": "C.UTF-8",
    }

    def run(*args, check=True):
        done = subprocess.run([QGIS_PROCESS, *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
        if check:
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done

    run("plugins", "enable", "geoclf_processing")
    return run


def result_json(done):
    return json.loads(done.stdout[done.stdout.index("{"):])


def test_plugin_is_listed(qgis_process):
    listing = qgis_process("list").stdout
    for algorithm in ("geoclf:trainclassifier", "geoclf:predictclassraster", "geoclf:predictpoints", "geoclf:evaluate", "geoclf:spiralsamples"):
        assert algorithm in listing


def test_spiral_to_class_map_matches_the_cli(qgis_process, tmp_path):
    samples, model, classes = tmp_path / "samples.gpkg", tmp_path / "model.geoclf", tmp_path / "classes.tif"
    done = qgis_process("--json", "run", "geoclf:spiralsamples", "--", "PER_CLASS=100", "SEED=0", f"OUTPUT={samples}")
    assert result_json(done)["results"]["OUTPUT"] == str(samples)
    done = qgis_process(
        "--json", "run", "geoclf:trainclassifier", "--", f"INPUT={samples}", "LABEL=species", "EPOCHS=40", "SEED=2", f"OUTPUT={model}"
    )
    assert result_json(done)["results"]["OUTPUT"] == str(model)
    assert model_info(model)["metrics"]["samples"] == 300
    extent = f"{EXTENT[0]},{EXTENT[2]},{EXTENT[1]},{EXTENT[3]} [EPSG:5186]"
    done = qgis_process("--json", "run", "geoclf:predictclassraster", "--", f"MODEL={model}", f"EXTENT={extent}", "PIXEL_SIZE=8", f"OUTPUT={classes}")
    assert result_json(done)["results"]["OUTPUT"] == str(classes)

    geoclf("predict-raster", ",".join(map(str, EXTENT)), "-m", model, "-o", tmp_path / "cli.tif", "--resolution", 8, "-q")
    from_qgis, from_cli = read_band(classes), read_band(tmp_path / "cli.tif")
    assert from_qgis.shape == (250, 250)
    np.testing.assert_array_equal(from_qgis, from_cli)
    assert set(np.unique(from_qgis)) == {0, 1, 2}


def test_evaluate_and_predict_points(qgis_process, tmp_path):
    samples, model = tmp_path / "s.gpkg", tmp_path / "m.geoclf"
    geoclf("make-samples", "spiral", samples, "--per-class", "30")
    geoclf("train", samples, "-o", model, "--epochs", "30", "-q")
    done = qgis_process("--json", "run", "geoclf:evaluate", "--", f"MODEL={model}", f"INPUT={samples}", f"OUTPUT={tmp_path / 'r.json'}")
    results = result_json(done)["results"]
    assert results["ACCURACY"] == pytest.approx(json.loads((tmp_path / "r.json").read_text())["accuracy"])
    done = qgis_process("--json", "run", "geoclf:predictpoints", "--", f"MODEL={model}", f"INPUT={samples}", f"OUTPUT={tmp_path / 'p.gpkg'}")
    assert result_json(done)["results"]["OUTPUT"] == str(tmp_path / "p.gpkg")


def test_errors_reach_qgis_process(qgis_process, tmp_path):
    done = qgis_process("run", "geoclf:predictclassraster", "--", f"MODEL={tmp_path / 'nope.geoclf'}", "EXTENT=0,1,0,1 [EPSG:5186]", f"OUTPUT={tmp_path / 'c.tif'}", check=False)
    assert done.returncode != 0
    assert "no such model file" in done.stdout + done.stderr
