"""Plugin tests run inside a real QGIS (pytest-qgis, QGIS's own Python) and call the real geoclf CLI.

They need GEOCLF_EXECUTABLE, or the repository's .venv/bin/geoclf that `make venv` builds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from qgis.core import QgsProcessingFeedback

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = ROOT / "qgis_plugin"
sys.path.insert(0, str(PLUGIN_DIR))

GEOCLF = os.environ.get("GEOCLF_EXECUTABLE") or str(ROOT / ".venv" / "bin" / "geoclf")
os.environ["GEOCLF_EXECUTABLE"] = GEOCLF
EXTENT = (199000.0, 549000.0, 201000.0, 551000.0)


def geoclf(*args, cwd=None) -> subprocess.CompletedProcess:
    """The geoclf CLI directly, in a clean environment (not QGIS's), to compare with the plugin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "QGIS", "PROJ", "GDAL"))}
    done = subprocess.run([GEOCLF, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="session")
def provider(qgis_processing):
    from geoclf_processing.provider import GeoclfProvider
    from qgis.core import QgsApplication

    instance = GeoclfProvider()
    assert QgsApplication.processingRegistry().addProvider(instance)
    yield instance
    QgsApplication.processingRegistry().removeProvider(instance)


@pytest.fixture(scope="session")
def spiral(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spiral") / "samples.gpkg"
    geoclf("make-samples", "spiral", path)
    return path


@pytest.fixture(scope="session")
def model_file(spiral, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.geoclf"
    geoclf("train", spiral, "-o", path, "--epochs", "60", "-q")
    return path


def model_info(path) -> dict:
    return json.loads(geoclf("info", path, "--json").stdout)


def read_band(path, band=1):
    from osgeo import gdal

    dataset = gdal.Open(str(path))
    assert dataset is not None, path
    return dataset.GetRasterBand(band).ReadAsArray()


def listing(folder) -> set[str]:
    return {p.name for p in Path(folder).iterdir()}


class RecordingFeedback(QgsProcessingFeedback):
    """Feedback that keeps the warnings and lines it is given, as the Processing dialog's log shows them."""

    def __init__(self):
        super().__init__()
        self.warnings, self.infos = [], []

    def pushInfo(self, text):  # noqa: N802
        self.infos.append(text)
        super().pushInfo(text)

    def pushWarning(self, text):
        self.warnings.append(text)
        super().pushWarning(text)
