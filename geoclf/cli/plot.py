"""`geoclf plot ...`: the pictures (geoclf.plotting)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import debug_option


@click.group()
def plot():
    """Draw PNG pictures: samples, training curves, class maps."""


@plot.command("samples")
@click.argument("samples", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG to write.")
@click.option("--layer", help="Point layer to read.")
@click.option("--label", help="Label field (default: one named species, class or label, or the only text field).")
@click.option("-m", "--model", "model_path", type=click.Path(), help="Use this model's class colours.")
@click.option("--overwrite", is_flag=True)
@debug_option
def plot_samples_command(samples, output, layer, label, model_path, overwrite):
    """Sample points coloured by class, on CRS axes."""
    from ..model import Model
    from ..outputs import check_destination
    from ..plotting import plot_samples, save_figure
    from ..samples import read_samples

    check_destination(output, overwrite, reads=(samples, model_path), form="picture")
    data = read_samples(samples, layer, label)
    model = Model.load(model_path) if model_path else None
    figure = plot_samples(data.points, data.label, model.classes if model else None, model.colors if model else None, title=Path(samples).name)
    save_figure(figure, output, overwrite)
    click.echo(f"wrote {output}")


@plot.command("history")
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG to write.")
@click.option("--overwrite", is_flag=True)
@debug_option
def plot_history_command(model_path, output, overwrite):
    """The training curve stored in a model: loss per epoch (and validation loss/accuracy)."""
    from ..model import Model
    from ..outputs import check_destination
    from ..plotting import plot_history, save_figure

    check_destination(output, overwrite, reads=(model_path,), form="picture")
    save_figure(plot_history(Model.load(model_path).history, title=Path(model_path).name), output, overwrite)
    click.echo(f"wrote {output}")


@plot.command("class-map")
@click.argument("raster", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG to write.")
@click.option("--samples", type=click.Path(), help="Overlay these labelled sample points (or training polygons, as outlines).")
@click.option("--label", help="Label field of --samples (default: one named species, class or label, or the only text field).")
@click.option("--points", type=click.Path(), help="Overlay points classified by predict-points.")
@click.option("--overwrite", is_flag=True)
@debug_option
def plot_class_map_command(raster, output, samples, label, points, overwrite):
    """A class map from predict-raster with its colours and legend, samples optionally on top."""
    from ..outputs import check_destination
    from ..plotting import plot_class_map, save_figure
    from ..samples import read_points, read_samples

    check_destination(output, overwrite, reads=(raster, samples, points), form="picture")
    if not Path(raster).is_file():
        from ..errors import GeoclfError

        raise GeoclfError(f"{raster}: no such file; make a class map with `geoclf predict-raster`")
    sample_data = read_samples(samples, label=label, keep_polygons=True) if samples else None
    new_points = read_points(points) if points else None
    figure = plot_class_map(raster, sample_data.points if sample_data else None, sample_data.label if sample_data else None, new_points,
                            title=Path(raster).name)
    save_figure(figure, output, overwrite)
    click.echo(f"wrote {output}")
