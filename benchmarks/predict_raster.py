"""How fast does predict-raster draw a class map, next to its ceiling and to other ways of doing it?

    .venv/bin/python benchmarks/predict_raster.py [--side 10000] [--skip-sklearn]

With a default-size model (2-64-64-3 ReLU, trained on the spiral) it reports, on the same grid:
- geoclf end to end (first layer, forward pass, argmax, compression, writing a tiled
  GeoTIFF), in a fresh process, with its peak memory; again with --probabilities;
- the ceiling: the tightest bare forward pass we can write, on as many cells already
  scaled in memory: buffers allocated once, addmm into them, ReLU in place, argmax into a
  preallocated index, chunks of 2^14 cells, torch's threads (all cores);
- scikit-learn's MLPClassifier with the same architecture, predicting window by window
  (the way pyspatialml and elapid draw maps);
- the naive whole-grid approach (one meshgrid, one forward pass), where it fits in memory;
- end-to-end cost at 10^6, 10^7 and 10^8 cells.
Prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import geoclf
from geoclf.samples import Samples

EXTENT = (199000.0, 549000.0, 201000.0, 551000.0)
CHUNK = 16_384  # cells per pass of the ceiling, as geoclf's (geoclf.model.PREDICT_CHUNK)
MEMORY_BUDGET = 16 * 2**30  # the naive approach is run only where its activations fit in this

DASK_CHILD = """
import json, sys, time
from dask.distributed import Client, LocalCluster
from geoclf import Grid, MapSettings, Model, predict_raster
from geoclf.dask_windows import dask_results
model = Model.load(sys.argv[1])
side = int(sys.argv[2])
grid = Grid.from_bounds({extent}, model.crs, size=(side, side))
with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
    started = time.perf_counter()
    predict_raster(model, grid, sys.argv[3], settings=MapSettings(force=True), results=dask_results(client))
    print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""

# Peak memory is the child's own high-water mark (VmHWM): ru_maxrss would carry the parent's over exec.
CHILD = """
import json, sys, time
from geoclf import Grid, MapOutputs, MapSettings, Model, predict_raster
model = Model.load(sys.argv[1])
side = int(sys.argv[2])
grid = Grid.from_bounds({extent}, model.crs, size=(side, side))
started, cpu = time.perf_counter(), time.process_time()
predict_raster(model, grid, MapOutputs(sys.argv[3], probabilities=sys.argv[4] or None), settings=MapSettings(force=True))
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak / 1024}}))
"""

CEILING = """
import sys, time, torch
from geoclf import Model
# The tightest pass we can write: buffers allocated once, each layer an addmm into its own, the activation in place,
# the argmax into a preallocated index, chunks of CHUNK cells already scaled in memory; torch's threads (all cores).
network = Model.load(sys.argv[1]).network
linears = [m for m in network if isinstance(m, torch.nn.Linear)]
weights = [linear.weight.detach().t() for linear in linears]
biases = [linear.bias.detach() for linear in linears]
cells, chunk = int(sys.argv[2]), {chunk}
inputs = torch.randn(chunk, weights[0].shape[0])
buffers = [torch.empty(chunk, weight.shape[1]) for weight in weights]
index = torch.empty(chunk, dtype=torch.int64)

def one_chunk():
    hidden = inputs
    for layer, (weight, bias, buffer) in enumerate(zip(weights, biases, buffers)):
        hidden = torch.addmm(bias, hidden, weight, out=buffer)
        if layer < len(weights) - 1:
            hidden.relu_()
    torch.argmax(hidden, dim=1, out=index)

with torch.inference_mode():
    for _ in range(5):
        one_chunk()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(cells // chunk):
        one_chunk()
    done = (cells // chunk) * chunk
print(done / (time.perf_counter() - started), done / (time.process_time() - cpu))
"""


def end_to_end(model_path: Path, side: int, folder: Path, probabilities: bool) -> dict:
    """predict_raster in a fresh process, so its peak memory is its own."""
    out = folder / f"classes_{side}.tif"
    probs = folder / f"probs_{side}.tif" if probabilities else ""
    written = [out, out.with_suffix(".qml"), *((probs, probs.with_suffix(".qml")) if probs else ())]
    for path in written:
        if path.exists():
            os.remove(path)
    code = CHILD.format(extent=EXTENT)
    done = subprocess.run([sys.executable, "-c", code, str(model_path), str(side), str(out), str(probs)], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    result["cells_per_s"] = side * side / result["seconds"]
    for path in written:
        if path.exists():
            os.remove(path)
    return result


def on_dask(model_path: Path, side: int, folder: Path) -> float:
    """Seconds for the same map on a local 2-worker Dask cluster (cluster start-up not counted)."""
    out = folder / f"dask_{side}.tif"
    code = DASK_CHILD.format(extent=EXTENT)
    done = subprocess.run([sys.executable, "-c", code, str(model_path), str(side), str(out)], capture_output=True, text=True, check=True)
    for path in (out, out.with_suffix(".qml")):
        os.remove(path)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def ceiling(model_path: Path, cells: int) -> tuple[float, float]:
    """Cells per wall-clock second and per CPU second of the bare forward pass (inputs scaled, in memory), in a fresh process."""
    code = CEILING.format(chunk=CHUNK)
    out = subprocess.run([sys.executable, "-c", code, str(model_path), str(cells)], capture_output=True, text=True, check=True).stdout
    wall, cpu = (float(v) for v in out.split())
    return wall, cpu


def sklearn_windowed(samples: Samples, grid: geoclf.Grid) -> float:
    """scikit-learn's MLPClassifier (same architecture), window by window over the grid."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from geoclf.point_values import coordinates

    x = coordinates(samples.points)
    scaler = StandardScaler().fit(x)
    classifier = MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=500, random_state=0).fit(scaler.transform(x), samples.labels)
    started = time.perf_counter()
    for window in grid.windows(256):
        cx, cy = grid.cell_centers(window)
        classifier.predict(scaler.transform(np.column_stack([cx, cy])))
    return grid.cells / (time.perf_counter() - started)


@torch.inference_mode()
def naive(model: geoclf.Model, side: int) -> float | None:
    """One meshgrid of all cell centres, one forward pass; None where the activations would not fit."""
    widest = max(model.architecture.hidden)
    if side * side * (2 + 2 * widest) * 4 > MEMORY_BUDGET:
        return None
    grid = geoclf.Grid.from_bounds(EXTENT, model.crs, size=(side, side))
    started = time.perf_counter()
    cols, rows = np.meshgrid(np.arange(side) + 0.5, np.arange(side) + 0.5)
    x = grid.transform.c + grid.transform.a * cols
    y = grid.transform.f + grid.transform.e * rows
    scaled = torch.from_numpy(model.scaler.transform(np.column_stack([x.ravel(), y.ravel()])))
    model.network(scaled).argmax(dim=1)
    return side * side / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=10_000, help="Grid side in cells (10000: 10^8 cells).")
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="Turns of a ceiling run followed by an end-to-end run.")
    args = parser.parse_args()
    side, cells = args.side, args.side * args.side
    torch.set_num_threads(os.cpu_count() or 1)

    samples = Samples(geoclf.spiral_samples(), "species")
    model = geoclf.train(samples)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        model_path = folder / "model.geoclf"
        model.save(model_path)
        # Fresh processes first, while this one is still small; the in-process comparisons after.
        # This machine's speed drifts by 20-40% from minute to minute (shared cores): each end-to-end run
        # follows its own ceiling run, and the ratio is the median of those pairs.
        turns = [(ceiling(model_path, cells), end_to_end(model_path, side, folder, probabilities=False),
                  end_to_end(model_path, side, folder, probabilities=True)) for _ in range(args.repeats)]
        runs = [(bare, run) for bare, run, _ in turns]
        ratios = sorted(run["cells_per_s"] / bare[0] for bare, run in runs)  # each end-to-end run against the ceiling just before it
        # Work per CPU second does not depend on how much of the machine the neighbours take.
        cpu_ratios = sorted((cells / run["cpu_seconds"]) / bare[1] for bare, run in runs)
        busy = float(np.median([run["cpu_seconds"] / run["seconds"] for _, run in runs]))
        bare = float(np.median([r[0][0] for r in runs]))
        classes = {"cells_per_s": float(np.median([r[1]["cells_per_s"] for r in runs])), "peak_mb": max(r[1]["peak_mb"] for r in runs)}
        probs_ratios = sorted(probs["cells_per_s"] / run["cells_per_s"] for _, run, probs in turns)  # against the same turn's classes
        with_probs = {"cells_per_s": float(np.median([t[2]["cells_per_s"] for t in turns])), "peak_mb": max(t[2]["peak_mb"] for t in turns)}
        scaling = {n: end_to_end(model_path, n, folder, probabilities=False) for n in (1_000, 3_163, 10_000) if n <= side}
        dask_seconds = {n: on_dask(model_path, n, folder) for n in scaling}
        grid = geoclf.Grid.from_bounds(EXTENT, model.crs, size=(side, side))
        sk = None if args.skip_sklearn else sklearn_windowed(samples, grid)
        whole = naive(model, side)

    print(f"{side} x {side} = {cells:,} cells, 2-64-64-3 ReLU, {os.cpu_count()} cores, torch {torch.__version__}; "
          f"ceiling, classes and probabilities: medians of {args.repeats} turns\n")
    print("| approach | cells/s | share of the ceiling | peak memory |")
    print("|---|---|---|---|")
    print(f"| bare forward pass (the ceiling) | {bare / 1e6:.2f} M | 100% | - |")
    print(f"| geoclf predict-raster, classes | {classes['cells_per_s'] / 1e6:.2f} M | {np.median(ratios):.0%} "
          f"(paired turns: {', '.join(f'{r:.0%}' for r in ratios)}) | {classes['peak_mb']:.0f} MB (highest of the turns) |")
    print(f"| geoclf predict-raster, classes + probabilities | {with_probs['cells_per_s'] / 1e6:.2f} M | {with_probs['cells_per_s'] / bare:.0%}; "
          f"{np.median(probs_ratios):.0%} of classes alone (turns: {', '.join(f'{r:.0%}' for r in probs_ratios)}) | {with_probs['peak_mb']:.0f} MB |")
    print(f"| (per CPU second: end to end / bare forward pass) | | {np.median(cpu_ratios):.0%} (turns: {', '.join(f'{r:.0%}' for r in cpu_ratios)}); "
          f"cores busy end to end: {busy:.2f} of {os.cpu_count()} | |")
    if sk is not None:
        print(f"| scikit-learn MLPClassifier, window by window | {sk / 1e6:.2f} M | {sk / bare:.0%} | - |")
    print(f"| naive whole grid (one meshgrid, one forward pass) | {'does not fit in memory' if whole is None else f'{whole / 1e6:.2f} M'} | "
          f"{'-' if whole is None else f'{whole / bare:.0%}'} | - |")
    print("\n| cells | seconds end to end | cells/s | peak memory | seconds on a local 2-worker Dask cluster |")
    print("|---|---|---|---|---|")
    for n, result in scaling.items():
        print(f"| {n * n:.0e} | {result['seconds']:.1f} | {result['cells_per_s'] / 1e6:.2f} M | {result['peak_mb']:.0f} MB | {dask_seconds[n]:.1f} |")


if __name__ == "__main__":
    main()
