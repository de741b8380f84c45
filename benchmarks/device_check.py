"""Does --device cuda train and draw the same map as the CPU, and how fast?

    python benchmarks/device_check.py [--device cuda] [--side 8192]

Trains the default model on the spiral on the device, checks its accuracy on a fresh
spiral, draws a class map on the device and on the CPU with the same model and counts
the cells that differ (float rounding may flip cells exactly on a class boundary), and
reports the end-to-end and bare forward-pass throughput on the device.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
import torch

import geoclf
from geoclf.point_values import coordinates
from geoclf.samples import Samples

EXTENT = (199000.0, 549000.0, 201000.0, 551000.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--side", type=int, default=8192)
    args = parser.parse_args()
    device = geoclf.network.resolve_device(args.device)
    print(f"device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU'}), torch {torch.__version__}")

    samples = Samples(geoclf.spiral_samples(), "species")
    started = time.perf_counter()
    model = geoclf.train(samples, geoclf.TrainingConfig(device=args.device))
    fresh = Samples(geoclf.spiral_samples(seed=101), "species")
    accuracy = (np.asarray(model.classes)[model.predict(coordinates(fresh.points))] == fresh.labels).mean()
    print(f"trained on {args.device} in {time.perf_counter() - started:.1f} s; accuracy on a fresh spiral {accuracy:.3f}")

    grid = geoclf.Grid.from_bounds(EXTENT, model.crs, size=(args.side, args.side))
    with tempfile.TemporaryDirectory() as folder:
        maps = {}
        for where in (args.device, "cpu"):
            path = Path(folder) / f"{where}.tif"
            started = time.perf_counter()
            geoclf.predict_raster(model, grid, path, settings=geoclf.MapSettings(device=where, force=True))
            seconds = time.perf_counter() - started
            print(f"predict-raster on {where}: {grid.cells:,} cells in {seconds:.1f} s = {grid.cells / seconds / 1e6:.1f} M cells/s")
            with rasterio.open(path) as src:
                maps[where] = src.read(1)
        differ = int((maps[args.device] != maps["cpu"]).sum())
        print(f"cells that differ between {args.device} and cpu: {differ} of {grid.cells:,}")

    network = model.network.to(device).eval()
    batch = torch.randn(2**20, 2, device=device)
    with torch.inference_mode():
        for _ in range(5):
            network(batch).argmax(dim=1)
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(50):
            network(batch).argmax(dim=1)
        if device.type == "cuda":
            torch.cuda.synchronize()
    print(f"bare forward pass on {device}: {50 * 2**20 / (time.perf_counter() - started) / 1e6:.0f} M cells/s (batches of 2^20)")
    print(f"cpu cores here: {os.cpu_count()}")


if __name__ == "__main__":
    main()
