"""A plain MLP's forward pass over a grid at the hardware's pace: buffers made once, every step in place.

Around the network itself, a class map spends its time on cell centres, scaling and the
arrays each window allocates. For a plain MLP (linear layers and an activation; no
location encoding, binning or residual blocks) this module runs the pass chunk by chunk
into buffers allocated once: each layer an addmm into its own buffer, the activation in
place, the argmax into a preallocated index. On a north-up grid in the model's own CRS,
a map from x, y alone needs no cell centres at all: the first layer W.(x, y) + b is a
column term plus a row term, each computed once for the whole grid (float64, then
float32), so a window's first layer is one broadcast addition. A blend of plain MLPs
(smoothness.py) runs the same way: its members' first layers side by side as one, the
rest member by member, their probabilities summed by share.

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
from .network import Blend

IN_PLACE_ACTIVATIONS = {"relu": torch.relu_, "sigmoid": torch.sigmoid_, "tanh": torch.tanh_}


def is_plain(model: Model) -> bool:
    """Whether the model's network is linear layers and an activation only, or a blend of such (what BufferedMLP runs);
    not a map that asks each cell how far the samples are (near_detail.py)."""
    architecture = model.architecture
    return not (architecture.encoding.active or architecture.binning.active or architecture.residual
                or architecture.detail_points)


def members_of(model: Model) -> tuple[list[nn.Linear], ...]:
    """The linear layers of each network the model's map is made of (one, or a blend's members)."""
    networks = model.network.members if isinstance(model.network, Blend) else [model.network]
    return tuple([module for module in network if isinstance(module, nn.Linear)] for network in networks)


def first_layer(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The first layer's weight (inputs, hidden) and bias (hidden,), float64; a blend's members' side by side."""
    firsts = [linears[0] for linears in members_of(model)]
    weight = np.concatenate([linear.weight.detach().double().numpy().T for linear in firsts], axis=1)
    return weight, np.concatenate([linear.bias.detach().double().numpy() for linear in firsts])


class BufferedMLP:
    """The model's network, run on the CPU chunk by chunk into buffers allocated once.

    A caller fills the first layer's pre-activation (`first(n)`, a view of the first
    buffer), then `finish`, on the same thread, runs the rest and writes codes, and
    probabilities when asked.
    """

    def __init__(self, model: Model, chunk: int = PREDICT_CHUNK):
        if not is_plain(model):
            raise ValueError("BufferedMLP runs plain MLPs only; use Model.classify")
        members = members_of(model)
        weight, bias = first_layer(model)
        self.first_weight, self.first_bias = torch.from_numpy(weight).float(), torch.from_numpy(bias).float()
        self.widths = [len(linears[0].bias) for linears in members]  # each member's part of the first buffer
        self.weights = [[linear.weight.detach().float().t() for linear in linears[1:]] for linears in members]
        self.biases = [[linear.bias.detach().float() for linear in linears[1:]] for linears in members]
        self.shares = model.network.log_shares.exp().tolist() if isinstance(model.network, Blend) else [1.0]
        self.activation = IN_PLACE_ACTIVATIONS[model.architecture.activation]
        self.temperature = float(model.temperature)
        self.chunk = chunk
        self._local = threading.local()  # a Dask worker may run windows on several threads: each has its own buffers

    def _buffers(self) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """This thread's buffers, made at its first chunk: one per layer, the argmax index, a scratch row, and for a
        blend one (classes, chunk) for its probabilities and one for each member's in turn."""
        own = getattr(self._local, "buffers", None)
        if own is None:
            layers = [torch.empty(self.chunk, len(self.first_bias))]
            layers += [torch.empty(self.chunk, weight.shape[1]) for weight in self.weights[0]]
            classes = self.weights[0][-1].shape[1]
            blend = torch.empty(2, classes, self.chunk) if len(self.shares) > 1 else None
            own = self._local.buffers = (layers, torch.empty(self.chunk, dtype=torch.int64), torch.empty(self.chunk), blend)
        return own

    def first(self, n: int) -> torch.Tensor:
        """The first layer's buffer for `n` cells, to be filled with its pre-activation."""
        return self._buffers()[0][0][:n]

    @torch.inference_mode()
    def finish(self, n: int, codes: torch.Tensor, probabilities: torch.Tensor | None = None) -> None:
        """From the filled first buffer on: `codes` (n,) gets the argmax, `probabilities` (classes, n) the calibrated
        softmax, class by class as the bands of a probability raster are laid out (a softmax along rows of three
        numbers is slow; along three rows of n, each step is one pass over contiguous memory). A blend's members'
        softmaxes are laid out and summed the same way."""
        layers, index, scratch, blend = self._buffers()
        first, start, scratch = layers[0][:n], 0, scratch[:n]
        blended = None if blend is None else blend[0, :, :n].zero_()
        self.activation(first)  # every member's first layer at once: a contiguous pass
        for weights, biases, width, share in zip(self.weights, self.biases, self.widths, self.shares):
            hidden = first[:, start:start + width]  # this member's columns
            start += width
            for layer, (weight, bias, buffer) in enumerate(zip(weights, biases, layers[1:])):
                if layer:
                    self.activation(hidden)
                hidden = torch.addmm(bias, hidden, weight, out=buffer[:n])
            if blended is not None:
                member = blend[1, :, :n]
                member.copy_(hidden.t())
                blended.add_(_softmax_columns(member, scratch), alpha=share)
        if blended is None:
            torch.argmax(hidden, dim=1, out=index[:n])
        else:  # along rows of the last layer's buffer, free again: an argmax down three rows of n is 7x slower
            torch.argmax(layers[-1][:n].copy_(blended.t()), dim=1, out=index[:n])
        codes.copy_(index[:n])
        if probabilities is None:
            return
        if blended is None:
            probabilities.copy_(hidden.t())
        else:
            probabilities.copy_(blended)
            if self.temperature == 1.0:
                return
            probabilities.log_()  # a blend's logits are the log of its probabilities (network.Blend)
        if self.temperature != 1.0:
            probabilities.div_(self.temperature)
        _softmax_columns(probabilities, scratch)

    @torch.inference_mode()
    def classify_scaled(self, scaled: np.ndarray, codes: np.ndarray, probabilities: np.ndarray | None = None) -> None:
        """Codes (n,) and probabilities (classes, n) into the given arrays, for scaled float32 inputs (n, inputs)."""
        inputs = torch.from_numpy(scaled)
        out_codes = torch.from_numpy(codes)
        out_probs = None if probabilities is None else torch.from_numpy(probabilities)
        for start in range(0, len(scaled), self.chunk):
            stop = min(start + self.chunk, len(scaled))
            torch.addmm(self.first_bias, inputs[start:stop], self.first_weight, out=self.first(stop - start))
            self.finish(stop - start, out_codes[start:stop], None if out_probs is None else out_probs[:, start:stop])


def _softmax_columns(values: torch.Tensor, scratch: torch.Tensor) -> torch.Tensor:
    """The softmax of each column of `values` (classes, n), in place; `scratch` (n,) is overwritten."""
    torch.amax(values, dim=0, out=scratch)
    values.sub_(scratch).exp_()
    torch.sum(values, dim=0, out=scratch)
    return values.div_(scratch)


class SeparableGrid:
    """A coordinate-only plain MLP over a north-up grid in its own CRS: the first layer as column term + row term."""

    def __init__(self, model: Model, grid, network: BufferedMLP):
        self.network = network
        weight, bias = first_layer(model)  # (2, hidden), in the order of the model's inputs
        names = [spec.name for spec in model.inputs]
        x_at, y_at = names.index("x"), names.index("y")
        t = grid.transform
        x = (t.c + t.a * (np.arange(grid.width) + 0.5) - model.scaler.offset[x_at]) / model.scaler.scale[x_at]
        y = (t.f + t.e * (np.arange(grid.height) + 0.5) - model.scaler.offset[y_at]) / model.scaler.scale[y_at]
        self.columns = torch.from_numpy((np.outer(x, weight[x_at]) + bias).astype(np.float32))  # (width, hidden)
        self.rows = torch.from_numpy(np.outer(y, weight[y_at]).astype(np.float32))  # (height, hidden)

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
