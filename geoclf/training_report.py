"""What training did, as one typed report: the command line and the QGIS plugin only print it.

Figures on the training points flatter a model (it has seen them), so the report says
which points each figure is on, and points to the honest ones: a hold-out,
cross-validation on spatial folds, or `evaluate` on points kept apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TrainingReport:
    """How a model was trained and how it scored, read from the model's own record (`of`)."""

    network: str
    classes: dict[str, int]  # training samples of each class
    samples: int
    train_samples: int
    dropped_samples: int
    seconds: float
    train_loss: float
    train_accuracy: float
    val_samples: int | None = None
    val_accuracy: float | None = None
    response: str | None = None  # the choice between threshold and smooth, with its evidence
    smoothness: str | None = None  # the chosen weight decay, with its evidence
    near_detail: str | None = None  # the detail mixed in near the samples, with its evidence
    best_epoch: int | None = None
    epochs_run: int | None = None
    temperature: float | None = None
    val_log_loss_uncalibrated: float | None = None
    val_log_loss: float | None = None
    cross_validation: str | None = None  # the summary line of `train --cv`

    @classmethod
    def of(cls, model) -> "TrainingReport":
        """The report of a trained (or loaded) Model."""
        from .near_detail import describe_detail
        from .response import describe_response
        from .smoothness import describe_smoothness
        from .validation import CrossValidationReport

        m = model.metrics
        counts = m.get("train_class_counts") or {}
        return cls(
            network=model.architecture.describe(),
            classes={name: int(counts.get(name, 0)) for name in model.classes},
            samples=m["samples"], train_samples=m["train_samples"], dropped_samples=m["dropped_samples"],
            seconds=m["seconds"], train_loss=m["train_loss"], train_accuracy=m["train_accuracy"],
            val_samples=m.get("val_samples"), val_accuracy=m.get("val_accuracy"),
            response=describe_response(model.training, m) if "response_choice" in m else None,
            smoothness=describe_smoothness(m["smoothness_choice"]) if "smoothness_choice" in m else None,
            near_detail=describe_detail(m["near_detail"]) if "near_detail" in m else None,
            best_epoch=m.get("best_epoch"), epochs_run=m.get("epochs_run"),
            temperature=m.get("temperature"), val_log_loss_uncalibrated=m.get("val_log_loss_uncalibrated"),
            val_log_loss=m.get("val_log_loss"),
            cross_validation=(
                CrossValidationReport.from_dict(m["cross_validation"]).summary_line() if "cross_validation" in m else None
            ),
        )

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        """A few lines, each figure with the points it was measured on."""
        counts = ", ".join(f"{name} {count}" for name, count in self.classes.items())
        lines = [
            f"trained {self.network}, on {self.train_samples} points of {len(self.classes)} classes ({counts}) in {self.seconds:.1f} s",
            f"on its own training points: accuracy {self.train_accuracy:.3f}, loss {self.train_loss:.4f} "
            "(flattering: a hold-out, cross-validation or evaluate on other points gives honest figures)",
        ]
        if self.val_accuracy is not None:
            lines.append(f"on the hold-out ({self.val_samples} points kept out of training): accuracy {self.val_accuracy:.3f}")
        if self.response is not None:
            lines.append(f"response: {self.response}")
        if self.smoothness is not None:
            lines.append(f"smoothness: {self.smoothness}")
        if self.near_detail is not None:
            lines.append(f"detail near the samples: {self.near_detail}")
        if self.best_epoch is not None:
            lines.append(f"early stopping: kept epoch {self.best_epoch} of {self.epochs_run} run (the lowest validation loss)")
        if self.temperature is not None:
            lines.append(
                f"calibrated: temperature {self.temperature:.3g}, validation log loss "
                f"{self.val_log_loss_uncalibrated:.4f} -> {self.val_log_loss:.4f}"
            )
        if self.cross_validation is not None:
            lines.append(self.cross_validation)
        if self.dropped_samples:
            lines.append(
                f"dropped {self.dropped_samples} of {self.dropped_samples + self.samples} points where an input is missing "
                "(nodata or outside a covariate raster)"
            )
        return "\n".join(lines)
