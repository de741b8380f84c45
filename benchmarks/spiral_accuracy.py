"""How good are geoclf's defaults on the spiral, next to the teaching text's setup?

    .venv/bin/python benchmarks/spiral_accuracy.py [--train-seeds 4] [--fresh-draws 10]

Trains each setup on the default 300-point spiral for several seeds and scores it on
fresh spirals (other seeds). Prints a Markdown table for the README.
"""

import argparse
import time

import numpy as np

import geoclf
from geoclf.point_values import coordinates
from geoclf.samples import Samples

SETUPS = {
    "teaching text (`--hidden 10 --activation sigmoid --optimizer sgd --lr 1.0 --batch-size 30 --epochs 300 --lr-schedule constant`)": dict(
        hidden=(10,), activation="sigmoid", optimizer="sgd", lr=1.0, batch_size=30, epochs=300, lr_schedule="constant"
    ),
    "teaching text with the default cosine schedule": dict(
        hidden=(10,), activation="sigmoid", optimizer="sgd", lr=1.0, batch_size=30, epochs=300
    ),
    "geoclf defaults": {},
}


def accuracy(model, samples):
    predicted = np.asarray(model.classes)[model.predict(coordinates(samples.points))]
    return float((predicted == samples.labels).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-seeds", type=int, default=4)
    parser.add_argument("--fresh-draws", type=int, default=10)
    args = parser.parse_args()
    fresh = [Samples(geoclf.spiral_samples(seed=1000 + i), "species") for i in range(args.fresh_draws)]
    print("| setup | final training loss | accuracy on fresh spirals: min / mean / max | seconds per model |")
    print("|---|---|---|---|")
    for name, settings in SETUPS.items():
        losses, scores, seconds = [], [], []
        for seed in range(args.train_seeds):
            samples = Samples(geoclf.spiral_samples(seed=seed), "species")
            started = time.perf_counter()
            model = geoclf.train(samples, geoclf.TrainingConfig(seed=seed, **settings))
            seconds.append(time.perf_counter() - started)
            losses.append(model.history[-1]["loss"])
            scores += [accuracy(model, draw) for draw in fresh]
        print(
            f"| {name} | {min(losses):.3f}-{max(losses):.3f} | {min(scores):.3f} / {np.mean(scores):.3f} / {max(scores):.3f} "
            f"| {np.mean(seconds):.1f} |"
        )
    print(f"\n{args.train_seeds} training seeds (0..{args.train_seeds - 1}) x {args.fresh_draws} fresh spirals (seeds 1000..)")


if __name__ == "__main__":
    main()
