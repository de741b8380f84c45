"""How long does default training take as surveys grow, and how good is the map it makes?

    .venv/bin/python benchmarks/training_speed.py [--sizes 10000,100000,1000000] [--skip-sklearn]

For each size, spiral points (three classes, noise 0.2) are drawn once, and on the same
points:
- geoclf's default training (a coordinate-only map: the weight-decay ladder of
  smoothness.py, 28 networks side by side), timed, and scored on 30,000 fresh points;
- the tightest ceiling for it: the same stack's steps (forward, backward, Adam; the same
  shapes, batch and step count) on one preallocated batch, with nothing else around them;
- scikit-learn's MLPClassifier(64, 64) on standardized x, y, its defaults otherwise
  (adam, batches of 200, up to 200 epochs, stopping when the loss stops improving).
Then `geoclf train` on a smaller survey, alone and as two commands started together (the
machine's cores shared, as when a user runs two jobs), each timed by the training seconds
its model file records. Prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import geoclf
from geoclf.point_values import coordinates
from geoclf.samples import Samples

FRESH = 30_000


def spiral(points: int, seed: int) -> Samples:
    return Samples(geoclf.spiral_samples(per_class=points // 3, seed=seed), "species")


def accuracy(predicted, samples: Samples) -> float:
    return float((np.asarray(predicted) == samples.labels).mean())


def geoclf_row(samples: Samples, fresh: Samples) -> dict:
    started = time.perf_counter()
    model = geoclf.train(samples)
    seconds = time.perf_counter() - started
    predicted = np.asarray(model.classes)[model.predict(coordinates(fresh.points))]
    choice = model.metrics["smoothness_choice"]
    steps = model.training["epochs"] * (len(samples.labels) // choice["batch_size"])
    return {"seconds": seconds, "accuracy": accuracy(predicted, fresh), "epochs": model.training["epochs"],
            "batch": choice["batch_size"], "decay": choice["weight_decay"], "networks": choice["networks"],
            "bare": bare_stack_seconds(steps, choice["batch_size"], choice["networks"], len(model.classes))}


def bare_stack_seconds(steps: int, batch: int, networks: int, classes: int) -> float:
    """The ceiling: `steps` steps of the stack geoclf trains (networks x 2-64-64-classes, Adam) on one preallocated
    batch, denormals flushed as in training; no fold sampling, weight decay, scoring or progress."""
    import torch

    from geoclf.fitting import flushing_denormals
    from geoclf.network_stack import NetworkStack

    generator = torch.Generator().manual_seed(0)
    stack = NetworkStack(networks, [2, 64, 64, classes], "relu", generator)
    optimizer = torch.optim.Adam(stack.parameters(), lr=0.01)
    x = torch.randn(networks, batch, 2, generator=generator)
    y = torch.randint(0, classes, (networks * batch,), generator=generator)
    with flushing_denormals():
        started = time.perf_counter()
        for _ in range(steps):
            loss = torch.nn.functional.cross_entropy(stack(x).reshape(-1, classes), y, reduction="sum") / batch
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return time.perf_counter() - started


def sklearn_row(samples: Samples, fresh: Samples) -> dict:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    classifier = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64, 64), random_state=0))
    classifier.fit(coordinates(samples.points), samples.labels)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "accuracy": accuracy(classifier.predict(coordinates(fresh.points)), fresh),
            "epochs": classifier[-1].n_iter_}


def timed_commands(samples: Path, folder: Path, at_once: int) -> list[float]:
    """Training seconds (as the model file records them) of `at_once` `geoclf train` commands started together."""
    outputs = [folder / f"model_{at_once}_{index}.geoclf" for index in range(at_once)]
    children = [subprocess.Popen([sys.executable, "-m", "geoclf", "train", str(samples), "-o", str(out), "-q", "--overwrite"],
                                 stdout=subprocess.DEVNULL)
                for out in outputs]
    if any(child.wait() != 0 for child in children):
        raise RuntimeError("geoclf train failed")
    return [geoclf.Model.load(out).metrics["seconds"] for out in outputs]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="Survey sizes, comma-separated.")
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--pair-points", type=int, default=3000, help="Survey size of the two-runs-at-once test.")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    fresh = spiral(FRESH, seed=1000)

    print(f"Spiral points, 3 classes, noise 0.2; accuracy on {FRESH:,} fresh points; {os.cpu_count()} cores\n")
    print("| points | geoclf default: seconds | bare stack: seconds | geoclf / bare | accuracy | epochs, batch, chosen decay | "
          "scikit-learn MLPClassifier(64, 64): seconds | accuracy | epochs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        samples = spiral(size, seed=0)
        ours = geoclf_row(samples, fresh)
        theirs = None if args.skip_sklearn else sklearn_row(samples, fresh)
        peer = "| - | - | - |" if theirs is None else f"| {theirs['seconds']:.1f} | {theirs['accuracy']:.4f} | {theirs['epochs']} |"
        print(f"| {size:,} | {ours['seconds']:.1f} | {ours['bare']:.1f} | {ours['seconds'] / ours['bare']:.2f} | "
              f"{ours['accuracy']:.4f} | {ours['epochs']}, {ours['batch']}, {ours['decay']:g} {peer}", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = folder / "samples.gpkg"
        geoclf.write_layer(geoclf.spiral_samples(per_class=args.pair_points // 3, seed=0), path, layer="samples")
        alone = timed_commands(path, folder, 1)[0]
        pair = timed_commands(path, folder, 2)
    print(f"\n| `geoclf train` on {args.pair_points:,} points | training seconds | share of its speed alone |")
    print("|---|---|---|")
    print(f"| alone | {alone:.1f} | 100% |")
    for index, seconds in enumerate(pair, start=1):
        print(f"| run {index} of two at once | {seconds:.1f} | {alone / seconds:.0%} |")

if __name__ == "__main__":
    main()
