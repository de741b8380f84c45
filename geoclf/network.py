"""The network itself: a multi-layer perceptron described by a few numbers.

The description (not pickled code) is what the model file stores, so loading a
model rebuilds the same torch module and then fills in its weights. Options beyond
the plain MLP of the teaching texts: input encodings in front (a location encoding of
the coordinates, binning of the other inputs), residual blocks with layer norm (deeper
networks that still train), dropout, and a blend of several such networks (the
smoothness ladder's rungs, smoothness.py) whose class probabilities are averaged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    a Blend of that many such MLPs behind one set of input encodings.
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

    def build(self, device: str | torch.device | None = None) -> nn.Module:
        """The torch module (an nn.Sequential, or a Blend of them). Its linear and norm layers go on `device`: 'meta'
        gives their shapes without allocating them (model.py checks a file's header that way); the small encoders
        are always real."""
        front = self.encoders()
        if self.members > 1:
            return Blend(front, [self._body(device) for _ in range(self.members)], torch.ones(self.members, device=device))
        return nn.Sequential(*front, *self._body(device))

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
        shape = f"{self.inputs}-{'-'.join(map(str, self.hidden))}-{self.outputs}"
        return f"{shape} {kind}, {self.activation}" + "".join(f", {e}" for e in extras)

    def to_dict(self) -> dict:
        return {
            "inputs": self.inputs, "hidden": list(self.hidden), "outputs": self.outputs, "activation": self.activation,
            "encoding": self.encoding.to_dict(), "residual": self.residual, "dropout": self.dropout,
            "binning": self.binning.to_dict(), "members": self.members,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Architecture":
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
        )


class Blend(nn.Module):
    """Networks of one shape behind shared input encodings, their class probabilities averaged with fixed shares.

    It returns the log of the blended probabilities, so that a softmax of its output (as
    every caller takes of a network's logits) gives the blend back, and its argmax is the
    blend's class.
    """

    def __init__(self, front: list[nn.Module], members: list[nn.Sequential], shares: torch.Tensor):
        super().__init__()
        self.front = nn.Sequential(*front)
        self.members = nn.ModuleList(members)
        self.register_buffer("log_shares", torch.log(shares / shares.sum()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.front(x)
        logits = torch.stack([member(x) for member in self.members])
        return torch.logsumexp(torch.log_softmax(logits, dim=-1) + self.log_shares.view(-1, 1, 1), dim=0)


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
