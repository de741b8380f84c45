"""The class map: every grid cell classified at its centre, written window by window.

Memory stays flat whatever the grid size: one window of cells is made, classified and
written at a time. A WindowPredictor does the work for one window; it is small to send,
so the same code runs here or on Dask workers (geoclf.dask_windows) and gives the same bytes.
The GeoTIFF carries a colour table and class names, and a QGIS style sidecar (.qml)
makes the legend show the species names (style.py).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.windows import Window

from .errors import GeoclfError
from .grid import MAX_CELLS, Grid
from .grid_values import GridInputs
from .inputs import check_covariates
from .masks import Mask
from .model import Model
from .outputs import atomic_output, check_destination, sidecar
from .style import describe_class_raster, write_qml

NODATA_CLASS = 255
BLOCK = 256  # GeoTIFF tile size and prediction window (65,536 cells; the forward pass chunks it, see model.py)
GDAL_CACHE_MB = 64
CONFIDENCE_MEASURES = ("top", "entropy")


@dataclass
class WindowResult:
    """One window's arrays, (rows, cols) each; probabilities (classes, rows, cols)."""

    window: Window
    codes: np.ndarray
    probabilities: np.ndarray | None = None
    confidence: np.ndarray | None = None


class WindowPredictor:
    """Classifies one window of a grid. Pickles small (the model as its file's bytes), so it can travel to workers."""

    def __init__(
        self,
        model: Model,
        grid: Grid,
        probabilities: bool = False,
        confidence: str | None = None,
        mask: Mask | None = None,
        resampling: str = "bilinear",
        device: str = "cpu",
    ):
        if confidence is not None and confidence not in CONFIDENCE_MEASURES:
            raise GeoclfError(f"unknown confidence measure {confidence!r}; choose from {', '.join(CONFIDENCE_MEASURES)}")
        self.model_bytes = model.to_bytes()
        self.grid, self.mask, self.resampling, self.device = grid, mask, resampling, str(device)
        self.probabilities, self.confidence = probabilities, confidence
        self.classes = len(model.classes)
        self._model, self._inputs = model, None
        self._open_inputs()  # here, so a bad covariate fails before any work

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_model"] = state["_inputs"] = None  # rebuilt from the bytes where it is used
        return state

    def _open_inputs(self) -> GridInputs:
        if self._model is None:
            self._model = Model.from_bytes(self.model_bytes)
        if self._inputs is None:
            self._inputs = GridInputs(self._model.inputs, self.grid, self._model.crs, self.resampling)
        return self._inputs

    def close(self) -> None:
        if self._inputs is not None:
            self._inputs.close()
            self._inputs = None

    def compute(self, window: Window) -> WindowResult:
        shape = (int(window.height), int(window.width))
        cells = shape[0] * shape[1]
        codes = np.full(cells, NODATA_CLASS, dtype=np.uint8)
        want_probabilities = self.probabilities or self.confidence is not None
        probs = np.full((cells, self.classes), np.nan, dtype=np.float32) if want_probabilities else None
        if self.mask is None or self.mask.touches(self.grid.transform, window):
            values, valid = self._open_inputs().read(window)
            if self.mask is not None:
                valid &= self.mask.inside(self.grid.transform, window, *self.grid.cell_centers(window))
            if valid.any():
                codes[valid], valid_probs = self._model.classify(values[valid], self.device, probabilities=want_probabilities)
                if probs is not None:
                    probs[valid] = valid_probs
        result = WindowResult(window, codes.reshape(shape))
        if self.probabilities:
            result.probabilities = probs.T.reshape((self.classes, *shape))
        if self.confidence is not None:
            result.confidence = confidence_of(probs, self.confidence).reshape(shape)
        return result


def confidence_of(probs: np.ndarray, measure: str) -> np.ndarray:
    """'top': the winning class's probability. 'entropy': 1 - H(p) / log(classes), so 1 is certain, 0 a coin toss."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if measure == "top":
            return probs.max(axis=1)
        entropy = -np.nansum(np.where(probs > 0, probs * np.log(probs), 0.0), axis=1)
        out = (1 - entropy / np.log(probs.shape[1])).astype(np.float32)
        out[np.isnan(probs).any(axis=1)] = np.nan
        return out


def predict_raster(
    model: Model,
    grid: Grid,
    path: str | os.PathLike,
    probabilities: str | os.PathLike | None = None,
    overwrite: bool = False,
    force: bool = False,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    resampling: str = "bilinear",
    confidence: str | os.PathLike | None = None,
    confidence_measure: str = "top",
    mask: Mask | None = None,
    cog: bool = False,
    results: Callable[[WindowPredictor, list[Window]], Iterable[WindowResult]] | None = None,
) -> None:
    """Write the class map (uint8 codes, nodata 255), and optionally probabilities and confidence (float32).

    A cell where any input is missing (a covariate's nodata, or outside its raster) or
    outside `mask` is nodata. `cog` writes Cloud Optimized GeoTIFFs with overviews.
    `results` computes the windows elsewhere (geoclf.dask_windows); by default they are
    computed here, one after the other. `progress(done, total)` counts cells.
    """
    if grid.cells > MAX_CELLS and not force:
        raise GeoclfError(
            f"the grid is {grid.width} x {grid.height} = {grid.cells:,} cells, over the limit of {MAX_CELLS:,}; "
            "use a coarser --resolution, or --force if you mean it"
        )
    model = model.with_inputs(check_covariates(model.inputs))
    outputs = {"classes": path, "style": sidecar(path, ".qml")}
    if probabilities:
        outputs["probabilities"] = probabilities
    if confidence:
        outputs["confidence"] = confidence
    for output in outputs.values():
        check_destination(output, overwrite)
    predictor = WindowPredictor(model, grid, bool(probabilities), confidence_measure if confidence else None, mask, resampling, device)
    windows = list(grid.windows(BLOCK))
    with contextlib.ExitStack() as stack:
        stack.callback(predictor.close)
        # GDAL's block cache defaults to 5% of RAM; capped, memory stays flat for any grid size.
        stack.enter_context(rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB))
        final = {name: stack.enter_context(atomic_output(output, overwrite)) for name, output in outputs.items()}
        # With --cog, GeoTIFFs are written beside the final temporaries first, then copied as COGs.
        written = {name: (_intermediate(p) if cog else p) for name, p in final.items() if name != "style"}
        if cog:
            for intermediate in written.values():
                stack.callback(_remove, intermediate)
        datasets = _open_outputs(stack, written, grid, model)
        done = 0
        stream = results(predictor, windows) if results is not None else (predictor.compute(w) for w in windows)
        for result in stream:
            datasets["classes"].write(result.codes, 1, window=result.window)
            if "probabilities" in datasets:
                datasets["probabilities"].write(result.probabilities, window=result.window)
            if "confidence" in datasets:
                datasets["confidence"].write(result.confidence, 1, window=result.window)
            done += result.codes.size
            if progress is not None:
                progress(done, grid.cells)
        for dataset in datasets.values():
            dataset.close()
        if cog:
            for name, intermediate in written.items():
                _copy_as_cog(intermediate, final[name], "MODE" if name == "classes" else "AVERAGE")
        write_qml(final["style"], model.classes, model.colors)


def _intermediate(path: Path) -> Path:
    return path.with_name(path.stem + ".gtiff" + path.suffix)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _open_outputs(stack: contextlib.ExitStack, paths: dict, grid: Grid, model: Model) -> dict:
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "transform": grid.transform,
        "crs": rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()) if grid.crs is not None else None,
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    count = len(model.classes)
    datasets = {"classes": stack.enter_context(rasterio.open(paths["classes"], "w", count=1, dtype="uint8", nodata=NODATA_CLASS, **profile))}
    describe_class_raster(datasets["classes"], model)
    if "probabilities" in paths:
        # Level 1: probabilities are 12x the bytes of the classes; level 6 costs 20% speed for 4% size.
        # (GDAL's NUM_THREADS compression gained 8% more but cost 120 MB of memory: not used.)
        dataset = stack.enter_context(
            rasterio.open(paths["probabilities"], "w", count=count, dtype="float32", nodata=np.nan, predictor=3, zlevel=1, **profile)
        )
        for band, name in enumerate(model.classes, start=1):
            dataset.set_band_description(band, name)
        dataset.update_tags(GEOCLF_CLASSES=json.dumps(model.classes))
        datasets["probabilities"] = dataset
    if "confidence" in paths:
        dataset = stack.enter_context(
            rasterio.open(paths["confidence"], "w", count=1, dtype="float32", nodata=np.nan, predictor=3, zlevel=1, **profile)
        )
        datasets["confidence"] = dataset
    return datasets


def _copy_as_cog(source: Path, target: Path, overview_resampling: str) -> None:
    """A Cloud Optimized GeoTIFF copy, with overviews (mode for classes, so no class is invented)."""
    rasterio.shutil.copy(
        source, target, driver="COG", COMPRESS="DEFLATE", BLOCKSIZE=BLOCK, OVERVIEWS="AUTO",
        OVERVIEW_RESAMPLING=overview_resampling, BIGTIFF="IF_SAFER",
    )
