"""The `geoclf` command: a thin click layer over the library.

Each command parses its options, calls one library function and reports. Errors
the user can fix arrive as GeoclfError and are printed as one line; `--debug`
shows the traceback of anything.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from pathlib import Path

import click

from . import __version__

PROGRESS_MODES = ("bar", "lines", "none")


# -- option helpers ---------------------------------------------------------------------


def _numbers(text: str, kind, count: int | None, what: str):
    from .errors import GeoclfError

    try:
        values = tuple(kind(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        raise GeoclfError(f"{what} must be comma-separated numbers, got {text!r}") from None
    if count is not None and len(values) != count:
        raise GeoclfError(f"{what} needs {count} comma-separated numbers, got {text!r}")
    return values


def _debug_option(command):
    """--debug on every command (main() reads it from argv, so it works before the error)."""
    return click.option("--debug", is_flag=True, expose_value=False, help="Show the traceback on errors.")(command)


def _progress_options(command):
    command = click.option("--quiet", "-q", is_flag=True, help="No progress output.")(command)
    return click.option(
        "--progress",
        "progress_mode",
        type=click.Choice(PROGRESS_MODES),
        default="bar",
        show_default=True,
        help="'bar' for people; 'lines' prints 'progress: N%' lines for programs such as the QGIS plugin.",
    )(command)


def _covariate_option(help_text: str):
    return click.option("--covariate", "covariates", multiple=True, metavar="NAME=PATH[:BAND]", help=help_text)


def _covariates(values) -> tuple[tuple[str, str, int], ...]:
    from .features import parse_covariate

    return tuple(parse_covariate(value) for value in values)


def _load_model(path, covariates=()):
    """A model, with covariate inputs pointed at other rasters where --covariate says so."""
    from .features import substitute_covariates
    from .model import Model

    model = Model.load(path)
    if covariates:
        model = model.with_inputs(substitute_covariates(model.inputs, _covariates(covariates)))
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


def _mode(quiet: bool, progress_mode: str) -> str:
    return "none" if quiet else progress_mode


# -- commands ---------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="geoclf")
@_debug_option
def cli():
    """Classify a map from labelled sample points with a small neural network.

    \b
      geoclf make-samples spiral samples.gpkg
      geoclf train samples.gpkg -o model.geoclf
      geoclf predict-raster "199000,549000,201000,551000" -m model.geoclf -o classes.tif
    """


@cli.command("make-samples")
@click.argument("dataset", type=click.Choice(["spiral"]))
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--per-class", default=100, show_default=True, help="Points per class.")
@click.option("--seed", default=0, show_default=True, help="Random seed of the noise.")
@click.option("--noise", default=0.2, show_default=True, help="Standard deviation of the angle noise (radians).")
@click.option("--center", default="200000,550000", show_default=True, help="X,Y of the spiral's centre, in the CRS.")
@click.option("--scale", default=1000.0, show_default=True, help="Metres (CRS units) per spiral unit.")
@click.option("--crs", default="EPSG:5186", show_default=True, help="CRS of the points.")
@click.option("--label", default="species", show_default=True, help="Name of the class column.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@_debug_option
def make_samples(dataset, output, per_class, seed, noise, center, scale, crs, label, overwrite):
    """Write a labelled sample point layer 'samples' (the teaching text's spiral of three species)."""
    from .datasets import spiral_samples
    from .samples import write_points

    points = spiral_samples(per_class, noise, seed, _numbers(center, float, 2, "--center"), scale, crs, label)
    write_points(points, output, layer="samples", overwrite=overwrite)
    counts = points[label].value_counts().sort_index()
    click.echo(f"wrote {len(points)} points ({', '.join(f'{n} {k}' for k, n in counts.items())}) to {output}")


_TRAINING_OPTIONS = [
    click.option("--layer", help="Point layer to read (default: the only point layer)."),
    click.option("--label", default="species", show_default=True, help="Field holding the class of each point."),
    click.option("--features", help="Numeric fields of the samples to use as inputs, comma-separated."),
    _covariate_option("A raster band sampled at each point as an input; repeatable. Points on nodata or outside are dropped."),
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
                 help="Decoupled weight decay (AdamW) or L2 (sgd). Default: 2 for a smooth --response (adam), else 0."),
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


def _training_options(command):
    """The input and training options that train and cross-validate share."""
    for option in reversed(_TRAINING_OPTIONS):
        command = option(command)
    return command


def _cross_validate(data, config, inputs, folds, by, block_size, mode) -> dict:
    """The cross-validation report of `train --cv` and `cross-validate`, with a progress bar over the folds."""
    from .validation import cross_validate

    progress = Progress(mode, folds, "cross-validating", "fold")
    try:
        return cross_validate(data, config, inputs, folds, by, block_size, on_fold=lambda r: progress.update_to(r["fold"] + 1))
    finally:
        progress.close()


def _training_setup(samples, layer, label, features, covariates, no_xy, hidden, **settings):
    """(samples, TrainingConfig, inputs) from the shared options, checked before any training.

    The options are named as TrainingConfig's fields, so every setting passes straight through.
    """
    from .features import describe_inputs
    from .samples import read_samples
    from .training import TrainingConfig

    config = TrainingConfig(hidden=_numbers(hidden, int, None, "--hidden"), **settings)
    config.check()
    data = read_samples(samples, layer, label)
    attributes = tuple(f.strip() for f in features.split(",") if f.strip()) if features else ()
    return data, config, describe_inputs(data.points, not no_xy, attributes, _covariates(covariates))


_FOLD_METHODS = click.Choice(["block", "cluster", "random"])
_FOLD_HELP = "Spatial folds: square blocks or k-means clusters of the coordinates; or random (flatters the model)."
_BLOCK_HELP = "Block side in CRS units (default: the extent's longer side / (2 x folds))."


@cli.command()
@click.argument("samples", type=click.Path())
@click.option("-o", "--output", default="model.geoclf", show_default=True, type=click.Path(dir_okay=False), help="Model file to write.")
@_training_options
@click.option("--cv", "cv_folds", type=int, help="First cross-validate on this many folds; the figures go into the model file.")
@click.option("--cv-by", type=_FOLD_METHODS, default="block", show_default=True, help=_FOLD_HELP)
@click.option("--cv-block-size", type=float, help=_BLOCK_HELP)
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@_progress_options
@_debug_option
def train(samples, output, cv_folds, cv_by, cv_block_size, overwrite, quiet, progress_mode, **options):
    """Train a classifier on labelled points and save it as one model file.

    Inputs are the point coordinates, plus any --features (fields) and --covariate rasters.
    """
    from .outputs import check_destination
    from .training import describe_response, train as train_model
    from .validation import format_cv_summary

    check_destination(output, overwrite)
    data, config, inputs = _training_setup(samples, **options)
    report = None
    if cv_folds is not None:
        report = _cross_validate(data, config, inputs, cv_folds, cv_by, cv_block_size, _mode(quiet, progress_mode))
    description = "choosing the response, then training" if config.chooses_response(inputs) else "training"
    progress = Progress(_mode(quiet, progress_mode), config.epochs * config.fits(inputs), description, "epoch")

    def on_epoch(record):
        shown = {k: record[k] for k in ("loss", "val_loss", "val_accuracy") if k in record}
        progress.update_to((record["fit"] - 1) * record["epochs"] + record["epoch"], **shown)

    try:
        model = train_model(data, config, on_epoch, inputs)
    finally:
        progress.close()
    if report is not None:
        model.metrics["cross_validation"] = report
    model.save(output, overwrite=overwrite)
    m = model.metrics
    summary = (
        f"trained {model.architecture.describe()} on {m['train_samples']} points, {len(model.classes)} classes, "
        f"in {m['seconds']:.1f} s: loss {m['train_loss']:.4f}, accuracy {m['train_accuracy']:.3f}"
    )
    if "val_accuracy" in m:
        summary += f", validation accuracy {m['val_accuracy']:.3f} on {m['val_samples']} points"
    click.echo(summary)
    if "response_choice" in m:
        click.echo(f"response: {describe_response(model.training, m)}")
    if "best_epoch" in m:
        click.echo(f"early stopping: kept epoch {m['best_epoch']} of {m['epochs_run']} run (the lowest validation loss)")
    if "temperature" in m:
        click.echo(
            f"calibrated: temperature {m['temperature']:.3g}, validation log loss "
            f"{m['val_log_loss_uncalibrated']:.4f} -> {m['val_log_loss']:.4f}"
        )
    if report is not None:
        click.echo(format_cv_summary(report))
    if m["dropped_samples"]:
        click.echo(f"dropped {m['dropped_samples']} of {m['dropped_samples'] + m['samples']} points where an input is missing (nodata or outside a covariate raster)")
    click.echo(f"model written to {output}")


@cli.command("cross-validate")
@click.argument("samples", type=click.Path())
@click.option("--folds", default=5, show_default=True, help="Number of folds (models trained).")
@click.option("--by", type=_FOLD_METHODS, default="block", show_default=True, help=_FOLD_HELP)
@click.option("--block-size", type=float, help=_BLOCK_HELP)
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@_training_options
@_progress_options
@_debug_option
def cross_validate(samples, folds, by, block_size, as_json, quiet, progress_mode, **options):
    """How well a model does on places it has not seen: train on all folds but one, test on it, for each fold.

    Takes the same input and training options as train. Reports accuracy, Cohen's
    kappa, macro F1 and log loss per fold and as mean +/- sd.
    """
    from .validation import format_cv_report

    data, config, inputs = _training_setup(samples, **options)
    report = _cross_validate(data, config, inputs, folds, by, block_size, _mode(quiet, progress_mode))
    click.echo(json.dumps(report, indent=2) if as_json else format_cv_report(report))


@cli.command()
@click.argument("model", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Everything in the file's metadata, as JSON.")
@_debug_option
def info(model, as_json):
    """Show what a model file holds: classes, inputs, CRS, extent, training and metrics."""
    from .model import Model
    from .training import describe_response

    loaded = Model.load(model)
    meta = loaded.metadata()
    if as_json:
        click.echo(json.dumps(meta, indent=2))
        return
    crs = loaded.crs
    arch = loaded.architecture
    lines = [
        f"model        {model}",
        f"format       {meta['format']} v{meta['format_version']}, written by geoclf {meta['geoclf_version']}",
        f"network      {arch.describe()}",
        f"encoding     {arch.encoding.describe()}",
        f"binning      {arch.binning.describe()}",
        f"response     {describe_response(loaded.training, loaded.metrics)}",
        "inputs       " + ", ".join(spec.describe() for spec in loaded.inputs) + f"; {loaded.scaler.method} scaling",
        f"label        {loaded.label}",
        "classes      " + ", ".join(f"{code}={name} {color}" for code, (name, color) in enumerate(zip(loaded.classes, loaded.colors))),
        f"crs          {_crs_name(crs)}",
        "extent       " + ",".join(f"{v:.6g}" for v in loaded.extent),
        "training     " + ", ".join(f"{k}={v}" for k, v in loaded.training.items()),
        "metrics      " + ", ".join(f"{k}={_fmt(v)}" for k, v in loaded.metrics.items() if not isinstance(v, dict)),
        f"epochs       {len(loaded.history)} recorded (plot them with `geoclf plot history`)",
        "calibration  " + (f"temperature {loaded.temperature:.4g}" if loaded.temperature != 1.0 else "none (train with --val-fraction)"),
    ]
    if "cross_validation" in loaded.metrics:
        from .validation import format_cv_summary

        lines.append("validation   " + format_cv_summary(loaded.metrics["cross_validation"]))
    click.echo("\n".join(lines))


def _crs_name(crs) -> str:
    if crs is None:
        return "none"
    code = crs.to_authority()
    return f"{':'.join(code)} ({crs.name})" if code else crs.name


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@cli.command("predict-raster")
@click.argument("extent", required=False)
@click.option("-m", "--model", "model_path", default="model.geoclf", show_default=True, type=click.Path(), help="Model file.")
@click.option("-o", "--output", default="classes.tif", show_default=True, type=click.Path(dir_okay=False), help="Class map GeoTIFF to write (a .qml style is written beside it).")
@click.option("--resolution", type=float, help="Cell size in CRS units (default: about 1000 cells across).")
@click.option("--size", help="W,H: number of columns and rows instead of --resolution.")
@click.option("--like", type=click.Path(), help="Copy the grid (transform, size, CRS) of this raster exactly.")
@click.option("--probabilities", type=click.Path(dir_okay=False), help="Also write one float32 band per class.")
@_covariate_option("Read the model's covariate NAME from another raster (e.g. a new year's); repeatable.")
@click.option("--resampling", type=click.Choice(["bilinear", "nearest", "cubic", "average"]), default="bilinear", show_default=True,
              help="How covariate rasters are resampled onto the output grid (nearest for categorical rasters).")
@click.option("--confidence", type=click.Path(dir_okay=False), help="Also write the model's confidence per cell (float32).")
@click.option("--confidence-measure", type=click.Choice(["top", "entropy"]), default="top", show_default=True,
              help="top: the winning class's probability; entropy: 1 - normalized entropy (1 = certain).")
@click.option("--mask", help="Draw only inside this polygon layer, or inside the 'hull' of the training samples.")
@click.option("--max-distance", type=float, help="Draw only within this distance (grid CRS units) of a training sample.")
@click.option("--cog", is_flag=True, help="Write Cloud Optimized GeoTIFFs with overviews (mode resampling for classes).")
@click.option("--scheduler", help="Compute windows on an existing Dask cluster (tcp://HOST:PORT).")
@click.option("--workers", type=int, help="Compute windows on a local Dask cluster of N worker processes.")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True)
@click.option("--force", is_flag=True, help="Allow grids over the size limit.")
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist.")
@_progress_options
@_debug_option
def predict_raster(extent, model_path, output, resolution, size, like, probabilities, covariates, resampling, confidence,
                   confidence_measure, mask, max_distance, cog, scheduler, workers, device, force, overwrite, quiet, progress_mode):
    """Classify every cell of a grid into a GeoTIFF class map.

    EXTENT is xmin,ymin,xmax,ymax in the model's CRS, optionally followed by
    [EPSG:nnnn] for another CRS, or a vector or raster file (a raster lends its
    grid). Without EXTENT or --like, the samples' extent plus a 5% margin is used.
    """
    from .grid import padded, resolve_grid
    from .masks import build_mask
    from .network import resolve_device
    from .raster import predict_raster as draw

    model = _load_model(model_path, covariates)
    if extent is None and like is None:
        extent = ",".join(repr(v) for v in padded(model.extent, 0.05))
    grid = resolve_grid(extent, model.crs, resolution, _numbers(size, int, 2, "--size") if size else None, like)
    area = build_mask(mask, max_distance, model.sample_points, model.crs, grid.crs)
    torch_device = resolve_device(device)
    progress = Progress(_mode(quiet, progress_mode), grid.cells, "classifying", "cells")
    with contextlib.ExitStack() as stack:
        results = None
        if scheduler is not None or workers is not None:
            from .cluster import dask_client, dask_results

            results = dask_results(stack.enter_context(dask_client(scheduler, workers)))
        stack.callback(progress.close)
        draw(
            model, grid, output, probabilities, overwrite, force, torch_device, lambda done, total: progress.update_to(done),
            resampling, confidence, confidence_measure, area, cog, results,
        )
    xres, yres = grid.resolution
    click.echo(f"wrote {grid.width} x {grid.height} class map ({xres:g} x {yres:g} cells, {len(model.classes)} classes) to {output}")
    if probabilities:
        click.echo(f"wrote class probabilities to {probabilities}")
    if confidence:
        click.echo(f"wrote confidence ({confidence_measure}) to {confidence}")


@cli.command("predict-points")
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("points", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Point file to write (.gpkg).")
@click.option("--layer", help="Point layer to read (default: the only point layer).")
@_covariate_option("Read the model's covariate NAME from another raster; repeatable.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@_debug_option
def predict_points(model_path, points, output, layer, covariates, overwrite):
    """Copy points with their predicted class and one probability column per class.

    Points missing an input (a covariate's nodata, or outside its raster) get an empty class.
    """
    from .outputs import check_destination
    from .prediction import predict_points as classify
    from .samples import choose_point_layer, read_points, write_points

    check_destination(output, overwrite)
    model = _load_model(model_path, covariates)
    layer = choose_point_layer(points, layer)
    result = classify(model, read_points(points, layer), where=str(points))
    write_points(result, output, layer=layer, overwrite=overwrite)
    counts = result["predicted"].value_counts()
    click.echo(f"classified {len(result)} points ({', '.join(f'{n} {k}' for k, n in counts.items())}) into {output}")


@cli.command()
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("samples", type=click.Path())
@click.option("--layer", help="Point layer to read (default: the only point layer).")
@click.option("--label", help="Field with the true class (default: the model's label field).")
@_covariate_option("Read the model's covariate NAME from another raster; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.option("--reliability-plot", type=click.Path(dir_okay=False), help="Also draw the reliability diagram to this PNG.")
@click.option("--overwrite", is_flag=True, help="Replace the PNG if it exists.")
@_debug_option
def evaluate(model_path, samples, layer, label, covariates, as_json, reliability_plot, overwrite):
    """Accuracy, Cohen's kappa, per-class precision/recall/F1, confusion matrix and calibration on labelled points."""
    from .evaluation import evaluate as score, format_report
    from .outputs import check_destination
    from .samples import read_samples

    if reliability_plot:
        check_destination(reliability_plot, overwrite)
    model = _load_model(model_path, covariates)
    report = score(model, read_samples(samples, layer, label or model.label), where=str(samples))
    if reliability_plot:
        from .plotting import plot_reliability, save_figure

        save_figure(plot_reliability(report["calibration"], title=Path(model_path).name), reliability_plot, overwrite)
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))


# -- plot -------------------------------------------------------------------------------


@cli.group()
def plot():
    """Draw PNG pictures: samples, training curves, class maps."""


@plot.command("samples")
@click.argument("samples", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG to write.")
@click.option("--layer", help="Point layer to read.")
@click.option("--label", default="species", show_default=True)
@click.option("-m", "--model", "model_path", type=click.Path(), help="Use this model's class colours.")
@click.option("--overwrite", is_flag=True)
@_debug_option
def plot_samples_command(samples, output, layer, label, model_path, overwrite):
    """Sample points coloured by class, on CRS axes."""
    from .model import Model
    from .outputs import check_destination
    from .plotting import plot_samples, save_figure
    from .samples import read_samples

    check_destination(output, overwrite)
    data = read_samples(samples, layer, label)
    model = Model.load(model_path) if model_path else None
    figure = plot_samples(data.points, label, model.classes if model else None, model.colors if model else None, title=Path(samples).name)
    save_figure(figure, output, overwrite)
    click.echo(f"wrote {output}")


@plot.command("history")
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG to write.")
@click.option("--overwrite", is_flag=True)
@_debug_option
def plot_history_command(model_path, output, overwrite):
    """The training curve stored in a model: loss per epoch (and validation loss/accuracy)."""
    from .model import Model
    from .outputs import check_destination
    from .plotting import plot_history, save_figure

    check_destination(output, overwrite)
    save_figure(plot_history(Model.load(model_path).history, title=Path(model_path).name), output, overwrite)
    click.echo(f"wrote {output}")


@plot.command("class-map")
@click.argument("raster", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG to write.")
@click.option("--samples", type=click.Path(), help="Overlay these labelled sample points.")
@click.option("--label", default="species", show_default=True, help="Label field of --samples.")
@click.option("--points", type=click.Path(), help="Overlay points classified by predict-points.")
@click.option("--overwrite", is_flag=True)
@_debug_option
def plot_class_map_command(raster, output, samples, label, points, overwrite):
    """A class map from predict-raster with its colours and legend, samples optionally on top."""
    from .outputs import check_destination
    from .plotting import plot_class_map, save_figure
    from .samples import read_points, read_samples

    check_destination(output, overwrite)
    if not Path(raster).is_file():
        from .errors import GeoclfError

        raise GeoclfError(f"{raster}: no such file; make a class map with `geoclf predict-raster`")
    sample_points = read_samples(samples, label=label).points if samples else None
    new_points = read_points(points) if points else None
    figure = plot_class_map(raster, sample_points, label, new_points, title=Path(raster).name)
    save_figure(figure, output, overwrite)
    click.echo(f"wrote {output}")


# -- entry point ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn errors into one line on stderr and a non-zero exit code."""
    from .errors import GeoclfError

    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="geoclf", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Abort:
        click.echo("geoclf: interrupted; no output was written", err=True)
        return 130
    except click.UsageError as error:  # click's three-line usage message, as one line
        command = error.ctx.command_path if error.ctx else "geoclf"
        click.echo(f"geoclf: error: {error.format_message()} (see '{command} --help')", err=True)
        return error.exit_code
    except click.ClickException as error:
        click.echo(f"geoclf: error: {error.format_message()}", err=True)
        return error.exit_code
    except GeoclfError as error:
        if debug:
            traceback.print_exc()
        click.echo(f"geoclf: error: {error}", err=True)
        return 1
    except Exception as error:  # a bug, not bad input: say so, still in one line
        if debug:
            traceback.print_exc()
        click.echo(f"geoclf: internal error: {type(error).__name__}: {error} (run again with --debug for the traceback)", err=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
