"""One window of a class map: its cells' inputs read, classified and turned into arrays.

A WindowPredictor does the work for one window; it is small to send (the model travels
as its file's bytes), so the same code runs here or on Dask workers (dask_windows.py)
and gives the same bytes. raster.py writes what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rasterio.windows import Window

from .choices import CONFIDENCE_MEASURES
from .crs import xy_transform
from .errors import GeoclfError
from .forward import BufferedMLP, SeparableGrid, is_plain
from .grid import Grid
from .grid_values import GridInputs
from .masks import Mask
from .model import Model

NODATA_CLASS = 255
BLOCK = 256  # GeoTIFF tile size and prediction window (65,536 cells; the forward pass chunks it, see model.py)


@dataclass
class WindowResult:
    """One window's arrays, (rows, cols) each; probabilities (classes, rows, cols), as the raster's bands."""

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
        self._model, self._inputs, self._buffered, self._separable = model, None, None, None
        self._open_inputs()  # here, so a bad covariate fails before any work

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_model"] = state["_inputs"] = state["_buffered"] = state["_separable"] = None  # rebuilt where it is used
        return state

    def _open_inputs(self) -> GridInputs:
        if self._model is None:
            self._model = Model.from_bytes(self.model_bytes)
        if self._inputs is None:
            model = self._model
            self._inputs = GridInputs(model.inputs, self.grid, model.crs, self.resampling)
            if self.device == "cpu" and is_plain(model):  # the fast path (forward.py); anything else: Model.classify
                self._buffered = BufferedMLP(model)
                if SeparableGrid.applies(model, self.grid, same_crs=xy_transform(self.grid.crs, model.crs) is None):
                    self._separable = SeparableGrid(model, self.grid, self._buffered)
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
        probs = np.empty((self.classes, cells), dtype=np.float32) if want_probabilities else None  # laid out as the bands
        if self.mask is None or self.mask.touches(self.grid.transform, window):
            self._classify(window, codes, probs)
        elif probs is not None:
            probs.fill(np.nan)
        result = WindowResult(window, codes.reshape(shape))
        if self.probabilities:
            result.probabilities = probs.reshape((self.classes, *shape))
        if self.confidence is not None:
            result.confidence = confidence_of(probs.T, self.confidence).reshape(shape)
        return result

    def _classify(self, window: Window, codes: np.ndarray, probs: np.ndarray | None) -> None:
        """Codes (and probabilities) of the window's cells with every input, inside the mask; the others are nodata
        (`codes` comes filled with it, `probs` empty: NaN is written where no probability is)."""
        inputs = self._open_inputs()
        inside = None if self.mask is None else self.mask.inside(self.grid.transform, window, *self.grid.cell_centers(window))
        if self._separable is not None:  # every cell has x and y: classify them all, then blank what the mask leaves out
            self._separable.classify(window, codes, probs)
            if inside is not None:
                codes[~inside] = NODATA_CLASS
                if probs is not None:
                    probs[:, ~inside] = np.nan
            return
        values, valid = inputs.read(window)
        if inside is not None:
            valid &= inside
        if probs is not None:
            probs[:, ~valid] = np.nan
        if not valid.any():
            return
        if self._buffered is not None:
            valid_codes = np.empty(int(valid.sum()), dtype=np.uint8)
            valid_probs = None if probs is None else np.empty((self.classes, len(valid_codes)), dtype=np.float32)
            self._buffered.classify_scaled(self._model.scaler.transform(values[valid]), valid_codes, valid_probs)
        else:
            valid_codes, valid_probs = self._model.classify(values[valid], self.device, probabilities=probs is not None)
            valid_probs = None if valid_probs is None else valid_probs.T
        codes[valid] = valid_codes
        if probs is not None:
            probs[:, valid] = valid_probs


def confidence_of(probs: np.ndarray, measure: str) -> np.ndarray:
    """'top': the winning class's probability. 'entropy': 1 - H(p) / log(classes), so 1 is certain, 0 a coin toss."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if measure == "top":
            return probs.max(axis=1)
        entropy = -np.nansum(np.where(probs > 0, probs * np.log(probs), 0.0), axis=1)
        out = (1 - entropy / np.log(probs.shape[1])).astype(np.float32)
        out[np.isnan(probs).any(axis=1)] = np.nan
        return out
