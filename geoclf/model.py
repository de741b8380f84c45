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
from safetensors.torch import safe_open, save_file

from . import __version__
from .errors import GeoclfError
from .features import InputSpec, Scaler
from .network import Architecture
from .outputs import atomic_output

FORMAT = "geoclf-model"
FORMAT_VERSION = 1
METADATA_KEY = "geoclf"
PREDICT_CHUNK = 65_536  # cells per forward pass: large enough to be fast, small enough to stay in cache


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
    def predict_proba(self, values: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
        """Class probabilities (n, classes) float32 for raw, unscaled input values (n, inputs)."""
        device = torch.device(device)
        network = self.network.to(device).eval()
        scaled = self.scaler.transform(np.asarray(values, dtype=np.float64))
        out = np.empty((len(scaled), len(self.classes)), dtype=np.float32)
        for start in range(0, len(scaled), PREDICT_CHUNK):
            chunk = torch.from_numpy(scaled[start : start + PREDICT_CHUNK]).to(device)
            out[start : start + PREDICT_CHUNK] = torch.softmax(network(chunk), dim=1).cpu().numpy()
        return out

    def predict(self, values: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
        """Class codes (index into `classes`) for raw input values."""
        return self.predict_proba(values, device).argmax(axis=1)

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
            "classes": self.classes,
            "colors": self.colors,
            "label": self.label,
            "crs": self.crs_wkt,
            "extent": list(self.extent),
            "training": self.training,
            "metrics": self.metrics,
            "history": self.history,
        }

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in self.network.state_dict().items()}
        with atomic_output(path, overwrite) as temporary:
            save_file(tensors, str(temporary), metadata={METADATA_KEY: json.dumps(self.metadata())})

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Model":
        path = Path(path)
        if not path.is_file():
            raise GeoclfError(f"{path}: no such model file; train one with `geoclf train` or check the path")
        not_a_model = f"{path} is not a geoclf model (corrupt, truncated or another kind of file); train it again with `geoclf train`"
        try:
            with safe_open(str(path), framework="pt") as handle:
                header = handle.metadata() or {}
                tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        except (SafetensorError, OSError, ValueError, RuntimeError):
            raise GeoclfError(not_a_model) from None
        try:
            meta = json.loads(header[METADATA_KEY])
            if meta.get("format") != FORMAT:
                raise KeyError("format")
        except (KeyError, json.JSONDecodeError, AttributeError):
            raise GeoclfError(not_a_model) from None
        if int(meta.get("format_version", 0)) > FORMAT_VERSION:
            raise GeoclfError(
                f"{path} was written by geoclf {meta.get('geoclf_version')} (model format "
                f"{meta['format_version']}); upgrade geoclf to read it"
            )
        try:
            architecture = Architecture.from_dict(meta["architecture"])
            network = architecture.build()
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
            )
        except (KeyError, TypeError, ValueError, RuntimeError):
            raise GeoclfError(not_a_model) from None
        if not (len(model.classes) == architecture.outputs == len(model.colors)) or len(model.inputs) != architecture.inputs:
            raise GeoclfError(not_a_model)
        return model
