"""The network itself: a multi-layer perceptron described by a few numbers.

The description (not pickled code) is what the model file stores, so loading a
model rebuilds the same torch module and then fills in its weights. Options beyond
the plain MLP of the teaching texts: input encodings in front (a location encoding of
the coordinates, binning of the other inputs), residual blocks with layer norm (deeper
networks that still train), dropout, and a blend of several such networks (the
smoothness ladder's rungs, smoothness.py) whose class probabilities are averaged, and
a sharper network mixed in near the training samples only, and a blend weighed by
other shares far from them (NearDetail, near_detail.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .choices import DEVICES, MAX_BLEND, MAX_LAYERS, MAX_WIDTH
from .encoding import Binning, Encoding, other_columns
from .errors import SettingError

ACTIVATION_LAYERS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}  # keyed by choices.ACTIVATIONS


@dataclass(frozen=True)
class Architecture:
    """inputs -> [location encoding] -> [binning] -> hidden widths (each followed by the activation) -> one logit per class.

    With `residual`, the first width projects the inputs and every further width adds
    a pre-norm residual block (layer norm, linear, activation, dropout, linear, plus the
    block's input); the widths must then be equal. With `members` above 1 the network is
    a Blend of that many such MLPs behind one set of input encodings. With `detail_points`
    it is a NearDetail that asks how far each cell lies from that many training samples
    (their `near_columns`): near them this network is mixed with the `detail` (another
    architecture) if there is one; far from them a blend with `far_shares` weighs its
    members by a second set of shares.
    """

    inputs: int
    hidden: tuple[int, ...]
    outputs: int
    activation: str = "relu"
    encoding: Encoding = field(default_factory=Encoding)
    residual: bool = False
    dropout: float = 0.0
    binning: Binning = field(default_factory=Binning)
    members: int = 1
    detail: Architecture | None = None
    detail_points: int = 0
    near_columns: tuple[int, ...] = ()
    far_shares: bool = False

    def __post_init__(self):
        if not 1 <= len(self.hidden) <= MAX_LAYERS or not all(1 <= width <= MAX_WIDTH for width in self.hidden):
            widths = ",".join(map(str, self.hidden[:MAX_LAYERS + 1]))
            raise SettingError(f"{{hidden}} needs 1 to {MAX_LAYERS} layer widths of 1 to {MAX_WIDTH}, got {{value}}", value=widths)
        if self.activation not in ACTIVATION_LAYERS:
            raise SettingError("unknown {activation} {value!r}; choose from {allowed}", value=self.activation, allowed=", ".join(ACTIVATION_LAYERS))
        if self.residual and len(set(self.hidden)) > 1:
            raise SettingError("{residual} needs equal {hidden} widths (e.g. 64,64,64), got {value}", value=",".join(map(str, self.hidden)))
        if not 0 <= self.dropout < 1:
            raise SettingError("{dropout} must be in [0, 1), got {value}", value=self.dropout)
        if not 1 <= self.members <= MAX_BLEND:
            raise ValueError(f"a blend has 1 to {MAX_BLEND} members, got {self.members}")
        if self.detail_points and (not self.near_columns or not all(0 <= c < self.inputs for c in self.near_columns)):
            raise ValueError("the samples' reach is measured in input columns: x and y, or every input")
        if self.detail is not None and (self.detail.detail_points or not self.detail_points):
            raise ValueError("a detail is a network mixed in near at least one sample")
        if self.far_shares and (self.members < 2 or not self.detail_points):
            raise ValueError("shares far from the samples belong to a blend that knows where the samples are")

    def build(self, device: str | torch.device | None = None) -> nn.Module:
        """The torch module (an nn.Sequential, or a Blend of them). Its linear and norm layers go on `device`: 'meta'
        gives their shapes without allocating them (model.py checks a file's header that way); the small encoders
        are always real."""
        front = self.encoders()
        if self.members > 1:
            ones = torch.ones(self.members, device=device)
            smooth = Blend(front, [self._body(device) for _ in range(self.members)], ones, ones if self.far_shares else None)
        else:
            smooth = nn.Sequential(*front, *self._body(device))
        if not self.detail_points:
            return smooth
        detail = self.detail.build(device) if self.detail is not None else None
        return NearDetail(smooth, detail, self.near_columns, self.detail_points, device)

    def encoders(self) -> list[nn.Module]:
        """The modules in front of the first linear layer: the location encoding and binning, when there are any."""
        layers: list[nn.Module] = []
        encoder = self.encoding.build()
        if encoder is not None:
            layers.append(encoder)
        others = other_columns(self.inputs, self.encoding.columns if encoder is not None else ())
        binner = self.binning.build([others.index(c) for c in self.binning.columns])  # where the encoder left them
        if binner is not None:
            layers.append(binner)
        return layers

    def _body(self, device) -> nn.Sequential:
        """From the first linear layer to the logits."""
        layers: list[nn.Module] = []
        width = self.binning.width(self.encoding.width(self.inputs))
        if self.residual:
            layers += [nn.Linear(width, self.hidden[0], device=device)]
            layers += [ResidualBlock(self.hidden[0], self.activation, self.dropout, device) for _ in self.hidden[1:]]
            layers += [nn.LayerNorm(self.hidden[0], device=device), ACTIVATION_LAYERS[self.activation]()]
            width = self.hidden[0]
        else:
            for hidden in self.hidden:  # the plain MLP keeps the module order of format 1 files
                layers += [nn.Linear(width, hidden, device=device), ACTIVATION_LAYERS[self.activation]()]
                if self.dropout:
                    layers.append(nn.Dropout(self.dropout))
                width = hidden
        layers.append(nn.Linear(width, self.outputs, device=device))
        return nn.Sequential(*layers)

    def input_sources(self) -> list[int]:
        """For each column the first linear layer sees, the input it comes from.

        The columns of a location encoding all count as the first coordinate's (one
        location); each bin of a binned input counts as that input. The input lasso
        penalizes the first layer's weights grouped this way.
        """
        sources = list(range(self.inputs))
        if self.encoding.active:
            kept = other_columns(self.inputs, self.encoding.columns)
            sources = kept + [self.encoding.columns[0]] * (self.encoding.width(self.inputs) - len(kept))
        if self.binning.active:
            positions = [sources.index(c) for c in self.binning.columns]
            kept = [sources[p] for p in other_columns(len(sources), positions)]
            sources = kept + [c for c, edge in zip(self.binning.columns, self.binning.edges) for _ in edge[1:]]
        return sources

    def describe(self) -> str:
        kind = "residual MLP" if self.residual else "MLP"
        extras = [f"dropout {self.dropout:g}"] if self.dropout else []
        if self.encoding.active:
            extras.append(f"{self.encoding.kind} encoding")
        if self.binning.active:
            extras.append("binned inputs")
        if self.members > 1:
            extras.append(f"a blend of {self.members}")
        if self.detail is not None:
            extras.append(f"near the samples mixed with a {self.detail.describe()}")
        if self.far_shares:
            extras.append("its members weighed otherwise far from the samples")
        shape = f"{self.inputs}-{'-'.join(map(str, self.hidden))}-{self.outputs}"
        return f"{shape} {kind}, {self.activation}" + "".join(f", {e}" for e in extras)

    def to_dict(self) -> dict:
        return {
            "inputs": self.inputs, "hidden": list(self.hidden), "outputs": self.outputs, "activation": self.activation,
            "encoding": self.encoding.to_dict(), "residual": self.residual, "dropout": self.dropout,
            "binning": self.binning.to_dict(), "members": self.members,
            **({"detail": self.detail.to_dict()} if self.detail is not None else {}),
            **({"detail_points": self.detail_points, "near_columns": list(self.near_columns)} if self.detail_points else {}),
            **({"far_shares": True} if self.far_shares else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Architecture":
        detail = cls.from_dict(data["detail"]) if data.get("detail") is not None else None  # format 5: its columns
        return cls(
            inputs=int(data["inputs"]),
            hidden=tuple(int(h) for h in data["hidden"]),
            outputs=int(data["outputs"]),
            activation=str(data["activation"]),
            encoding=Encoding.from_dict(data.get("encoding")),
            residual=bool(data.get("residual", False)),
            dropout=float(data.get("dropout", 0.0)),
            binning=Binning.from_dict(data.get("binning")),
            members=int(data.get("members", 1)),
            detail=detail,
            detail_points=int(data.get("detail_points", 0)),
            near_columns=tuple(int(c) for c in data.get("near_columns", detail.encoding.columns if detail else ())),
            far_shares=bool(data.get("far_shares", False)),
        )


class Blend(nn.Module):
    """Networks of one shape behind shared input encodings, their class probabilities averaged with fixed shares.

    It returns the log of the blended probabilities, so that a softmax of its output (as
    every caller takes of a network's logits) gives the blend back, and its argmax is the
    blend's class. With `far_shares` (plain shares, some of them 0) the rows a caller marks
    as far from the samples are averaged with those instead (NearDetail).
    """

    def __init__(self, front: list[nn.Module], members: list[nn.Sequential], shares: torch.Tensor,
                 far_shares: torch.Tensor | None = None):
        super().__init__()
        self.front = nn.Sequential(*front)
        self.members = nn.ModuleList(members)
        self.register_buffer("log_shares", torch.log(shares / shares.sum()))
        self.register_buffer("far_shares", None if far_shares is None else far_shares / far_shares.sum())

    def forward(self, x: torch.Tensor, far: torch.Tensor | None = None) -> torch.Tensor:
        x = self.front(x)
        shares = self.log_shares.view(-1, 1, 1)
        if far is not None and self.far_shares is not None:
            shares = torch.where(far.view(1, -1, 1), torch.log(self.far_shares).view(-1, 1, 1), shares)
        logits = torch.stack([member(x) for member in self.members])
        return torch.logsumexp(torch.log_softmax(logits, dim=-1) + shares, dim=0)


class NearDetail(nn.Module):
    """A smooth network, told for each cell whether a training sample lies near (near_detail.py).

    A cell counts as near when a training sample lies within `reach` of it, in the scaled
    coordinates (or, for a map without them, in all its scaled inputs). Near them the
    output is the log of (1 - share) x the smooth network's class probabilities + share x
    the detail's, when there is a detail; elsewhere the smooth
    network's log probabilities alone, a Blend's with its far shares. A softmax of the
    output gives the map's probabilities, as for a Blend. The detail runs on the near cells
    only: a map far larger than the survey pays little for it.
    """

    def __init__(self, smooth: nn.Module, detail: nn.Module | None, columns, points: int, device=None):
        super().__init__()
        self.smooth, self.detail, self.columns = smooth, detail, list(columns)
        # the training samples' scaled x, y (or every input, for repeats of their values)
        self.register_buffer("points", torch.zeros(points, len(self.columns), dtype=torch.float64, device=device))
        self.register_buffer("reach", torch.zeros((), dtype=torch.float64, device=device))
        self.register_buffer("share", torch.zeros((), device=device))
        self._tree = None

    def _load_from_state_dict(self, *args, **kwargs):
        self._tree = None  # new points: the tree is rebuilt at the next call
        super()._load_from_state_dict(*args, **kwargs)

    def near(self, x: torch.Tensor) -> torch.Tensor:
        """Whether a training sample lies within the reach of each row of the scaled inputs x."""
        from scipy.spatial import cKDTree

        if self._tree is None:
            self._tree = cKDTree(self.points.cpu().numpy())
        where = x[:, self.columns].detach().cpu().double().numpy()
        distance, _ = self._tree.query(where, distance_upper_bound=float(self.reach))
        return torch.from_numpy(np.isfinite(distance)).to(x.device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        near = self.near(x)
        smooth = self.smooth(x, far=~near) if isinstance(self.smooth, Blend) else self.smooth(x)
        out = torch.log_softmax(smooth, dim=-1)
        if self.detail is not None and bool(near.any()):
            detail = torch.log_softmax(self.detail(x[near]), dim=-1)
            mixed = torch.logaddexp(out[near] + torch.log1p(-self.share), detail + torch.log(self.share))
            out = out.index_put((near,), mixed)
        return out


class ResidualBlock(nn.Module):
    """x + Linear(Dropout(act(Linear(LayerNorm(x))))): the block SINR stacks over its location encoding."""

    def __init__(self, width: int, activation: str, dropout: float, device: str | torch.device | None = None):
        super().__init__()
        layers: list[nn.Module] = [nn.LayerNorm(width, device=device), nn.Linear(width, width, device=device), ACTIVATION_LAYERS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(width, width, device=device))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when there is a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SettingError("{device} cuda: this torch sees no CUDA GPU; use cpu or auto")
    if name not in DEVICES:
        raise SettingError("unknown {device} {value!r}; choose from {allowed}", value=name, allowed=", ".join(DEVICES))
    return torch.device(name)
