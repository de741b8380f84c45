"""`geoclf areas`: each class's area on a class map, error-adjusted with intervals from reference points (geoclf.areas)."""

from __future__ import annotations

import click

from .options import Progress, debug_option, json_text, progress_mode_of, progress_options


@click.command()
@click.argument("classes", type=click.Path())
@click.option("--reference", type=click.Path(), help="Points with the class observed on the ground (a sample stratified by map class).")
@click.option("--layer", help="Point layer of --reference to read (default: the only point layer).")
@click.option("--label", help="Field of --reference with the observed class (default: a field named species, class or label).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the figures to a file: .json or .txt.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@progress_options
@debug_option
def areas(classes, reference, layer, label, as_json, output, overwrite, quiet, progress_mode):
    """Hectares of each class in CLASSES (a class map GeoTIFF).

    With --reference points, also the error-adjusted area of each class, user's,
    producer's and overall accuracy, each with a 95% confidence interval, by the
    stratified estimators of Olofsson et al. (2014). Cell areas come from the CRS's
    unit, or from the ellipsoid in a geographic CRS.
    """
    from pathlib import Path

    from ..areas import class_areas
    from ..errors import GeoclfError
    from ..outputs import atomic_output, check_destination
    from ..samples import read_samples

    if reference is None and (layer or label):
        raise click.UsageError("--layer and --label describe the --reference points; give --reference too")
    if output:
        check_destination(output, overwrite, reads=(classes, reference), form="report")
        if Path(output).suffix.lower() not in (".json", ".txt"):
            raise GeoclfError(f"{output}: write the figures as .json or .txt")
    points = read_samples(reference, layer, label) if reference is not None else None
    progress = Progress(progress_mode_of(quiet, progress_mode), 1, "counting", "rows")

    def on_rows(done, total):
        progress.total = total
        progress.update_to(done)

    try:
        report = class_areas(classes, points, on_rows)
    finally:
        progress.close()
    if output:
        with atomic_output(output, overwrite, form="report") as temporary:
            as_file_json = Path(output).suffix.lower() == ".json"
            temporary.write_text(json_text(report.to_dict()) if as_file_json else report.to_text() + "\n", encoding="utf-8")
    click.echo(json_text(report.to_dict()) if as_json else report.to_text())
