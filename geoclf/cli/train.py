"""`geoclf train` and `geoclf cross-validate`: samples in, a model file or a report out (geoclf.training, geoclf.validation)."""

from __future__ import annotations

from dataclasses import replace

import click

from .options import (
    BLOCK_HELP,
    FOLD_CHOICE,
    FOLD_HELP,
    Progress,
    covariate_paths,
    debug_option,
    json_text,
    parse_covariates,
    progress_mode_of,
    progress_options,
    threads_option,
    training_options,
)


def cross_validate_with_progress(data, config, inputs, folds, by, block_size, mode, fold_flags=None):
    """The cross-validation report of `train --cv` and `cross-validate`, with a progress bar over the folds.

    `fold_flags` names the fold settings as the command's options do.
    """
    from ..errors import GeoclfError, SettingError
    from ..settings import flag
    from ..validation import cross_validate

    fold_flags = fold_flags or {}
    progress = Progress(mode, folds, "cross-validating", "fold")
    try:
        return cross_validate(data, config, inputs, folds, by, block_size, on_fold=lambda r: progress.update_to(r["fold"] + 1))
    except SettingError as error:  # fold settings are --folds, --by, --block-size here, --cv, --cv-by, ... in train
        raise GeoclfError(error.render(lambda field: fold_flags.get(field, flag(field)))) from None
    finally:
        progress.close()


def training_setup(samples, layer, label, features, covariates, images, no_xy, background, max_per_polygon, **settings):
    """(samples, TrainingConfig, inputs) from the shared options, checked before any training.

    The options are named as TrainingConfig's fields, so every setting passes straight through.
    With --background, the samples are presences and background points join them. Training
    polygons become the cells of the first raster input (an --image, else a --covariate).
    """
    from ..background import with_background
    from ..config import TrainingConfig
    from ..errors import GeoclfError
    from ..inputs import describe_inputs, image_covariates
    from ..samples import read_samples

    config = TrainingConfig(**settings)
    config.check()
    attributes = tuple(f.strip() for f in features.split(",") if f.strip()) if features else ()
    if background is not None and attributes:
        raise GeoclfError("--background points have no --features values: give presence-only inputs as --covariate rasters")
    rasters = image_covariates(images) + parse_covariates(covariates)
    data = read_samples(samples, layer, label, rasters[0][1] if rasters else None, max_per_polygon, config.seed)
    inputs = describe_inputs(data.points, not no_xy, attributes, rasters)
    if background is not None:
        data = with_background(data, background, config.seed)
        if click.get_current_context().get_parameter_source("class_weight") == click.core.ParameterSource.DEFAULT:
            config = replace(config, class_weight="balanced")  # presences weigh as much as the background, as in Maxent
    return data, config, inputs


@click.command()
@click.argument("samples", type=click.Path())
@click.option("-o", "--output", default="model.geoclf", show_default=True, type=click.Path(dir_okay=False), help="Model file to write.")
@training_options
@click.option("--cv", "cv_folds", type=int, help="First cross-validate on this many folds; the figures go into the model file.")
@click.option("--cv-by", type=FOLD_CHOICE, default="block", show_default=True, help=FOLD_HELP)
@click.option("--cv-block-size", type=float, help=BLOCK_HELP)
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@progress_options
@threads_option
@debug_option
def train(samples, output, cv_folds, cv_by, cv_block_size, overwrite, quiet, progress_mode, **options):
    """Train a classifier on labelled points and save it as one model file.

    Inputs are the point coordinates, plus any --features (fields) and --covariate rasters.
    """
    from ..config import DEFAULT_EPOCHS
    from ..outputs import check_destination
    from ..training import planned_fits
    from ..training import train as train_model
    from ..training_report import TrainingReport

    check_destination(output, overwrite, reads=(samples, *covariate_paths(options["covariates"], options["images"])), form="model")
    data, config, inputs = training_setup(samples, **options)
    report = None
    if cv_folds is not None:
        report = cross_validate_with_progress(data, config, inputs, cv_folds, cv_by, cv_block_size, progress_mode_of(quiet, progress_mode),
                                              fold_flags={"folds": "--cv", "by": "--cv-by", "block_size": "--cv-block-size"})
    description = "training"
    if config.chooses_response(inputs):
        description = "choosing the response, then training"
    elif config.chooses_smoothness(inputs):
        description = "training, choosing the smoothness on inner folds"
    progress = Progress(progress_mode_of(quiet, progress_mode), (config.epochs or DEFAULT_EPOCHS) * planned_fits(config, inputs, data.crs), description, "epoch")

    def on_epoch(record):  # the epochs are settled for the survey's size once training starts (config.default_epochs)
        shown = {k: record[k] for k in ("loss", "val_loss", "val_accuracy") if k in record}
        done = (record["fit"] - 1) * record["epochs"] + record["epoch"]
        progress.update_to(done, total=record["epochs"] * record["fits"], **shown)

    try:
        model = train_model(data, config, on_epoch, inputs)
    finally:
        progress.close()
    if report is not None:
        model.metrics["cross_validation"] = report.to_dict()
    model.save(output, overwrite=overwrite)
    click.echo(TrainingReport.of(model).to_text())
    click.echo(f"model written to {output}")


@click.command("cross-validate")
@click.argument("samples", type=click.Path())
@click.option("--folds", default=5, show_default=True, help="Number of folds (models trained).")
@click.option("--by", type=FOLD_CHOICE, default="block", show_default=True, help=FOLD_HELP)
@click.option("--block-size", type=float, help=BLOCK_HELP)
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@training_options
@progress_options
@threads_option
@debug_option
def cross_validate(samples, folds, by, block_size, as_json, quiet, progress_mode, **options):
    """How well a model does on places it has not seen: train on all folds but one, test on it, for each fold.

    Takes the same input and training options as train. Reports accuracy, Cohen's
    kappa, macro F1 and log loss per fold and as mean +/- sd.
    """
    data, config, inputs = training_setup(samples, **options)
    report = cross_validate_with_progress(data, config, inputs, folds, by, block_size, progress_mode_of(quiet, progress_mode))
    click.echo(json_text(report.to_dict()) if as_json else report.to_text())
