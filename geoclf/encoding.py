"""Location encodings: the coordinates expanded into sines and cosines before the first layer.

A ReLU network fed raw x, y draws smooth boundaries and learns sharp, curly ones slowly
(spectral bias). Feeding it sin/cos of the coordinates at several frequencies lets it
draw them (Tancik et al. 2020, random Fourier features; SINR, Cole et al. 2023, for
species ranges). The frequency matrix is fixed at training and stored as a buffer of
the network, so the model file carries it and prediction applies it unchanged.

In a geographic CRS the encoding works on the point's unit vector on the sphere instead
of on longitude and latitude: the features are then continuous across the antimeridian
and the same for every longitude at a pole.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .errors import GeoclfError

ENCODINGS = ("none", "fourier", "sinusoidal")


@dataclass(frozen=True)
class Encoding:
    """Which inputs are the coordinates and how they are expanded.

    `scale` is the lowest (sinusoidal) or typical (fourier: standard deviation) frequency
    in cycles per standard deviation of the training points' coordinates, so the same
    setting suits a pond and a continent. `frequencies`: octaves per axis (sinusoidal)
    or random directions (fourier). `spread` is that standard deviation in radians on the
    sphere (for `sphere` only); it is measured at training and stored.
    """

    kind: str = "none"
    frequencies: int = 16
    scale: float = 1.0
    columns: tuple[int, ...] = ()
    sphere: bool = False
    spread: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.kind not in ENCODINGS:
            raise GeoclfError(f"unknown --encoding {self.kind!r}; choose from {', '.join(ENCODINGS)}")
        if self.kind != "none":
            if self.frequencies < 1:
                raise GeoclfError(f"--encoding-frequencies must be at least 1, got {self.frequencies}")
            if not self.scale > 0:
                raise GeoclfError(f"--encoding-scale must be positive, got {self.scale}")

    @property
    def active(self) -> bool:
        return self.kind != "none" and len(self.columns) == 2

    @property
    def base_width(self) -> int:
        """Numbers per point before the sines: x, y on the plane; the unit vector on the sphere."""
        return 3 if self.sphere else 2

    def rows(self) -> int:
        return self.frequencies * self.base_width if self.kind == "sinusoidal" else self.frequencies

    def width(self, inputs: int) -> int:
        """How many numbers the first layer sees for `inputs` raw inputs."""
        if not self.active:
            return inputs
        return inputs - 2 + self.base_width + 2 * self.rows()

    def frequency_matrix(self) -> np.ndarray:
        """(rows, base_width) frequencies in cycles per unit of the encoded coordinates."""
        unit = self.scale / (self.spread if self.sphere else 1.0)
        if self.kind == "sinusoidal":  # each axis alone at scale * 2^k, k = 0..frequencies-1
            octaves = unit * 2.0 ** np.arange(self.frequencies)
            return np.kron(np.eye(self.base_width), octaves[:, None])
        rng = np.random.default_rng(self.seed)
        return unit * rng.standard_normal((self.frequencies, self.base_width))

    def build(self) -> nn.Module | None:
        return CoordinateEncoding(self) if self.active else None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["columns"] = list(self.columns)
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> "Encoding":
        if not data:
            return cls()
        return cls(
            kind=str(data["kind"]), frequencies=int(data["frequencies"]), scale=float(data["scale"]),
            columns=tuple(int(c) for c in data["columns"]), sphere=bool(data["sphere"]),
            spread=float(data["spread"]), seed=int(data["seed"]),
        )

    def describe(self) -> str:
        if not self.active:
            return "none"
        where = f"on the sphere (spread {np.degrees(self.spread):.3g} deg)" if self.sphere else "of the scaled x, y"
        return f"{self.kind}, {self.frequencies} frequencies at scale {self.scale:g}, {where}"


def spherical_spread(lonlat_degrees: np.ndarray) -> float:
    """Root-mean-square angle (radians) between the points and their mean direction on the sphere."""
    unit = unit_vectors(np.radians(lonlat_degrees))
    mean = unit.mean(axis=0)
    norm = np.linalg.norm(mean)
    if norm < 1e-9:  # points all around the globe: no mean direction, the spread is a radian or more
        return 1.0
    cosines = np.clip(unit @ (mean / norm), -1.0, 1.0)
    return float(max(np.sqrt(np.mean(np.arccos(cosines) ** 2)), 1e-6))


def unit_vectors(lonlat_radians):
    """(n, 3) points on the unit sphere for (n, 2) longitude, latitude in radians (numpy or torch)."""
    lib = torch if isinstance(lonlat_radians, torch.Tensor) else np
    lon, lat = lonlat_radians[:, 0], lonlat_radians[:, 1]
    return lib.stack([lib.cos(lat) * lib.cos(lon), lib.cos(lat) * lib.sin(lon), lib.sin(lat)], 1)


class CoordinateEncoding(nn.Module):
    """[other inputs, base coordinates, sin(2 pi F p), cos(2 pi F p)] for the scaled inputs.

    On the sphere the coordinate columns arrive unscaled, as longitude and latitude in degrees.
    """

    def __init__(self, encoding: Encoding):
        super().__init__()
        self.columns = list(encoding.columns)
        self.sphere = encoding.sphere
        self.register_buffer("frequency", torch.from_numpy(encoding.frequency_matrix()).float())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        keep = [i for i in range(inputs.shape[1]) if i not in self.columns]
        base = inputs[:, self.columns]
        if self.sphere:
            base = unit_vectors(torch.deg2rad(base))
        phase = 2 * torch.pi * base @ self.frequency.T
        return torch.cat([inputs[:, keep], base, torch.sin(phase), torch.cos(phase)], dim=1)
