"""What several commands share, declared once: options, value parsing, the progress display.

As rasterio's `rio/options.py` is for `rio`.
"""

from __future__ import annotations

import sys

import click

from ..choices import FOLD_METHODS

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


def json_text(data) -> str:
    """Indented JSON that any reader accepts: a number that is not finite (a score no fold could give) is null."""
    import json
    import math

    def finite(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {key: finite(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [finite(item) for item in value]
        return value

    return json.dumps(finite(data), indent=2, allow_nan=False)


def debug_option(command):
    """--debug on every command (main() reads it from argv, so it works before the error)."""
    return click.option("--debug", is_flag=True, expose_value=False, help="Show the traceback on errors.")(command)


def threads_option(command):
    """--threads on the commands that run torch; left out, one per core this process may use (threads.py)."""

    def apply(ctx, param, value):
        from ..threads import use_threads

        use_threads(value)

    return click.option(
        "--threads", type=click.IntRange(min=1), expose_value=False, callback=apply,
        help="Threads to compute with (default: one per core this process may use).",
    )(command)


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


def covariate_paths(values, images=()) -> list[str]:
    """The raster files that --covariate (and --image) options read (outputs must not replace them)."""
    return [path for _, path, _ in parse_covariates(values)] + list(images)


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

    def update_to(self, done: int, total: int | None = None, **postfix) -> None:
        """`done` of the total so far (`total`: a new total, when the work's size became known on the way)."""
        if total is not None:
            self.total = total
            if self.bar is not None:
                self.bar.total = total
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


INPUT_OPTIONS = [
    click.option("--layer", help="Point or polygon layer to read (default: the only one)."),
    click.option("--label", help="Field holding the class of each point (default: one named species, class or label, "
                 "or the only text field)."),
    click.option("--features", help="Numeric fields of the samples to use as inputs, comma-separated."),
    covariate_option("A raster band sampled at each point as an input; repeatable. Points on nodata or outside are dropped."),
    click.option("--image", "images", multiple=True, type=click.Path(), help="Every band of this raster as an input, named by "
                 "its band descriptions (or b1, b2, ...); repeatable. Training polygons take the cells of the first image."),
    click.option("--max-per-polygon", type=int, help="Training polygons: use at most this many cells of each (drawn at random), "
                 "so that large areas do not outweigh small ones."),
    click.option("--no-xy", is_flag=True, help="Do not use the coordinates as inputs."),
    click.option("--background", type=int, help="Presence-only records: add this many background points at random over the "
                 "samples' extent (plus 5%), trained as the class 'background' at equal weight (--class-weight balanced unless "
                 "given); the species' probability is then a relative suitability, as Maxent's. Inputs: coordinates and covariates."),
]


def setting_option(config_class, item):
    """The click option of one declared setting (geoclf/settings.py): its flag, type, default and help."""
    from ..settings import flag, value_kind

    meta, kind, name = item.metadata, value_kind(config_class, item), item.name
    if kind == "bool":
        return click.option(f"{flag(name)}/--no-{flag(name)[2:]}", name, default=item.default, show_default=True, help=meta["help"])
    if kind == "widths":
        return click.option(flag(name), name, default=",".join(map(str, item.default)), show_default=True, help=meta["help"],
                            callback=lambda ctx, param, text: numbers(text, int, None, flag(name)))
    value_type = click.Choice(meta["choices"]) if meta["choices"] else {"int": int, "float": float, "str": str}[kind]
    return click.option(flag(name), name, type=value_type, default=item.default, show_default=item.default is not None,
                        help=meta["help"])


def setting_options(config_class):
    """Decorator adding one option per declared setting of `config_class`, in declaration order."""
    from ..settings import declared

    def decorate(command):
        for item in reversed(declared(config_class)):
            command = setting_option(config_class, item)(command)
        return command

    return decorate


def training_options(command):
    """The input options and the training settings (TrainingConfig's declarations) that train and cross-validate share."""
    from ..config import TrainingConfig

    command = setting_options(TrainingConfig)(command)
    for option in reversed(INPUT_OPTIONS):
        command = option(command)
    return command


FOLD_CHOICE = click.Choice(FOLD_METHODS)
FOLD_HELP = ("Spatial folds: square blocks or k-means clusters of the coordinates; whole training polygons (polygon); "
             "or random (flatters the model). Cells of one training polygon always share a fold.")
BLOCK_HELP = "Block side in CRS units (default: the extent's longer side / (2 x folds))."
