"""`geoclf evaluate`: a model scored on labelled points it has not seen (geoclf.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .options import covariate_option, debug_option, load_model


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("samples", type=click.Path())
@click.option("--layer", help="Point layer to read (default: the only point layer).")
@click.option("--label", help="Field with the true class (default: the model's label field).")
@covariate_option("Read the model's covariate NAME from another raster; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.option("--reliability-plot", type=click.Path(dir_okay=False), help="Also draw the reliability diagram to this PNG.")
@click.option("--overwrite", is_flag=True, help="Replace the PNG if it exists.")
@debug_option
def evaluate(model_path, samples, layer, label, covariates, as_json, reliability_plot, overwrite):
    """Accuracy, Cohen's kappa, per-class precision/recall/F1, confusion matrix and calibration on labelled points."""
    from ..evaluation import evaluate as score
    from ..evaluation import format_report
    from ..outputs import check_destination
    from ..samples import read_samples

    if reliability_plot:
        check_destination(reliability_plot, overwrite)
    model = load_model(model_path, covariates)
    report = score(model, read_samples(samples, layer, label or model.label), where=str(samples))
    if reliability_plot:
        from ..plotting import plot_reliability, save_figure

        save_figure(plot_reliability(report["calibration"], title=Path(model_path).name), reliability_plot, overwrite)
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))


# -- plot -------------------------------------------------------------------------------
