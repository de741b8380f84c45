"""Training: samples in, a Model out, the same Model for the same seed and data."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from .colors import class_colors
from .errors import GeoclfError
from .features import COORDINATE_INPUTS, SCALINGS, InputSpec, Scaler, coordinates, input_values
from .model import Model
from .network import ACTIVATIONS, Architecture, resolve_device
from .samples import Samples

MIN_SAMPLES_PER_CLASS = 5
MAX_CLASSES = 255  # class codes are uint8 in the raster, with 255 kept for nodata
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
LR_SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. The defaults beat the teaching text's setup on the spiral (see README)."""

    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 200
    batch_size: int = 32
    seed: int = 0
    val_fraction: float = 0.0
    device: str = "cpu"
    lr_schedule: str = "cosine"  # cosine decay to 0 ends training settled; "constant" is the teaching text's
    scaling: str = "standard"  # or "minmax", the second teaching text's

    def check(self) -> None:
        if not self.hidden or any(width < 1 for width in self.hidden):
            raise GeoclfError(f"--hidden needs positive layer widths like 64,64, got {','.join(map(str, self.hidden))}")
        if self.activation not in ACTIVATIONS:
            raise GeoclfError(f"unknown --activation {self.activation!r}; choose from {', '.join(ACTIVATIONS)}")
        if self.optimizer not in OPTIMIZERS:
            raise GeoclfError(f"unknown --optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        if not self.lr > 0:
            raise GeoclfError(f"--lr must be positive, got {self.lr}")
        if self.epochs < 1:
            raise GeoclfError(f"--epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise GeoclfError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise GeoclfError(f"unknown --lr-schedule {self.lr_schedule!r}; choose from {', '.join(LR_SCHEDULES)}")
        if self.scaling not in SCALINGS:
            raise GeoclfError(f"unknown --scaling {self.scaling!r}; choose from {', '.join(SCALINGS)}")
        if not 0 <= self.val_fraction < 1:
            raise GeoclfError(f"--val-fraction must be in [0, 1), got {self.val_fraction}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data


def encode_labels(samples: Samples, keep: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Class names in code order (sorted) and the code of each kept sample, after the checks training needs."""
    labels = samples.labels if keep is None else samples.labels[keep]
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes, minlength=len(classes))
    if len(classes) < 2:
        only = f" (only {classes[0]!r})" if len(classes) else ""
        raise GeoclfError(f"field {samples.label!r} has fewer than 2 classes{only}; a classifier needs at least 2 species")
    if len(classes) > MAX_CLASSES:
        raise GeoclfError(f"field {samples.label!r} has {len(classes)} classes; geoclf supports at most {MAX_CLASSES}")
    few = [f"{name!r} ({count})" for name, count in zip(classes, counts) if count < MIN_SAMPLES_PER_CLASS]
    if few:
        raise GeoclfError(
            f"too few samples for class {', '.join(few)}; each class needs at least {MIN_SAMPLES_PER_CLASS}: "
            "collect more or remove the class"
        )
    return [str(c) for c in classes], codes


def _split(values, codes, fraction, seed):
    """(train values, train codes, hold-out values, hold-out codes); no hold-out when fraction is 0."""
    if fraction == 0:
        return values, codes, None, None
    try:
        train_x, val_x, train_y, val_y = train_test_split(values, codes, test_size=fraction, stratify=codes, random_state=seed)
        return train_x, train_y, val_x, val_y
    except ValueError:
        raise GeoclfError(
            f"--val-fraction {fraction} leaves too few hold-out samples for every class to have one; raise it or set it to 0"
        ) from None


def usable_values(samples: Samples, inputs: list[InputSpec]) -> tuple[np.ndarray, np.ndarray]:
    """Input values of the samples and which samples have all of them (covariate nodata or outside: not)."""
    values, valid = input_values(samples.points, inputs, samples.crs, "the samples")
    if not valid.any():
        raise GeoclfError(
            f"none of the {len(valid)} samples has a value for every input (covariates nodata or outside their rasters, "
            "or empty attributes); check that the rasters cover the samples"
        )
    return values[valid], valid


def train(
    samples: Samples,
    config: TrainingConfig = TrainingConfig(),
    on_epoch: Callable[[dict], None] | None = None,
    inputs: list[InputSpec] | None = None,
) -> Model:
    """Fit an MLP to the samples' inputs (by default their coordinates); `on_epoch` receives each epoch's losses.

    Samples missing an input value are dropped and counted in the model's metrics.
    """
    config.check()
    device = resolve_device(config.device)
    inputs = list(inputs) if inputs is not None else list(COORDINATE_INPUTS)
    values, valid = usable_values(samples, inputs)
    classes, codes = encode_labels(samples, valid)
    train_x, train_y, val_x, val_y = _split(values, codes, config.val_fraction, config.seed)

    torch.manual_seed(config.seed)
    scaler = Scaler.fit(train_x, config.scaling)
    architecture = Architecture(len(inputs), tuple(config.hidden), len(classes), config.activation)
    network = architecture.build().to(device)
    optimizer = OPTIMIZERS[config.optimizer](network.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs) if config.lr_schedule == "cosine" else None
    loss_fn = torch.nn.CrossEntropyLoss()
    shuffler = torch.Generator().manual_seed(config.seed)

    x = torch.from_numpy(scaler.transform(train_x)).to(device)
    y = torch.from_numpy(train_y).long().to(device)
    if val_x is not None:
        vx = torch.from_numpy(scaler.transform(val_x)).to(device)
        vy = torch.from_numpy(val_y).long().to(device)

    history: list[dict] = []
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        network.train()
        total = 0.0
        for batch in torch.randperm(len(x), generator=shuffler).to(device).split(config.batch_size):
            optimizer.zero_grad()
            loss = loss_fn(network(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        if schedule is not None:
            schedule.step()
        record = {"epoch": epoch, "loss": total / len(x)}
        if val_x is not None:
            record.update(_score(network, vx, vy, loss_fn, prefix="val_"))
        history.append(record)
        if on_epoch is not None:
            on_epoch({**record, "epochs": config.epochs})
    seconds = time.perf_counter() - started

    metrics = {
        "samples": int(len(values)),
        "dropped_samples": int((~valid).sum()),
        "train_samples": int(len(train_x)),
        "class_counts": {name: int(n) for name, n in zip(classes, np.bincount(codes, minlength=len(classes)))},
        "seconds": round(seconds, 3),
        **_score(network, x, y, loss_fn, prefix="train_"),
    }
    if val_x is not None:
        metrics["val_samples"] = int(len(val_x))
        metrics.update({k: v for k, v in history[-1].items() if k.startswith("val_")})
    return Model(
        network=network.cpu().eval(),
        architecture=architecture,
        inputs=inputs,
        scaler=scaler,
        classes=classes,
        colors=class_colors(len(classes)),
        label=samples.label,
        crs_wkt=samples.crs.to_wkt() if samples.crs is not None else None,
        extent=tuple(float(v) for v in samples.points[valid].total_bounds),
        training=config.to_dict(),
        metrics=metrics,
        history=history,
        sample_points=coordinates(samples.points[valid]),
    )


@torch.no_grad()
def _score(network, x, y, loss_fn, prefix: str) -> dict:
    network.eval()
    logits = network(x)
    return {
        f"{prefix}loss": float(loss_fn(logits, y)),
        f"{prefix}accuracy": float((logits.argmax(dim=1) == y).float().mean()),
    }
