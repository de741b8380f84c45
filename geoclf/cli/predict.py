"""`geoclf predict-raster` and `geoclf predict-points`: a model applied to a grid or to points (geoclf.raster, geoclf.prediction)."""

from __future__ import annotations

import contextlib

import click

from ..grid_values import RESAMPLINGS  # numpy only: --help stays light
from .options import (
    Progress,
    covariate_option,
    debug_option,
    load_model,
    numbers,
    progress_mode_of,
    progress_options,
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
@click.option("--resampling", type=click.Choice(RESAMPLINGS), default="bilinear", show_default=True,
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
@progress_options
@debug_option
def predict_raster(extent, model_path, output, resolution, size, like, probabilities, covariates, resampling, confidence,
                   confidence_measure, mask, max_distance, cog, scheduler, workers, device, force, overwrite, quiet, progress_mode):
    """Classify every cell of a grid into a GeoTIFF class map.

    EXTENT is xmin,ymin,xmax,ymax in the model's CRS, optionally followed by
    [EPSG:nnnn] for another CRS, or a vector or raster file (a raster lends its
    grid). Without EXTENT or --like, the samples' extent plus a 5% margin is used.
    """
    from ..grid import padded, resolve_grid
    from ..masks import build_mask
    from ..network import resolve_device
    from ..raster import predict_raster as draw

    model = load_model(model_path, covariates)
    if extent is None and like is None:
        extent = ",".join(repr(v) for v in padded(model.extent, 0.05))
    grid = resolve_grid(extent, model.crs, resolution, numbers(size, int, 2, "--size") if size else None, like)
    area = build_mask(mask, max_distance, model.sample_points, model.crs, grid.crs)
    torch_device = resolve_device(device)
    progress = Progress(progress_mode_of(quiet, progress_mode), grid.cells, "classifying", "cells")
    with contextlib.ExitStack() as stack:
        results = None
        if scheduler is not None or workers is not None:
            from ..dask_windows import dask_client, dask_results

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


@click.command("predict-points")
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("points", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Point file to write (.gpkg).")
@click.option("--layer", help="Point layer to read (default: the only point layer).")
@covariate_option("Read the model's covariate NAME from another raster; repeatable.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@debug_option
def predict_points(model_path, points, output, layer, covariates, overwrite):
    """Copy points with their predicted class and one probability column per class.

    Points missing an input (a covariate's nodata, or outside its raster) get an empty class.
    """
    from ..outputs import check_destination
    from ..prediction import predict_points as classify
    from ..samples import choose_point_layer, read_points, write_points

    check_destination(output, overwrite)
    model = load_model(model_path, covariates)
    layer = choose_point_layer(points, layer)
    result = classify(model, read_points(points, layer), where=str(points))
    write_points(result, output, layer=layer, overwrite=overwrite)
    counts = result["predicted"].value_counts()
    click.echo(f"classified {len(result)} points ({', '.join(f'{n} {k}' for k, n in counts.items())}) into {output}")
