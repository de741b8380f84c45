"""geoclf's default next to its peers on a real image classified from training polygons, on the same folds.

    .venv/bin/python benchmarks/training_areas.py [--folds 4] [--max-per-polygon 100]     # about 10 minutes

The bundled Landsat 7 scene over Olinda (examples/olinda.py says where it comes from) and
its 16 training polygons: every band an input, cells sampled from each polygon. Two fold
kinds, the same for every model: whole polygons held out ('polygon', the honest one) and
cells dealt at random ('random cells', where a test cell's neighbours from its own polygon
are in training: the figure that flatters). Peers as in real_data.py: scikit-learn's random
forest, MLP, k-nearest neighbours (k chosen on inner folds) and histogram gradient boosting.
Prints a Markdown table: accuracy, macro F1 and log loss, mean over folds.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "examples" / "data"
sys.path.insert(0, str(HERE))

from real_data import PEERS, _peer, scores  # noqa: E402  (benchmarks share their peers and scores)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--max-per-polygon", type=int, default=100)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import geoclf
    from geoclf.folds import splitter
    from geoclf.inputs import describe_inputs, image_covariates
    from geoclf.point_values import input_values

    image = DATA / "olinda_landsat7.tif"
    samples = geoclf.read_samples(DATA / "olinda_training_areas.gpkg", cells_of=str(image), max_per_polygon=args.max_per_polygon)
    inputs = describe_inputs(samples.points, False, (), image_covariates([image]))
    values, _ = input_values(samples.points, inputs, samples.crs, "the cells")
    names, codes = np.unique(samples.labels, return_inverse=True)
    fold_kinds = {
        "polygon": splitter("polygon", args.folds, seed=0).fold_of(None, samples.groups, samples.labels),
        "random cells": splitter("random", args.folds, seed=0).fold_of(values[:, :2]),
    }
    print(f"{len(codes)} cells from {len(set(samples.groups))} polygons, {len(names)} classes, {args.folds} folds\n")
    print("| folds | model | accuracy | macro F1 | log loss | seconds |\n|---|---|---|---|---|---|")
    for kind, fold_of in fold_kinds.items():
        for model in ("geoclf default", *PEERS):
            started, per_fold = time.perf_counter(), []
            for fold in range(args.folds):
                train_part, test = fold_of != fold, fold_of == fold
                probabilities = np.zeros((test.sum(), len(names)))
                if model == "geoclf default":
                    fitted = geoclf.train(samples.subset(train_part), geoclf.TrainingConfig(), None, inputs)
                    columns = [int(np.flatnonzero(names == c)[0]) for c in fitted.classes]
                    probabilities[:, columns] = fitted.predict_proba(values[test])
                else:
                    fitted = _peer(model, 0, int(train_part.sum())).fit(values[train_part], codes[train_part])
                    probabilities[:, fitted.classes_] = fitted.predict_proba(values[test])
                per_fold.append(scores(codes[test], probabilities, len(names)))
            accuracy, f1, loss = np.mean(per_fold, axis=0)
            print(f"| {kind} | {model} | {accuracy:.3f} | {f1:.3f} | {loss:.3f} | {time.perf_counter() - started:.0f} |", flush=True)


if __name__ == "__main__":
    main()
