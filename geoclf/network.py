"""The network itself: a plain multi-layer perceptron described by a few numbers.

The description (not pickled code) is what the model file stores, so loading a
model rebuilds the same torch module and then fills in its weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .errors import GeoclfError

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


@dataclass(frozen=True)
class Architecture:
    """inputs -> hidden widths (each followed by the activation) -> one logit per class."""

    inputs: int
    hidden: tuple[int, ...]
    outputs: int
    activation: str = "relu"

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose from {', '.join(ACTIVATIONS)}")

    def build(self) -> nn.Sequential:
        layers: list[nn.Module] = []
        width = self.inputs
        for hidden in self.hidden:
            layers += [nn.Linear(width, hidden), ACTIVATIONS[self.activation]()]
            width = hidden
        layers.append(nn.Linear(width, self.outputs))
        return nn.Sequential(*layers)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Architecture":
        return cls(
            inputs=int(data["inputs"]),
            hidden=tuple(int(h) for h in data["hidden"]),
            outputs=int(data["outputs"]),
            activation=str(data["activation"]),
        )


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when there is a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GeoclfError("--device cuda: this torch sees no CUDA GPU; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise GeoclfError(f"unknown device {name!r}; choose cpu, cuda or auto")
    return torch.device(name)
