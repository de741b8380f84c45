"""`geoclf sieve` and `geoclf vectorize`: a class map cleaned of specks, and as polygons (geoclf.sieve, geoclf.vectorize)."""

from __future__ import annotations

import click

from .options import debug_option

CONNECTIVITY = click.option("--connectivity", type=click.Choice(["4", "8"]), default="4", show_default=True,
                            help="Cells join a patch across edges (4) or across edges and corners (8).")


@click.command()
@click.argument("classes", type=click.Path())
@click.option("--min-cells", type=int, required=True, help="Patches of fewer cells take the class of their largest neighbour.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Cleaned class map GeoTIFF (its .qml style beside it).")
@CONNECTIVITY
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@debug_option
def sieve(classes, min_cells, output, connectivity, overwrite):
    """Remove patches smaller than --min-cells from a class map (GDAL's sieve filter).

    Colours, class names and the QGIS style are kept; nodata stays nodata.
    """
    from ..sieve import sieve_map

    changed = sieve_map(classes, output, min_cells, int(connectivity), overwrite)
    click.echo(f"{changed} cells changed class; cleaned map written to {output}")


@click.command()
@click.argument("classes", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Polygon layer to write: .gpkg (with a .qml style), .geojson or .fgb.")
@CONNECTIVITY
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@debug_option
def vectorize(classes, output, connectivity, overwrite):
    """Turn a class map into polygons, one per patch, with the class name, its code and its area in hectares."""
    from ..vectorize import vectorize_map

    count = vectorize_map(classes, output, int(connectivity), overwrite)
    click.echo(f"{count} polygons written to {output}")
