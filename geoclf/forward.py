"""A plain MLP's forward pass over a grid at the hardware's pace: buffers made once, every step in place.

Around the network itself, a class map spends its time on cell centres, scaling and the
arrays each window allocates. For a plain MLP (linear layers and an activation; no
location encoding, binning or residual blocks) this module runs the pass chunk by chunk
into buffers allocated once: each layer an addmm into its own buffer, the activation in
place, the argmax into a preallocated index. On a north-up grid in the model's own CRS,
a map from x, y alone needs no cell centres at all: the first layer W.(x, y) + b is a
column term plus a row term, each computed once for the whole grid (float64, then
float32), so a window's first layer is one broadcast addition.

Model.classify stays the one path for every other network and for points; the tests
hold the two to the same classes and probabilities.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
from rasterio.windows import Window
from torch import nn

from .crs import is_geographic
from .model import PREDICT_CHUNK, Model

IN_PLACE_ACTIVATIONS = {"relu": torch.relu_, "sigmoid": torch.sigmoid_, "tanh": torch.tanh_}


def is_plain(model: Model) -> bool:
    """Whether the model's network is linear layers and an activation only (what BufferedMLP runs)."""
    architecture = model.architecture
    return not (architecture.encoding.active or architecture.binning.active or architecture.residual)


class BufferedMLP:
    """The model's network, run on the CPU chunk by chunk into buffers allocated once.

    A caller fills the first layer's pre-activation (`first(n)`, a view of the first
    buffer), then `finish`, on the same thread, runs the rest and writes codes, and
    probabilities when asked.
    """

    def __init__(self, model: Model, chunk: int = PREDICT_CHUNK):
        if not is_plain(model):
            raise ValueError("BufferedMLP runs plain MLPs only; use Model.classify")
        linears = [module for module in model.network if isinstance(module, nn.Linear)]
        self.weights = [linear.weight.detach().float().t() for linear in linears]
        self.biases = [linear.bias.detach().float() for linear in linears]
        self.activation = IN_PLACE_ACTIVATIONS[model.architecture.activation]
        self.temperature = float(model.temperature)
        self.chunk = chunk
        self._local = threading.local()  # a Dask worker may run windows on several threads: each has its own buffers

    def _buffers(self) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """This thread's buffers: one per layer, the argmax index, a scratch row (made at its first chunk)."""
        own = getattr(self._local, "buffers", None)
        if own is None:
            layers = [torch.empty(self.chunk, weight.shape[1]) for weight in self.weights]
            own = self._local.buffers = (layers, torch.empty(self.chunk, dtype=torch.int64), torch.empty(self.chunk))
        return own

    def first(self, n: int) -> torch.Tensor:
        """The first layer's buffer for `n` cells, to be filled with its pre-activation."""
        return self._buffers()[0][0][:n]

    @torch.inference_mode()
    def finish(self, n: int, codes: torch.Tensor, probabilities: torch.Tensor | None = None) -> None:
        """From the filled first buffer on: `codes` (n,) gets the argmax, `probabilities` (classes, n) the calibrated
        softmax, class by class as the bands of a probability raster are laid out (a softmax along rows of three
        numbers is slow; along three rows of n, each step is one pass over contiguous memory)."""
        layers, index, scratch = self._buffers()
        hidden = layers[0][:n]
        for weight, bias, buffer in zip(self.weights[1:], self.biases[1:], layers[1:]):
            self.activation(hidden)
            hidden = torch.addmm(bias, hidden, weight, out=buffer[:n])
        torch.argmax(hidden, dim=1, out=index[:n])
        codes.copy_(index[:n])
        if probabilities is not None:
            scratch = scratch[:n]
            probabilities.copy_(hidden.t())
            if self.temperature != 1.0:
                probabilities.div_(self.temperature)
            torch.amax(probabilities, dim=0, out=scratch)
            probabilities.sub_(scratch).exp_()
            torch.sum(probabilities, dim=0, out=scratch)
            probabilities.div_(scratch)

    @torch.inference_mode()
    def classify_scaled(self, scaled: np.ndarray, codes: np.ndarray, probabilities: np.ndarray | None = None) -> None:
        """Codes (n,) and probabilities (classes, n) into the given arrays, for scaled float32 inputs (n, inputs)."""
        inputs = torch.from_numpy(scaled)
        out_codes = torch.from_numpy(codes)
        out_probs = None if probabilities is None else torch.from_numpy(probabilities)
        for start in range(0, len(scaled), self.chunk):
            stop = min(start + self.chunk, len(scaled))
            torch.addmm(self.biases[0], inputs[start:stop], self.weights[0], out=self.first(stop - start))
            self.finish(stop - start, out_codes[start:stop], None if out_probs is None else out_probs[:, start:stop])


class SeparableGrid:
    """A coordinate-only plain MLP over a north-up grid in its own CRS: the first layer as column term + row term."""

    def __init__(self, model: Model, grid, network: BufferedMLP):
        self.network = network
        weight = model.network[0].weight.detach().double().numpy()  # (hidden, 2), in the order of the model's inputs
        bias = model.network[0].bias.detach().double().numpy()
        names = [spec.name for spec in model.inputs]
        x_at, y_at = names.index("x"), names.index("y")
        t = grid.transform
        x = (t.c + t.a * (np.arange(grid.width) + 0.5) - model.scaler.offset[x_at]) / model.scaler.scale[x_at]
        y = (t.f + t.e * (np.arange(grid.height) + 0.5) - model.scaler.offset[y_at]) / model.scaler.scale[y_at]
        self.columns = torch.from_numpy((np.outer(x, weight[:, x_at]) + bias).astype(np.float32))  # (width, hidden)
        self.rows = torch.from_numpy(np.outer(y, weight[:, y_at]).astype(np.float32))  # (height, hidden)

    @classmethod
    def applies(cls, model: Model, grid, same_crs: bool) -> bool:
        """x and y are the only inputs, the network is plain, the grid is north-up and in the model's (projected) CRS."""
        names = sorted(spec.name for spec in model.inputs if spec.kind == "coordinate")
        north_up = grid.transform.b == 0 and grid.transform.d == 0
        return (names == ["x", "y"] and len(model.inputs) == 2 and is_plain(model) and north_up and same_crs
                and not is_geographic(model.crs))

    @torch.inference_mode()
    def classify(self, window: Window, codes: np.ndarray, probabilities: np.ndarray | None = None) -> None:
        """Every cell of the window, row-major, into `codes` (cells,) and `probabilities` (classes, cells)."""
        col_off, row_off = int(window.col_off), int(window.row_off)
        width, height = int(window.width), int(window.height)
        columns = self.columns[col_off:col_off + width].unsqueeze(0)
        band = max(1, self.network.chunk // width)
        out_codes = torch.from_numpy(codes)
        out_probs = None if probabilities is None else torch.from_numpy(probabilities)
        for top in range(0, height, band):
            bottom = min(top + band, height)
            n, start = (bottom - top) * width, top * width
            first = self.network.first(n).view(bottom - top, width, -1)
            torch.add(columns, self.rows[row_off + top:row_off + bottom].unsqueeze(1), out=first)
            self.network.finish(n, out_codes[start:start + n], None if out_probs is None else out_probs[:, start:start + n])
