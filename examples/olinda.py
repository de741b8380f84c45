"""A Landsat scene classified from training polygons, as QGIS users do it, through to areas with confidence intervals.

    .venv/bin/python examples/olinda.py [--out-dir examples/output/olinda]

The image is a real one: Landsat 7 ETM+ bands 1-5 and 7 (blue, green, red, nir, swir1,
swir2) at 28.5 m over Olinda, Brazil (EPSG:31985), 349 x 352 cells, as the R package
stars ships it (`tif/L7_ETMs.tif` in Debian's r-cran-stars, Apache-2.0; Landsat data
are public domain). examples/data/olinda_landsat7.tif is that file, deflate-compressed,
with band descriptions added. The 16 training polygons (examples/data/olinda_training_areas.gpkg,
field `cover`: water, vegetation, urban) were drawn over a false-colour view of it. Then:

    geoclf train olinda_training_areas.gpkg --image olinda_landsat7.tif --no-xy --max-per-polygon 100 \
        --colors water=#1f78b4,vegetation=#33a02c,urban=#e31a1c -o olinda.geoclf
    geoclf cross-validate olinda_training_areas.gpkg --image olinda_landsat7.tif --no-xy --max-per-polygon 100 --by polygon --folds 4
    geoclf predict-raster -m olinda.geoclf -o classes.tif           # the image's own grid
    geoclf sieve classes.tif --min-cells 9 -o sieved.tif            # patches under 9 cells (0.73 ha) merged
    geoclf vectorize sieved.tif -o patches.gpkg
    geoclf areas sieved.tif --reference reference.gpkg --label cover
    geoclf importance olinda.geoclf reference.gpkg -o importance.png

The reference sample is a stratified random sample of the sieved map, 50 points per map
class, as Olofsson et al. (2014) recommend. Its labels here come from a spectral rule
(water: near infrared under 30; vegetation: NDVI of 0.25 or more; else urban), a stand-in
for the field visits or photo-interpretation a real assessment would label them with:
the figures show the workflow, not this map's true accuracy.
"""

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio

import geoclf
from geoclf.cli import main as geoclf_cli

DATA = Path(__file__).resolve().parent / "data"
IMAGE, AREAS = DATA / "olinda_landsat7.tif", DATA / "olinda_training_areas.gpkg"
PER_CLASS = 50
COLORS = "water=#1f78b4,vegetation=#33a02c,urban=#e31a1c"  # the legend a reader expects, not the palette's order


def run(*args):
    code = geoclf_cli([str(a) for a in args])
    if code != 0:
        raise SystemExit(code)


def reference_sample(classes_path, seed: int = 0) -> gpd.GeoDataFrame:
    """PER_CLASS random cells of each map class, labelled by the spectral rule (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    with rasterio.open(classes_path) as classes, rasterio.open(IMAGE) as image:
        codes, bands = classes.read(1), image.read().astype(np.float64)
        transform, crs = classes.transform, classes.crs.to_wkt()
    red, nir = bands[2], bands[3]
    ndvi = (nir - red) / np.maximum(nir + red, 1)
    rule = np.where(nir < 30, "water", np.where(ndvi >= 0.25, "vegetation", "urban"))
    rows, cols = [], []
    for code in np.unique(codes[codes != 255]):
        found = np.flatnonzero(codes.ravel() == code)
        chosen = rng.choice(found, min(PER_CLASS, len(found)), replace=False)
        rows += list(chosen // codes.shape[1])
        cols += list(chosen % codes.shape[1])
    x, y = rasterio.transform.xy(transform, rows, cols)
    return gpd.GeoDataFrame({"cover": rule[rows, cols]}, geometry=gpd.points_from_xy(x, y), crs=crs)


def main():
    parser = argparse.ArgumentParser(description="Classify a Landsat scene from training polygons, then report class areas.")
    parser.add_argument("--out-dir", type=Path, default=Path("examples/output/olinda"))
    args = parser.parse_args()
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    inputs = ("--image", IMAGE, "--no-xy", "--max-per-polygon", 100)
    run("train", AREAS, *inputs, "--colors", COLORS, "-o", out / "olinda.geoclf", "--overwrite", "-q")
    run("cross-validate", AREAS, *inputs, "--by", "polygon", "--folds", 4, "-q")
    run("predict-raster", "-m", out / "olinda.geoclf", "-o", out / "classes.tif", "--overwrite", "-q")
    run("sieve", out / "classes.tif", "--min-cells", 9, "-o", out / "sieved.tif", "--overwrite")
    run("vectorize", out / "sieved.tif", "-o", out / "patches.gpkg", "--overwrite")
    geoclf.write_layer(reference_sample(out / "sieved.tif"), out / "reference.gpkg", "reference", overwrite=True)
    run("areas", out / "sieved.tif", "--reference", out / "reference.gpkg", "--label", "cover", "-q")
    run("importance", out / "olinda.geoclf", out / "reference.gpkg", "-o", out / "importance.png", "--overwrite", "-q")
    run("plot", "class-map", out / "sieved.tif", "--samples", AREAS, "-o", out / "classes.png", "--overwrite")


if __name__ == "__main__":
    main()
