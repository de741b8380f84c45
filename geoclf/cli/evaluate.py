"""`geoclf evaluate`: a model scored on labelled points it has not seen (geoclf.evaluation)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import covariate_option, covariate_paths, debug_option, json_text, load_model, threads_option


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("samples", type=click.Path())
@click.option("--layer", help="Point layer to read (default: the only point layer).")
@click.option("--label", help="Field with the true class (default: the model's label field).")
@covariate_option("Read the model's covariate NAME from another raster; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the report to a file: .html, .json or .txt.")
@click.option("--reliability-plot", type=click.Path(dir_okay=False), help="Also draw the reliability diagram to this PNG.")
@click.option("--overwrite", is_flag=True, help="Replace the report file or the PNG if they exist.")
@threads_option
@debug_option
def evaluate(model_path, samples, layer, label, covariates, as_json, output, reliability_plot, overwrite):
    """Accuracy, Cohen's kappa, per-class precision/recall/F1, confusion matrix and calibration on labelled points."""
    from ..evaluation import evaluate as score
    from ..outputs import atomic_output, check_destination, check_distinct
    from ..samples import read_samples

    check_distinct((role, path) for role, path in (("report", output), ("reliability plot", reliability_plot)) if path)
    for path, form in ((output, "report"), (reliability_plot, "picture")):
        if path:
            check_destination(path, overwrite, reads=(model_path, samples, *covariate_paths(covariates)), form=form)
    model = load_model(model_path, covariates)
    report = score(model, read_samples(samples, layer, label or model.label), where=str(samples))
    if reliability_plot:
        from ..plotting import plot_reliability, save_figure

        save_figure(plot_reliability(report.calibration, title=Path(model_path).name), reliability_plot, overwrite)
    if output:
        with atomic_output(output, overwrite, form="report") as temporary:
            temporary.write_text(REPORT_FORMS[Path(output).suffix.lower()](report), encoding="utf-8")
    click.echo(_as_json(report) if as_json else report.to_text())


def _as_json(report) -> str:
    return json_text(report.to_dict())


REPORT_FORMS = {".html": lambda report: report.to_html(), ".json": _as_json, ".txt": lambda report: report.to_text() + "\n"}
