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
from .errors import GeoclfError
from .grid import Grid
from .grid_values import GridInputs
from .masks import Mask
from .model import Model

NODATA_CLASS = 255
BLOCK = 256  # GeoTIFF tile size and prediction window (65,536 cells; the forward pass chunks it, see model.py)


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
