"""`geoclf make-samples`: write the teaching text's spiral as a sample layer."""

from __future__ import annotations

import click

from .options import debug_option, numbers


@click.command("make-samples")
@click.argument("dataset", type=click.Choice(["spiral"]))
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--per-class", default=100, show_default=True, help="Points per class.")
@click.option("--seed", default=0, show_default=True, help="Random seed of the noise.")
@click.option("--noise", default=0.2, show_default=True, help="Standard deviation of the angle noise (radians).")
@click.option("--center", default="200000,550000", show_default=True, help="X,Y of the spiral's centre, in the CRS.")
@click.option("--scale", default=1000.0, show_default=True, help="Metres (CRS units) per spiral unit.")
@click.option("--crs", default="EPSG:5186", show_default=True, help="CRS of the points.")
@click.option("--label", default="species", show_default=True, help="Name of the class column.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@debug_option
def make_samples(dataset, output, per_class, seed, noise, center, scale, crs, label, overwrite):
    """Write a labelled sample point layer 'samples' (the teaching text's spiral of three species)."""
    from ..datasets import spiral_samples
    from ..outputs import check_destination
    from ..samples import write_layer

    check_destination(output, overwrite, form="points")
    points = spiral_samples(per_class, noise, seed, numbers(center, float, 2, "--center"), scale, crs, label)
    write_layer(points, output, layer="samples", overwrite=overwrite)
    counts = points[label].value_counts().sort_index()
    click.echo(f"wrote {len(points)} points ({', '.join(f'{n} {k}' for k, n in counts.items())}) to {output}")
