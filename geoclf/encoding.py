"""Input encodings: how the scaled inputs are expanded before the first layer.

Two kinds, one per input kind. Covariates and attributes are binned (piecewise-linear
encoding, below). The coordinates may get a location encoding:

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

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .choices import ENCODINGS, MAX_FEATURE_BINS, MAX_FREQUENCIES, MAX_OCTAVES
from .errors import SettingError


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
            raise SettingError("unknown {encoding} {value!r}; choose from {allowed}", value=self.kind, allowed=", ".join(ENCODINGS))
        if self.kind != "none":
            if not 1 <= self.frequencies <= MAX_FREQUENCIES:
                raise SettingError(f"{{encoding_frequencies}} must be in [1, {MAX_FREQUENCIES}], got {{value}}", value=self.frequencies)
            if self.kind == "sinusoidal" and self.frequencies > MAX_OCTAVES:
                raise SettingError(f"{{encoding_frequencies}} of a sinusoidal {{encoding}} are octaves: at most {MAX_OCTAVES}, got {{value}}",
                                   value=self.frequencies)
            if not 0 < self.scale < math.inf:
                raise SettingError("{encoding_scale} must be positive, got {value}", value=self.scale)

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


def other_columns(width: int, columns) -> list[int]:
    """The columns of a `width`-wide input that an encoding passes through unchanged, in order."""
    return [i for i in range(width) if i not in columns]


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
        keep = other_columns(inputs.shape[1], self.columns)
        base = inputs[:, self.columns]
        if self.sphere:
            base = unit_vectors(torch.deg2rad(base))
        phase = 2 * torch.pi * base @ self.frequency.T
        return torch.cat([inputs[:, keep], base, torch.sin(phase), torch.cos(phase)], dim=1)


@dataclass(frozen=True)
class Binning:
    """Piecewise-linear encoding of the non-coordinate inputs (Gorishniy et al. 2022).

    Each binned input becomes one number per quantile bin of its training values: 1 for
    bins below the value, the position within its own bin, 0 above. A ReLU network fed
    raw values draws slanted, smooth boundaries; fed these it can also draw the sharp
    threshold rules species follow (deeper than 1 m, warmer than 20 deg C), as a forest
    does. `edges` are the bin edges of each of `columns`, in scaled units, measured at
    training and stored in the model file.
    """

    bins: int = 0
    columns: tuple[int, ...] = ()
    edges: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self):
        if not 0 <= self.bins <= MAX_FEATURE_BINS or self.bins == 1:
            raise SettingError(f"{{feature_bins}} must be 0 (raw values) or 2 to {MAX_FEATURE_BINS}, got {{value}}", value=self.bins)

    @classmethod
    def fit(cls, scaled: np.ndarray, candidates: tuple[int, ...], bins: int) -> "Binning":
        """Quantile bin edges of the candidate columns; a column with one distinct value stays raw."""
        from rtdl_num_embeddings import compute_bins

        columns = tuple(c for c in candidates if len(np.unique(scaled[:, c])) > 1)
        if not bins or not columns or len(scaled) < 3:
            return cls(bins)
        found = compute_bins(torch.from_numpy(scaled[:, list(columns)]).float(), n_bins=min(bins, len(scaled) - 1))
        return cls(bins, columns, tuple(tuple(float(v) for v in edge) for edge in found))

    @property
    def active(self) -> bool:
        return bool(self.columns)

    def width(self, inputs: int) -> int:
        """How many numbers `inputs` raw inputs become: each binned column is replaced by its bins."""
        return inputs - len(self.columns) + sum(len(edge) - 1 for edge in self.edges)

    def build(self, positions: list[int]) -> nn.Module | None:
        """The module, given where the binned columns sit in the vector it receives."""
        return PiecewiseLinear(positions, self.edges) if self.active else None

    def to_dict(self) -> dict:
        return {"bins": self.bins, "columns": list(self.columns), "edges": [list(edge) for edge in self.edges]}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Binning":
        if not data:
            return cls()
        return cls(
            bins=int(data["bins"]), columns=tuple(int(c) for c in data["columns"]),
            edges=tuple(tuple(float(v) for v in edge) for edge in data["edges"]),
        )

    def describe(self) -> str:
        if not self.active:
            return "none (raw values)"
        counts = ", ".join(str(len(edge) - 1) for edge in self.edges)
        return f"piecewise-linear, {counts} quantile bins for {len(self.columns)} input(s)"


class PiecewiseLinear(nn.Module):
    """[the other inputs, the binned columns' piecewise-linear encodings] (rtdl_num_embeddings does the encoding)."""

    def __init__(self, positions: list[int], edges: tuple[tuple[float, ...], ...]):
        super().__init__()
        from rtdl_num_embeddings import PiecewiseLinearEncoding

        self.positions = list(positions)
        self.encode = PiecewiseLinearEncoding([torch.tensor(edge) for edge in edges])

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        keep = other_columns(inputs.shape[1], self.positions)
        return torch.cat([inputs[:, keep], self.encode(inputs[:, self.positions])], dim=1)
