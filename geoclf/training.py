"""Training: samples in, a Model out, the same Model for the same seed and data.

This module runs the flow: the samples' input values and class codes (every class
trained, however rare), the hold-out, the choice of response when covariates are
inputs (response.py), one fit under the settled config (fitting.py, which chooses a
coordinate-only map's smoothness itself, smoothness.py), and the Model with what was
chosen recorded. The settings and their checks live in config.py.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

import numpy as np

from .colors import colors_for
from .config import TrainingConfig
from .crs import points_extent
from .errors import GeoclfError, RareClassWarning, warn
from .fitting import add_near_detail, fit_network, tag_records
from .inputs import COORDINATE_INPUTS, InputSpec
from .model import Model
from .near_detail import adds_detail, detail_follows_response
from .point_values import coordinates, input_values
from .response import choose_response
from .samples import Samples, sorted_classes, warn_about_labels
from .splits import holdout

__all__ = ["TrainingConfig", "encode_labels", "train", "usable_values", "warn_rare_classes"]

RARE_CLASS_SAMPLES = 5  # a class with fewer is trained, with a warning: its map rests on a handful of points
MAX_CLASSES = 255  # class codes are uint8 in the raster, with 255 kept for nodata


def encode_labels(samples: Samples, keep: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Class names in code order (sorted, by value for whole numbers) and the code of each kept sample, after the checks
    training needs.

    Every class with a sample is trained, however rare: a rare species is the normal
    case in fieldwork. Each class under RARE_CLASS_SAMPLES gets one warning line.
    """
    labels = samples.labels if keep is None else samples.labels[keep]
    classes = sorted_classes(labels)  # numeric labels by value: they are the class map's codes (style.raster_codes)
    position = {name: code for code, name in enumerate(classes)}
    codes = np.fromiter((position[label] for label in labels), dtype=np.int64, count=len(labels))
    if len(classes) < 2:
        only = f" (only {classes[0]!r})" if len(classes) else ""
        raise GeoclfError(f"field {samples.label!r} has fewer than 2 classes{only}; a classifier needs at least 2 species")
    if len(classes) > MAX_CLASSES:
        raise GeoclfError(f"field {samples.label!r} has {len(classes)} classes; geoclf supports at most {MAX_CLASSES}")
    warn_rare_classes(classes, np.bincount(codes, minlength=len(classes)))
    return [str(c) for c in classes], codes


def warn_rare_classes(classes, counts) -> None:
    for name, count in zip(classes, counts):
        if count < RARE_CLASS_SAMPLES:
            warn(
                f"class {str(name)!r} has only {count} sample{'s' if count != 1 else ''}; it is trained and mapped, "
                f"but where it lives rests on {'those' if count != 1 else 'that'} alone: collect more if you can",
                RareClassWarning,
            )


def _split(values, codes, fraction, seed, groups=None):
    """(train values, train codes, train groups, hold-out values, hold-out codes); no hold-out when fraction is 0.
    A training polygon's cells go to one side together."""
    if fraction == 0:
        return values, codes, groups, None, None
    train, held = holdout(codes, fraction, seed, groups)
    return values[train], codes[train], None if groups is None else groups[train], values[held], codes[held]


def usable_values(samples: Samples, inputs: list[InputSpec]) -> tuple[np.ndarray, np.ndarray]:
    """Input values of the samples and which samples have all of them (covariate nodata or outside: not)."""
    values, valid = input_values(samples.points, inputs, samples.crs, "the samples")
    if not valid.any():
        raise GeoclfError(
            f"none of the {len(valid)} samples has a value for every input (covariates nodata or outside their rasters, "
            "or empty attributes); check that the rasters cover the samples"
        )
    return values[valid], valid


def planned_fits(config: TrainingConfig, inputs: list[InputSpec], crs) -> int:
    """The fits training runs, each one bar's worth of epochs: the config's count (config.fits), and the detail
    that follows a chosen response when it is sure to (near_detail.detail_follows_response)."""
    return config.fits(inputs) + detail_follows_response(config, inputs, crs)


def train(
    samples: Samples,
    config: TrainingConfig = TrainingConfig(),
    on_epoch: Callable[[dict], None] | None = None,
    inputs: list[InputSpec] | None = None,
) -> Model:
    """Fit an MLP to the samples' inputs (by default their coordinates); `on_epoch` receives each epoch's losses.

    Each record also says which fit it belongs to ("fit" of "fits": with --response auto
    the inner-fold fits come first; when the winning response's model trained among them,
    a last record closes the count at the fits run). Samples missing an input value
    are dropped and counted in the model's metrics.
    """
    started = time.perf_counter()
    config.check()
    inputs = list(inputs) if inputs is not None else list(COORDINATE_INPUTS)
    fits = planned_fits(config, inputs, samples.crs)
    values, valid = usable_values(samples, inputs)
    warn_about_labels(samples)
    classes, codes = encode_labels(samples, valid)
    colors = colors_for(classes, config.colors)  # a colour for a class the samples lack: said before any training
    groups = None if samples.groups is None else samples.groups[valid]
    train_x, train_y, train_groups, val_x, val_y = _split(values, codes, config.val_fraction, config.seed, groups)
    config = config.for_samples(len(train_x))  # every fit, inner ones too, runs the epochs the model's fit runs

    validation = (val_x, val_y) if val_x is not None else None
    choice, fitted = None, None
    if config.chooses_response(inputs):
        choice, fitted = choose_response(train_x, train_y, len(classes), config, inputs, samples.crs, on_epoch, fits,
                                         train_groups, validation)
        config = config.settled(inputs, choice["response"])
    else:
        config = config.settled(inputs)
    if fitted is None:
        fitted = fit_network(train_x, train_y, len(classes), config, inputs, samples.crs, validation,
                             tag_records(on_epoch, fit=fits, fits=fits), train_groups)
    else:  # the chosen response's model trained while choosing: no final fit
        last = choice["fits"]
        if adds_detail(config, inputs, samples.crs, inner_folds=True):  # its detail near the samples, one fit more
            last += 1
            fitted = add_near_detail(fitted, train_x, train_y, len(classes), config, inputs,
                                     tag_records(on_epoch, fit=last, fits=last, epochs=config.epochs), validation, train_groups)
        if on_epoch is not None:  # the progress ends here
            on_epoch({**fitted.history[-1], "epochs": config.epochs, "fit": last, "fits": last})

    metrics = {
        "samples": int(len(values)),
        "dropped_samples": int((~valid).sum()),
        "train_samples": int(len(train_x)),
        "class_counts": {name: int(n) for name, n in zip(classes, np.bincount(codes, minlength=len(classes)))},
        "train_class_counts": {name: int(n) for name, n in zip(classes, np.bincount(train_y, minlength=len(classes)))},
        **({"training_areas": int(len(np.unique(groups)))} if groups is not None else {}),
        **fitted.metrics,
        "seconds": round(time.perf_counter() - started, 3),  # all of training, the response's choice included
    }
    if choice is not None:
        metrics["response_choice"] = choice
    smoothness = fitted.metrics.get("smoothness_choice")  # the model file records what was chosen, as if it had been given
    chosen = {"weight_decay": smoothness["weight_decay"]} if smoothness is not None else {}  # None: the class frequencies
    config = replace(config, batch_size=fitted.metrics["batch_size"], **chosen)
    kept_xy = coordinates(samples.points[valid])
    return Model(
        network=fitted.network.cpu().eval(),
        architecture=fitted.architecture,
        inputs=inputs,
        scaler=fitted.scaler,
        classes=classes,
        colors=colors,
        label=samples.label,
        crs_wkt=samples.crs.to_wkt() if samples.crs is not None else None,
        extent=points_extent(kept_xy, samples.crs),
        training=config.to_dict(),
        metrics=metrics,
        history=fitted.history,
        sample_points=kept_xy,
        temperature=fitted.temperature,
    )
