"""What detail near the samples costs (geoclf/near_detail.py): training time, and the time to draw a map.

    .venv/bin/python benchmarks/near_detail_cost.py [--points 2000] [--size 2000] [--threads 2] [--inputs xy|both|fields]

Trains the default on the banana slugs' x, y (a fixed draw of --points of them, the issue's
budget: 30 s for 2,000 points on 2 cores) with and without the detail (--no-near-detail),
then draws a --size x --size class map and probability raster over the survey's extent with each,
in the same run: the smooth model on predict-raster's fast path (forward.py, its ceiling), the
detailed one on Model.classify's path, which asks a k-d tree for each cell's nearest sample and
runs the sharper network on the near cells only. Prints seconds and the share of near cells.
With --inputs both the inputs are x, y and the six covariate fields: the response is chosen first,
then the winner alone gets its detail; with --inputs fields the six fields alone, whose detail is
mixed in where a sample's values repeat. No grid has the fields, so with them no map is drawn.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
VARIANTS = {"xy": "ariolimax: x, y", "both": "ariolimax: x, y + fields", "fields": "ariolimax: fields"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--size", type=int, default=2000, help="Cells per side of the map.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--inputs", choices=sorted(VARIANTS), default="xy",
                        help="x, y; both: x, y and the survey's covariate fields; fields: the fields alone.")
    args = parser.parse_args()
    import torch

    from geoclf import Grid, MapOutputs, TrainingConfig, predict_raster, train
    from geoclf.inputs import describe_inputs
    from geoclf.samples import Samples
    from real_data import variants

    torch.set_num_threads(args.threads)
    points, label, fields, use_xy = variants()[VARIANTS[args.inputs]]
    drawn = points.iloc[np.sort(np.random.default_rng(0).choice(len(points), args.points, replace=False))].reset_index(drop=True)
    models = {}
    for name, config in (("smooth alone", TrainingConfig(near_detail=False)), ("with detail", TrainingConfig())):
        started = time.perf_counter()
        models[name] = train(Samples(drawn, label), config, inputs=describe_inputs(drawn, use_xy, tuple(fields)))
        print(f"train {name}: {time.perf_counter() - started:.1f} s for {args.points} points", flush=True)
    record = models["with detail"].metrics["near_detail"]
    print(f"detail share {record['share']}, reach {record['reach']} (scaled {'inputs' if record.get('repeats') else 'x, y'})")
    if fields:  # the fields are the samples' attributes: no grid has them, so no map is drawn
        return
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, model) in enumerate(models.items()):
            grid = Grid.from_bounds(model.extent, model.crs, size=(args.size, args.size))
            started = time.perf_counter()
            predict_raster(model, grid, MapOutputs(Path(folder) / f"{index}c.tif", probabilities=Path(folder) / f"{index}p.tif"))
            print(f"map {name}: {time.perf_counter() - started:.1f} s for {args.size} x {args.size} cells", flush=True)
    detailed = models["with detail"]
    if hasattr(detailed.network, "near"):
        from rasterio.windows import Window

        centres = np.column_stack(grid.cell_centers(Window(0, 0, grid.width, grid.height)))
        near = detailed.network.near(torch.from_numpy(detailed.scaler.transform(centres)).float())
        print(f"near cells: {float(near.float().mean()):.3f} of the map")


if __name__ == "__main__":
    main()
