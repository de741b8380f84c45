"""The trained model and its file: safetensors weights plus JSON metadata, one file.

Loading never executes anything from the file (no pickle): the JSON says how to
rebuild the network, the tensors fill in its weights, and every field is checked.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyproj
import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from . import __version__
from .errors import GeoclfError
from .inputs import InputSpec, Scaler
from .model_header import (
    FORMAT,
    FORMAT_VERSION,
    METADATA_KEY,
    SAMPLE_POINTS,
    Header,
    NotAModel,
    check_fields,
    check_format_version,
    check_tensors,
    field_error,
)
from .network import Architecture
from .outputs import atomic_output
PREDICT_CHUNK = 16_384  # cells per forward pass: as fast as 65,536 here, and its activations (4 MB per
# 64-wide layer) keep predict-raster's peak memory about 100 MB lower (benchmarks/predict_raster.py)


@dataclass
class Model:
    """A trained classifier and everything needed to use it on a map."""

    network: torch.nn.Module
    architecture: Architecture
    inputs: list[InputSpec]
    scaler: Scaler
    classes: list[str]
    colors: list[str]
    label: str
    crs_wkt: str | None
    extent: tuple[float, float, float, float]
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    sample_points: np.ndarray | None = None  # training locations (n, 2) in the model's CRS, for masks
    temperature: float = 1.0  # logits are divided by it before softmax: calibrated probabilities, same classes
    geoclf_version: str = __version__

    @property
    def crs(self) -> pyproj.CRS | None:
        return pyproj.CRS.from_wkt(self.crs_wkt) if self.crs_wkt else None

    @property
    def input_names(self) -> list[str]:
        return [spec.name for spec in self.inputs]

    def with_inputs(self, inputs: list[InputSpec]) -> "Model":
        """The same model reading its inputs elsewhere (e.g. a covariate pointed at a new raster)."""
        return dataclasses.replace(self, inputs=list(inputs))

    # -- prediction -------------------------------------------------------------------

    @torch.inference_mode()
    def classify(
        self, values: np.ndarray, device: str | torch.device = "cpu", probabilities: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Class codes (n,) for raw, unscaled input values (n, inputs), and their probabilities (n, classes) if asked.

        The one inference path: codes are the argmax of the logits (softmax is monotonic,
        so it is computed only when probabilities are wanted), chunk by chunk. Probabilities
        use the calibration temperature, which never changes the winning class.
        """
        device = torch.device(device)
        network = self.network.to(device).eval()
        scaled = self.scaler.transform(np.asarray(values, dtype=np.float64))
        codes = np.empty(len(scaled), dtype=np.int64)
        probs = np.empty((len(scaled), len(self.classes)), dtype=np.float32) if probabilities else None
        for start in range(0, len(scaled), PREDICT_CHUNK):
            logits = network(torch.from_numpy(scaled[start : start + PREDICT_CHUNK]).to(device))
            codes[start : start + PREDICT_CHUNK] = logits.argmax(dim=1).cpu().numpy()
            if probs is not None:
                probs[start : start + PREDICT_CHUNK] = torch.softmax(logits / self.temperature, dim=1).cpu().numpy()
        return codes, probs

    def predict_proba(self, values: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
        """Class probabilities (n, classes) float32 for raw input values."""
        return self.classify(values, device, probabilities=True)[1]

    def predict(self, values: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
        """Class codes (index into `classes`) for raw input values."""
        return self.classify(values, device)[0]

    # -- file -------------------------------------------------------------------------

    def metadata(self) -> dict:
        """Everything but the weights, as plain JSON-able data (what `geoclf info` shows)."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "geoclf_version": self.geoclf_version,
            "architecture": self.architecture.to_dict(),
            "inputs": [spec.to_dict() for spec in self.inputs],
            "scaling": self.scaler.to_dict(),
            "temperature": self.temperature,
            "classes": self.classes,
            "colors": self.colors,
            "label": self.label,
            "crs": self.crs_wkt,
            "extent": list(self.extent),
            "training": self.training,
            "metrics": self.metrics,
            "history": self.history,
        }

    def to_bytes(self) -> bytes:
        """The model file's bytes (safetensors with the JSON metadata), e.g. to send to a Dask worker."""
        tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in self.network.state_dict().items()}
        if self.sample_points is not None:
            tensors[SAMPLE_POINTS] = torch.from_numpy(np.ascontiguousarray(self.sample_points, dtype=np.float64))
        return save(tensors, metadata={METADATA_KEY: json.dumps(self.metadata())})

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        with atomic_output(path, overwrite, form="model") as temporary:
            temporary.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Model":
        """The model in a file; its header is checked before the weights are read, so a hostile file costs nothing."""
        path = Path(path)
        if not path.is_file():
            raise GeoclfError(f"{path}: no such model file; train it with `geoclf train` or check the path")
        with open(path, "rb") as file:
            start = file.read(8)
            needed = Header.length_needed(start)
            if not needed:
                raise NotAModel(str(path))
            start += file.read(needed - 8)
            header = Header.parse(start, str(path))
            architecture = _checked_architecture(header, str(path))
            if path.stat().st_size != header.size:
                raise NotAModel(str(path))
            data = start + file.read()
        return cls._from_checked(header, architecture, data, str(path))

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "the model") -> "Model":
        """Rebuild a model from its file's bytes; nothing in them is executed, every field is checked."""
        header = Header.parse(data[: Header.length_needed(data[:8])], name)
        if len(data) != header.size:
            raise NotAModel(name)
        return cls._from_checked(header, _checked_architecture(header, name), data, name)

    @classmethod
    def _from_checked(cls, header: Header, architecture: Architecture, data: bytes, name: str) -> "Model":
        """The model, from a header that passed every check and the file's bytes."""
        meta = header.meta
        try:
            tensors = load(data)
        except (SafetensorError, ValueError, RuntimeError):
            raise NotAModel(name) from None
        sample_points = tensors.pop(SAMPLE_POINTS, None)
        network = architecture.build()
        try:
            network.load_state_dict(tensors, strict=True)
        except RuntimeError:
            raise field_error(name, "architecture", "does not match the weights stored beside it") from None
        if not all(torch.isfinite(t).all() for t in tensors.values()):
            raise field_error(name, "weights", "hold a number that is not finite")
        try:
            inputs = [InputSpec.from_dict(spec) for spec in meta["inputs"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise field_error(name, "inputs", "must describe each input by name and kind") from None
        return cls(
            network=network.eval(),
            architecture=architecture,
            inputs=inputs,
            scaler=Scaler.from_dict(meta["scaling"]),
            classes=list(meta["classes"]),
            colors=list(meta["colors"]),
            label=str(meta.get("label", "class")),
            crs_wkt=meta.get("crs"),
            extent=tuple(float(v) for v in meta["extent"]),
            training=dict(meta.get("training", {})),
            metrics=dict(meta.get("metrics", {})),
            history=list(meta.get("history", [])),
            geoclf_version=str(meta.get("geoclf_version", "unknown")),
            sample_points=sample_points.numpy() if sample_points is not None else None,
            temperature=float(meta.get("temperature", 1.0)),
        )


def _checked_architecture(header: Header, name: str) -> Architecture:
    """The architecture the header describes, once every field is checked and its weights' shapes match the file's.

    The network is first built on torch's meta device, which allocates nothing, so a header
    asking for huge layers is refused at the cost of its shapes alone.
    """
    meta = header.meta
    check_format_version(meta, name)
    check_fields(meta, name)
    try:
        architecture = Architecture.from_dict(meta["architecture"])
    except GeoclfError as error:
        raise field_error(name, "architecture", f"is out of bounds ({error})") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise field_error(name, "architecture", "is incomplete or malformed") from None
    if architecture.outputs != len(meta["classes"]) or architecture.inputs != len(meta["inputs"]):
        raise field_error(name, "architecture", "does not agree with the number of classes or inputs")
    expected = {key: tuple(value.shape) for key, value in architecture.build(device="meta").state_dict().items()}
    check_tensors(header, expected, name)
    return architecture
