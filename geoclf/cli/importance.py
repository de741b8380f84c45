"""`geoclf importance`: which inputs a model leans on, by permutation on labelled points (geoclf.importance)."""

from __future__ import annotations

import click

from .options import Progress, covariate_option, covariate_paths, debug_option, json_text, load_model, progress_mode_of, progress_options, threads_option


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("samples", type=click.Path())
@click.option("--layer", help="Point layer to read (default: the only point layer).")
@click.option("--label", help="Field with the true class (default: the model's label field).")
@click.option("--repeats", default=10, show_default=True, help="Shuffles of each input; the spread over them is shown.")
@click.option("--seed", default=0, show_default=True, help="Seed of the shuffles.")
@covariate_option("Read the model's covariate NAME from another raster; repeatable.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also draw the bar chart to this PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--overwrite", is_flag=True, help="Replace the PNG if it exists.")
@progress_options
@threads_option
@debug_option
def importance(model_path, samples, layer, label, repeats, seed, covariates, output, as_json, overwrite, quiet, progress_mode):
    """How much accuracy falls and log loss rises when each input is shuffled over labelled points.

    Give points the model was not trained on (a hold-out or a new survey): on its own
    training points, an input it memorised looks more useful than it is.
    """
    from pathlib import Path

    from ..importance import permutation_importance
    from ..outputs import check_destination
    from ..samples import read_samples

    if output:
        check_destination(output, overwrite, reads=(model_path, samples, *covariate_paths(covariates)), form="picture")
    model = load_model(model_path, covariates)
    points = read_samples(samples, layer, label or model.label)
    progress = Progress(progress_mode_of(quiet, progress_mode), repeats, "shuffling", "repeat")
    try:
        report = permutation_importance(model, points, repeats, seed, lambda done, _: progress.update_to(done), where=str(samples))
    finally:
        progress.close()
    if output:
        from ..plotting import plot_importance, save_figure

        save_figure(plot_importance(report, title=Path(model_path).name), output, overwrite)
    click.echo(json_text(report.to_dict()) if as_json else report.to_text())
