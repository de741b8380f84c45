"""Where does a forest lead on covariates alone? On the test samples whose values repeat a training sample's.

    .venv/bin/python benchmarks/repeated_values.py [--dataset "ariolimax: fields"] [--kind random] [--repeat 0]
                                                   [--folds 0,1,2,3,4]

On the real-data benchmark's folds (benchmarks/real_data.py), trains each response alone
(`--response threshold` and `--response smooth`, without the detail near the samples) and
scikit-learn's random forest, and scores every held-out sample twice over: those whose
input values repeat a training sample's exactly (the same covariate cell) and the rest.
Prints accuracy and log loss of each part per fold, then their means: the evidence for the
repeats detail of geoclf/near_detail.py.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def repeats_of_training(values: np.ndarray, training: np.ndarray, held: np.ndarray) -> np.ndarray:
    """For each held-out sample, whether its values equal a training sample's."""
    seen = {tuple(row) for row in values[training]}
    return np.array([tuple(row) in seen for row in values[held]])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ariolimax: fields")
    parser.add_argument("--kind", default="random", choices=("random", "block"))
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--folds", default="0,1,2,3,4", help="Which of the 5 folds to score, comma-separated.")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # convergence and rare-class notes: the scores say what matters here
    from sklearn.ensemble import RandomForestClassifier

    from geoclf.training import TrainingConfig
    from real_data import geoclf_probabilities, prepared, scores

    draw = prepared(args.dataset, args.kind, 5, args.repeat)
    classes = len(draw.names)
    rows = []
    for fold in (int(f) for f in args.folds.split(",")):
        training, held = draw.fold_of != fold, draw.fold_of == fold
        repeated, truth = repeats_of_training(draw.values, training, held), draw.codes[held]
        forest = RandomForestClassifier(300, random_state=args.repeat, n_jobs=1).fit(draw.values[training], draw.codes[training])
        models = {"forest": np.zeros((held.sum(), classes))}
        models["forest"][:, forest.classes_] = forest.predict_proba(draw.values[held])
        for response in ("threshold", "smooth"):
            config = TrainingConfig(seed=args.repeat, response=response, near_detail=False)
            models[response] = geoclf_probabilities(draw, config, training, held)
        for name, probabilities in models.items():
            parts = [scores(truth[part], probabilities[part], classes) for part in (repeated, ~repeated)]
            rows.append((name, parts[0][0], parts[0][2], parts[1][0], parts[1][2]))
            print(f"fold {fold} {name:9s} repeated values (n={repeated.sum()}): accuracy {parts[0][0]:.4f}, log loss "
                  f"{parts[0][2]:.4f}; new values (n={(~repeated).sum()}): {parts[1][0]:.4f}, {parts[1][2]:.4f}", flush=True)
    for name in ("forest", "threshold", "smooth"):
        mean = np.mean([row[1:] for row in rows if row[0] == name], axis=0)
        print(f"mean {name:9s} repeated values: {mean[0]:.4f} / {mean[1]:.4f}; new values: {mean[2]:.4f} / {mean[3]:.4f}")


if __name__ == "__main__":
    main()
