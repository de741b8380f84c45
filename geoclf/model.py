"""The trained model and its file: safetensors weights plus JSON metadata, one file.

Loading never executes anything from the file (no pickle): the JSON says how to
rebuild the network, the tensors fill in its weights, and every field is checked.
"""

from __future__ import annotations

import dataclasses
import json
import os
import struct
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
from .network import Architecture
from .outputs import atomic_output

FORMAT = "geoclf-model"
FORMAT_VERSION = 3  # 2: location encodings, residual blocks, dropout, temperature; 3: binned inputs. Older files load
METADATA_KEY = "geoclf"
SAMPLE_POINTS = "sample_points"  # a tensor beside the network's weights
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
        with atomic_output(path, overwrite) as temporary:
            temporary.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Model":
        path = Path(path)
        if not path.is_file():
            raise GeoclfError(f"{path}: no such model file; train it with `geoclf train` or check the path")
        return cls.from_bytes(path.read_bytes(), str(path))

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "the model") -> "Model":
        """Rebuild a model from its file's bytes; nothing in them is executed, every field is checked."""
        not_a_model = f"{name} is not a geoclf model (corrupt, truncated or another kind of file); train it again with `geoclf train`"
        try:
            tensors = load(data)
            (length,) = struct.unpack("<Q", data[:8])
            header = json.loads(data[8 : 8 + length]).get("__metadata__") or {}
        except (SafetensorError, OSError, ValueError, RuntimeError, struct.error):
            raise GeoclfError(not_a_model) from None
        try:
            meta = json.loads(header[METADATA_KEY])
            if meta.get("format") != FORMAT:
                raise KeyError("format")
        except (KeyError, json.JSONDecodeError, AttributeError, TypeError):
            raise GeoclfError(not_a_model) from None
        if int(meta.get("format_version", 0)) > FORMAT_VERSION:
            raise GeoclfError(
                f"{name} was written by geoclf {meta.get('geoclf_version')} (model format "
                f"{meta['format_version']}); upgrade geoclf to read it"
            )
        try:
            architecture = Architecture.from_dict(meta["architecture"])
            network = architecture.build()
            sample_points = tensors.pop(SAMPLE_POINTS, None)
            network.load_state_dict(tensors, strict=True)
            model = cls(
                network=network.eval(),
                architecture=architecture,
                inputs=[InputSpec.from_dict(spec) for spec in meta["inputs"]],
                scaler=Scaler.from_dict(meta["scaling"]),
                classes=[str(c) for c in meta["classes"]],
                colors=[str(c) for c in meta["colors"]],
                label=str(meta["label"]),
                crs_wkt=meta.get("crs"),
                extent=tuple(float(v) for v in meta["extent"]),
                training=dict(meta.get("training", {})),
                metrics=dict(meta.get("metrics", {})),
                history=list(meta.get("history", [])),
                geoclf_version=str(meta.get("geoclf_version", "unknown")),
                sample_points=sample_points.numpy() if sample_points is not None else None,
                temperature=float(meta.get("temperature", 1.0)),
            )
        except (KeyError, TypeError, ValueError, RuntimeError, GeoclfError):
            raise GeoclfError(not_a_model) from None
        shapes_agree = len(model.classes) == architecture.outputs == len(model.colors) and len(model.inputs) == architecture.inputs
        if not shapes_agree or not model.temperature > 0:
            raise GeoclfError(not_a_model)
        return model
