"""A pond, mapped from covariate rasters: where does each species live?

    .venv/bin/python examples/pond.py [--out-dir examples/output/pond]

Writes three covariate rasters over the spiral's 2 km square, each in its own CRS and
resolution as field data comes (depth: EPSG:5186 at 10 m, temperature: EPSG:4326 at
0.0002 deg, vegetation: UTM 52N at 25 m, with a square of nodata where a cloud hid the
survey), and 400 sample points labelled by the rule the pond follows (crayfish in deep
water, diving beetles in weeds, tadpoles in warm open shallows). Then, as a user would:

    geoclf train samples.gpkg --covariate depth=depth.tif --covariate temperature=temperature.tif \\
        --covariate vegetation=vegetation.tif -o pond.geoclf
    geoclf predict-raster -m pond.geoclf -o classes.tif --resolution 5
    geoclf plot class-map classes.tif --samples samples.gpkg -o classes.png

The cloud's cells are nodata in the map. The map is scored against the rule everywhere.
"""

import argparse
from pathlib import Path

import numpy as np
import rasterio

import geoclf
from geoclf.cli import main as geoclf_cli
from geoclf.datasets import pond_fields, pond_samples, pond_species, write_pond_rasters


def run(*args):
    code = geoclf_cli([str(a) for a in args])
    if code != 0:
        raise SystemExit(code)


def main():
    parser = argparse.ArgumentParser(description="Map pond species from covariate rasters in three CRSs.")
    parser.add_argument("--out-dir", type=Path, default=Path("examples/output/pond"))
    args = parser.parse_args()
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    rasters = write_pond_rasters(out)
    geoclf.write_layer(pond_samples(400, seed=0), out / "samples.gpkg", "samples", overwrite=True)
    covariates = [a for name, path in rasters.items() for a in ("--covariate", f"{name}={path}")]
    run("train", out / "samples.gpkg", *covariates, "-o", out / "pond.geoclf", "--overwrite", "-q")
    run("predict-raster", "199000,549000,201000,551000", "-m", out / "pond.geoclf", "-o", out / "classes.tif",
        "--resolution", 5, "--overwrite", "-q")
    run("plot", "class-map", out / "classes.tif", "--samples", out / "samples.gpkg", "-o", out / "classes.png", "--overwrite")

    with rasterio.open(out / "classes.tif") as src:
        codes = src.read(1)
        rows, cols = np.indices(codes.shape)
        x, y = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel())
    truth = pond_species(**pond_fields(np.asarray(x), np.asarray(y))).reshape(codes.shape)
    mapped = codes != 255
    print(f"{mapped.mean():.1%} of cells mapped ({(~mapped).sum()} nodata under the cloud); "
          f"{(codes[mapped] == truth[mapped]).mean():.3f} of mapped cells agree with the pond's rule")


if __name__ == "__main__":
    main()
