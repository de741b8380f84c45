"""Presence-only training (`train --background N`) on real records: elapid's banana slugs.

elapid's wheel ships 1,595 banana-slug sightings in California with 4,990 background
points that elapid drew itself. The benchmark keeps only the sightings for training,
as a user with presence-only records would, and lets each model draw its own random
background over the sightings' extent (geoclf.background, the same points for every
model of a fold). Each model is scored on points it never saw: the held-out sightings
against elapid's held-out background points, by the area under the ROC curve of the
slug's probability (AUC: 0.5 is chance, 1 a perfect ranking). The reference row is
geoclf trained on elapid's own background rather than random points. Inputs: x, y
(background points drawn anew have no field values).

    .venv/bin/python benchmarks/presence_only.py [--folds 5] [--background 10000]

Needs the benchmark extras (`pip install -e '.[benchmark]'`); the data is downloaded
once into ~/.cache/geoclf-benchmarks.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_datasets import ariolimax  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--background", type=int, default=10_000)
    args = parser.parse_args()

    import geopandas as gpd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import KNeighborsClassifier

    from geoclf import TrainingConfig, train
    from geoclf.background import BACKGROUND_CLASS, with_background
    from geoclf.folds import RandomFolds
    from geoclf.point_values import coordinates
    from geoclf.samples import Samples

    data = ariolimax()
    present = (data["presence"] == "present").to_numpy()
    sightings, background = data[present].reset_index(drop=True), data[~present].reset_index(drop=True)
    sighting_folds = RandomFolds(args.folds, seed=0).fold_of(coordinates(sightings))
    background_folds = RandomFolds(args.folds, seed=1).fold_of(coordinates(background))
    fold_of_row = np.empty(len(data), dtype=np.int64)
    fold_of_row[present], fold_of_row[~present] = sighting_folds, background_folds
    config = TrainingConfig(class_weight="balanced", seed=0)
    scores: dict[str, list[float]] = {}
    started = time.perf_counter()
    for fold in range(args.folds):
        train_sightings = Samples(sightings[sighting_folds != fold][["presence", "geometry"]], "presence")
        test = gpd.GeoDataFrame(
            {"truth": np.r_[np.ones((sighting_folds == fold).sum()), np.zeros((background_folds == fold).sum())]},
            geometry=list(sightings.geometry[sighting_folds == fold]) + list(background.geometry[background_folds == fold]),
            crs=data.crs,
        )
        drawn = with_background(train_sightings, args.background, seed=fold)
        known = Samples(data[fold_of_row != fold][["presence", "geometry"]], "presence")
        xy, test_xy = coordinates(drawn.points), coordinates(test)
        is_present = (drawn.labels != BACKGROUND_CLASS).astype(int)

        def geoclf_auc(samples):
            model = train(samples, config)
            probabilities = model.predict_proba(test_xy)[:, model.classes.index("present")]
            return roc_auc_score(test["truth"], probabilities)

        runs = {
            "geoclf --background": lambda: geoclf_auc(drawn),
            "RandomForest (300 trees, leaves of 5, balanced), same background": lambda: roc_auc_score(
                test["truth"], RandomForestClassifier(300, min_samples_leaf=5, class_weight="balanced", n_jobs=2, random_state=0)
                .fit(xy, is_present).predict_proba(test_xy)[:, 1]),
            "KNN (k=25), same background": lambda: roc_auc_score(
                test["truth"], KNeighborsClassifier(25).fit(xy, is_present).predict_proba(test_xy)[:, 1]),
            "geoclf on elapid's own background (reference)": lambda: geoclf_auc(known),
        }
        for name, run in runs.items():
            scores.setdefault(name, []).append(float(run()))
        print(f"fold {fold + 1}/{args.folds}: " + ", ".join(f"{n} {v[-1]:.3f}" for n, v in scores.items()), flush=True)
    print(f"\nAUC of the slug's probability, held-out sightings against elapid's held-out background "
          f"({args.folds} random folds, {args.background:,} random background points, x, y; {time.perf_counter() - started:.0f} s):\n")
    print("| model | AUC (mean +/- sd) |\n|---|---|")
    for name, values in scores.items():
        print(f"| {name} | {np.mean(values):.3f} +/- {np.std(values):.3f} |")


if __name__ == "__main__":
    main()
