"""What several commands share, declared once: options, value parsing, the progress display.

As rasterio's `rio/options.py` is for `rio`.
"""

from __future__ import annotations

import sys

import click

PROGRESS_MODES = ("bar", "lines", "none")


def numbers(text: str, kind, count: int | None, what: str):
    from ..errors import GeoclfError

    try:
        values = tuple(kind(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        raise GeoclfError(f"{what} must be comma-separated numbers, got {text!r}") from None
    if count is not None and len(values) != count:
        raise GeoclfError(f"{what} needs {count} comma-separated numbers, got {text!r}")
    return values


def debug_option(command):
    """--debug on every command (main() reads it from argv, so it works before the error)."""
    return click.option("--debug", is_flag=True, expose_value=False, help="Show the traceback on errors.")(command)


def progress_options(command):
    command = click.option("--quiet", "-q", is_flag=True, help="No progress output.")(command)
    return click.option(
        "--progress",
        "progress_mode",
        type=click.Choice(PROGRESS_MODES),
        default="bar",
        show_default=True,
        help="'bar' for people; 'lines' prints 'progress: N%' lines for programs such as the QGIS plugin.",
    )(command)


def covariate_option(help_text: str):
    return click.option("--covariate", "covariates", multiple=True, metavar="NAME=PATH[:BAND]", help=help_text)


def parse_covariates(values) -> tuple[tuple[str, str, int], ...]:
    from ..inputs import parse_covariate

    return tuple(parse_covariate(value) for value in values)


def load_model(path, covariates=()):
    """A model, with covariate inputs pointed at other rasters where --covariate says so."""
    from ..inputs import substitute_covariates
    from ..model import Model

    model = Model.load(path)
    if covariates:
        model = model.with_inputs(substitute_covariates(model.inputs, parse_covariates(covariates)))
    return model


class Progress:
    """Progress to stderr as a tqdm bar, as plain percentage lines, or not at all."""

    def __init__(self, mode: str, total: int, description: str, unit: str):
        self.mode, self.total, self.description, self.unit = mode, total, description, unit
        self.done, self.shown = 0, -1
        self.bar = None  # made at the first step, so input errors found before it print alone

    def update_to(self, done: int, **postfix) -> None:
        if self.mode == "bar":
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(
                    total=self.total, desc=self.description, unit=self.unit, unit_scale=self.unit == "cells",
                    file=sys.stderr, dynamic_ncols=True,
                )
            self.bar.update(done - self.done)
            if postfix:
                self.bar.set_postfix({k: f"{v:.4f}" for k, v in postfix.items()}, refresh=False)
        elif self.mode == "lines":
            percent = int(100 * done / self.total) if self.total else 100
            if percent != self.shown:
                extra = "".join(f" {k} {v:.4f}" for k, v in postfix.items())
                click.echo(f"progress: {percent}% {self.description}{extra}", err=True)
                self.shown = percent
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def progress_mode_of(quiet: bool, progress_mode: str) -> str:
    return "none" if quiet else progress_mode




TRAINING_OPTIONS = [
    click.option("--layer", help="Point layer to read (default: the only point layer)."),
    click.option("--label", default="species", show_default=True, help="Field holding the class of each point."),
    click.option("--features", help="Numeric fields of the samples to use as inputs, comma-separated."),
    covariate_option("A raster band sampled at each point as an input; repeatable. Points on nodata or outside are dropped."),
    click.option("--no-xy", is_flag=True, help="Do not use the coordinates as inputs."),
    click.option("--scaling", type=click.Choice(["standard", "minmax"]), default="standard", show_default=True,
                 help="Input scaling, with statistics from the training points."),
    click.option("--hidden", default="64,64", show_default=True, help="Hidden layer widths, comma-separated."),
    click.option("--activation", type=click.Choice(["relu", "sigmoid", "tanh"]), default="relu", show_default=True),
    click.option("--optimizer", type=click.Choice(["adam", "sgd"]), default="adam", show_default=True),
    click.option("--lr", default=0.01, show_default=True, help="Learning rate."),
    click.option("--epochs", default=200, show_default=True),
    click.option("--batch-size", type=int, default=None, help="Samples per step. Default: 32, or 128 for a smooth --response."),
    click.option("--lr-schedule", type=click.Choice(["cosine", "constant"]), default="cosine", show_default=True,
                 help="Learning rate over the epochs: cosine decay to 0, or constant (the teaching text's)."),
    click.option("--seed", default=0, show_default=True, help="Seed: the same seed on the same data gives the same model."),
    click.option("--val-fraction", default=0.0, show_default=True,
                 help="Stratified hold-out share: validation loss per epoch, early stopping and calibration."),
    click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True),
    click.option("--encoding", type=click.Choice(["none", "fourier", "sinusoidal"]), default="none", show_default=True,
                 help="Expand x, y into sines and cosines first (on the sphere for lon/lat): sharper, curlier boundaries."),
    click.option("--encoding-frequencies", default=16, show_default=True,
                 help="Random frequencies (fourier) or octaves per axis (sinusoidal)."),
    click.option("--encoding-scale", default=1.0, show_default=True,
                 help="Typical (fourier) or lowest (sinusoidal) frequency, in cycles per standard deviation of the samples."),
    click.option("--residual", is_flag=True, help="Residual blocks with layer norm (hidden widths must be equal)."),
    click.option("--dropout", default=0.0, show_default=True, help="Dropout rate after each hidden activation."),
    click.option("--response", type=click.Choice(["auto", "threshold", "smooth"]), default="auto", show_default=True,
                 help="How species respond to covariates and fields: threshold (binned inputs, input lasso), smooth "
                      "(raw inputs, weight decay), or auto: try both on 3 inner folds and keep the lower log loss."),
    click.option("--weight-decay", type=float, default=None,
                 help="Decoupled weight decay (AdamW) or L2 (sgd). Default: chosen on 3 inner folds for a map from x, y alone; "
                      "2 for a smooth --response (adam); else 0."),
    click.option("--feature-bins", type=int, default=None,
                 help="Encode each covariate and field piecewise-linearly over this many quantile bins; 0: raw values. "
                      "Default: 32 for a threshold --response, else 0."),
    click.option("--input-lasso", type=float, default=None,
                 help="Group lasso on the first layer, one group per input, so the network uses few inputs. "
                      "Default: 0.02 for a threshold --response, else 0."),
    click.option("--class-weight", type=click.Choice(["none", "balanced"]), default="none", show_default=True,
                 help="balanced: rare species weigh as much in the loss as common ones."),
    click.option("--patience", default=0, show_default=True,
                 help="Stop when the hold-out loss has not improved for this many epochs, keeping the best (needs --val-fraction)."),
    click.option("--calibrate/--no-calibrate", default=True, show_default=True,
                 help="Fit a temperature on the hold-out so that probabilities mean what they say (with --val-fraction)."),
]


def training_options(command):
    """The input and training options that train and cross-validate share."""
    for option in reversed(TRAINING_OPTIONS):
        command = option(command)
    return command




FOLD_METHODS = click.Choice(["block", "cluster", "random"])
FOLD_HELP = "Spatial folds: square blocks or k-means clusters of the coordinates; or random (flatters the model)."
BLOCK_HELP = "Block side in CRS units (default: the extent's longer side / (2 x folds))."
