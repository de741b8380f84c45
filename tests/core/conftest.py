"""Shared fixtures: real files on disk, a real trained model, the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

import geoclf
from geoclf.cli import main


@pytest.fixture(scope="session")
def spiral_gpkg(tmp_path_factory) -> Path:
    """The default spiral (300 points, seed 0) as a GeoPackage."""
    path = tmp_path_factory.mktemp("samples") / "samples.gpkg"
    geoclf.write_layer(geoclf.spiral_samples(), path, layer="samples")
    return path


@pytest.fixture(scope="session")
def model_path(spiral_gpkg, tmp_path_factory) -> Path:
    """A model trained with the default settings on the default spiral."""
    path = tmp_path_factory.mktemp("model") / "model.geoclf"
    geoclf.train(geoclf.read_samples(spiral_gpkg)).save(path)
    return path


@pytest.fixture(scope="session")
def model(model_path) -> geoclf.Model:
    return geoclf.Model.load(model_path)


def listing(folder: Path) -> set[str]:
    """Every name in a folder, hidden temporary files included."""
    return {p.name for p in Path(folder).iterdir()}


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def cli(capsys):
    """Run `geoclf ARGS` in-process through the real entry point; returns code, stdout, stderr."""

    def run(*args) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def run_geoclf(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run the installed console script in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "geoclf", *[str(a) for a in args]], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def read_raster(path, band=None) -> np.ndarray:
    """One band (2-D) or all bands (3-D) of a raster file."""
    import rasterio

    with rasterio.open(path) as src:
        return src.read(band) if band else src.read()


def assert_one_line_error(result: CliResult, *needles: str) -> None:
    """Non-zero exit, exactly one line on stderr, no traceback, and the line names the problem."""
    assert result.code != 0
    assert len(result.error_lines) == 1, result.err
    assert "Traceback" not in result.err
    for needle in needles:
        assert needle in result.err, (needle, result.err)


def assert_real_picture(path, min_size=(400, 300)):
    """A PNG of a sensible size with real content: many distinct colours, not one flat fill."""
    pixels = image.imread(path)
    height, width = pixels.shape[:2]
    assert width >= min_size[0] and height >= min_size[1]
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 20
    assert pixels[..., :3].std() > 0.05
