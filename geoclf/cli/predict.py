"""`geoclf predict-raster` and `geoclf predict-points`: a model applied to a grid or to points (geoclf.raster, geoclf.prediction)."""

from __future__ import annotations

import click

from ..config import MapSettings
from .options import (
    Progress,
    covariate_option,
    covariate_paths,
    debug_option,
    load_model,
    numbers,
    progress_mode_of,
    progress_options,
    setting_options,
    threads_option,
)


@click.command("predict-raster")
@click.argument("extent", required=False)
@click.option("-m", "--model", "model_path", default="model.geoclf", show_default=True, type=click.Path(), help="Model file.")
@click.option("-o", "--output", default="classes.tif", show_default=True, type=click.Path(dir_okay=False), help="Class map GeoTIFF to write (a .qml style is written beside it).")
@click.option("--resolution", type=float, help="Cell size in CRS units (default: about 1000 cells across).")
@click.option("--size", help="W,H: number of columns and rows instead of --resolution.")
@click.option("--like", type=click.Path(), help="Copy the grid (transform, size, CRS) of this raster exactly.")
@click.option("--probabilities", type=click.Path(dir_okay=False), help="Also write one float32 band per class.")
@covariate_option("Read the model's covariate NAME from another raster (e.g. a new year's); repeatable.")
@click.option("--confidence", type=click.Path(dir_okay=False), help="Also write the model's confidence per cell (float32).")
@click.option("--mask", help="Draw only inside this polygon layer, or inside the 'hull' of the training samples.")
@click.option("--max-distance", type=float, help="Draw only within this distance (grid CRS units) of a training sample.")
@setting_options(MapSettings)
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist.")
@progress_options
@threads_option
@debug_option
def predict_raster(extent, model_path, output, resolution, size, like, probabilities, covariates, confidence, mask, max_distance,
                   overwrite, quiet, progress_mode, **settings):
    """Classify every cell of a grid into a GeoTIFF class map.

    EXTENT is xmin,ymin,xmax,ymax in the model's CRS, optionally followed by
    [EPSG:nnnn] for another CRS, or a vector or raster file (a raster lends its
    grid). Without EXTENT or --like: the grid of the one raster (an image) the
    model's covariates come from, else the samples' extent plus a 5% margin.
    """
    from ..crs import unit_name
    from ..grid import padded, resolve_grid
    from ..inputs import single_raster
    from ..masks import build_mask
    from ..raster import MapOutputs
    from ..raster import predict_raster as draw

    settings = MapSettings(**settings)
    settings.check()
    outputs = MapOutputs(output, probabilities, confidence, overwrite)
    outputs.check(reads=(model_path, extent, like, mask, *covariate_paths(covariates)))
    model = load_model(model_path, covariates)
    if extent is None and like is None:  # the image the model was trained on lends its grid; else the samples' extent
        extent = single_raster(model.inputs) or ",".join(repr(v) for v in padded(model.extent, 0.05))
    grid = resolve_grid(extent, model.crs, resolution, numbers(size, int, 2, "--size") if size else None, like, model.extent)
    area = build_mask(mask, max_distance, model.sample_points, model.crs, grid.crs)
    progress = Progress(progress_mode_of(quiet, progress_mode), grid.cells, "classifying", "cells")
    try:
        draw(
            model, grid, outputs, settings=settings, mask=area,
            progress=lambda done, total: progress.update_to(done),
        )
    finally:
        progress.close()
    xres, yres = grid.resolution
    click.echo(f"wrote a {grid.width} x {grid.height} cell class map of {len(model.classes)} classes (cells of {xres:g} x {yres:g} "
               f"{unit_name(grid.crs)}) to {output}")
    if probabilities:
        click.echo(f"wrote class probabilities to {probabilities}")
    if confidence:
        click.echo(f"wrote confidence ({settings.confidence_measure}) to {confidence}")


@click.command("predict-points")
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("points", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Point file to write (.gpkg).")
@click.option("--layer", help="Point layer to read (default: the only point layer).")
@covariate_option("Read the model's covariate NAME from another raster; repeatable.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@threads_option
@debug_option
def predict_points(model_path, points, output, layer, covariates, overwrite):
    """Copy points with their predicted class and one probability column per class, and a QGIS style (OUTPUT.qml)
    that colours them by class as the class map.

    Points missing an input (a covariate's nodata, or outside its raster) get an empty class.
    """
    from ..outputs import check_destination, sidecar
    from ..prediction import PREDICTED_COLUMN
    from ..prediction import predict_points as classify
    from ..samples import choose_point_layer, read_points, write_layer
    from ..style import categories_qml

    reads = (model_path, points, *covariate_paths(covariates))
    check_destination(output, overwrite, reads=reads, form="points")
    check_destination(sidecar(output, ".qml"), overwrite, reads=reads, form="style")
    model = load_model(model_path, covariates)
    layer = choose_point_layer(points, layer)
    result = classify(model, read_points(points, layer), where=str(points))
    write_layer(result, output, layer=layer, overwrite=overwrite, style=categories_qml(model.classes, model.colors, PREDICTED_COLUMN))
    counts = result["predicted"].value_counts()
    click.echo(f"classified {len(result)} points ({', '.join(f'{n} {k}' for k, n in counts.items())}) into {output}")
