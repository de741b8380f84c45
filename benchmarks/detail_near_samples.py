"""Probe for issue 13: the default's smooth map far from the samples, and a detailed one near them.

geoclf now does this itself (geoclf/near_detail.py, the default since 2026-12-05), with the
share fitted on the inner folds its smoothness is chosen on; this probe kept the two models
apart, with the default run with --no-near-detail, and is kept for the record of how the
design was measured.

    .venv/bin/python benchmarks/detail_near_samples.py [--dataset clmfires] [--kinds random,block] [--repeat 0]

Random folds reward detail at the scale of a survey's clusters; spatial blocks, like a map
drawn away from its samples, punish it (README, Real field data). The default's inner folds
are drawn at random, so they can only judge detail where a map cell lies as close to the
samples as their left-out samples do. This probe trains, on each of the benchmark's folds
(benchmarks/real_data.py, the same seeds), the default and the same default with a Fourier
location encoding (the detail), and scores four maps of the held-out samples (five with --inner):
- smooth: the default alone; detail: the encoded model alone;
- switch: the detail for a held-out sample near the training samples, the default elsewhere;
- half: the mean of the two near the samples, the default elsewhere;
- chosen (with --inner): as half, with the detail's share fitted (EM, geoclf.smoothness.blend_shares) to
  the two models' probabilities of the left-out samples of 3 random inner folds of the training samples,
  each fold's models trained on the rest (3x the training).
"Near": within the --quantile of the distances from the left-out samples of 3 random inner folds
of the training samples to the rest of them, the reach the inner folds can vouch for.
It prints each map's accuracy / macro F1 / log loss (mean over the folds), the share of held-out
samples that were near in each fold (and the detail's chosen share), and the seconds taken.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
INNER_FOLDS = 3


def near_reach(training_xy: np.ndarray, quantile: float, seed: int) -> float:
    """How far a left-out sample of a random inner fold lies from the rest, at the given quantile."""
    from scipy.spatial import cKDTree

    inner = np.random.default_rng(seed).integers(0, INNER_FOLDS, len(training_xy))
    gaps = [cKDTree(training_xy[inner != f]).query(training_xy[inner == f])[0] for f in range(INNER_FOLDS)]
    return float(np.quantile(np.concatenate(gaps), quantile))


def fitted_probabilities(data, configs: dict, training: np.ndarray, held: np.ndarray) -> dict[str, np.ndarray]:
    """Per config: geoclf trained on the `training` samples, its class probabilities of the `held` ones."""
    from real_data import geoclf_probabilities

    return {name: geoclf_probabilities(data, config, training, held)
            for name, config in configs.items()}


def detail_share(data, configs: dict, training: np.ndarray, seed: int) -> float:
    """The detail's share in the mean near the samples, fitted to 3 random inner folds' left-out samples."""
    import torch

    from geoclf.smoothness import blend_shares

    inner = np.full(len(training), -1)
    inner[training] = np.random.default_rng(seed + 1).integers(0, INNER_FOLDS, training.sum())
    own = {"smooth": [], "detail": []}
    for fold in range(INNER_FOLDS):
        maps = fitted_probabilities(data, configs, training & (inner != fold), inner == fold)
        for name, probabilities in maps.items():
            own[name].append(probabilities[np.arange(len(probabilities)), data.codes[inner == fold]])
    stacked = torch.tensor(np.stack([np.concatenate(own["smooth"]), np.concatenate(own["detail"])]), dtype=torch.float64)
    return float(blend_shares(stacked)[1])


def run(job: tuple) -> tuple[str, str, dict, list, list, float]:
    """One dataset and fold kind: each map's mean scores over the folds, each fold's near share and (with --inner)
    the detail's fitted share, the seconds."""
    import warnings

    import torch
    from scipy.spatial import cKDTree

    import real_data
    from geoclf.point_values import coordinates
    from geoclf.training import TrainingConfig

    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    dataset, kind, repeat, folds, scale, quantile, choose = job
    data = real_data.prepared(dataset, kind, folds, repeat)
    names, codes = data.names, data.codes
    xy = coordinates(data.points)
    configs = {"smooth": TrainingConfig(seed=repeat, near_detail=False),
               "detail": TrainingConfig(seed=repeat, encoding="fourier", encoding_scale=scale)}
    found: dict[str, list] = {name: [] for name in ("smooth", "detail", "switch", "half", *(("chosen",) if choose else ()))}
    near_shares, detail_shares, started = [], [], time.perf_counter()
    for fold in range(folds):
        training, held = data.fold_of != fold, data.fold_of == fold
        maps = fitted_probabilities(data, configs, training, held)
        near = cKDTree(xy[training]).query(xy[held])[0] <= near_reach(xy[training], quantile, repeat)
        near_shares.append(round(float(near.mean()), 3))
        maps["switch"] = np.where(near[:, None], maps["detail"], maps["smooth"])
        maps["half"] = np.where(near[:, None], (maps["detail"] + maps["smooth"]) / 2, maps["smooth"])
        if choose:
            share = detail_share(data, configs, training, repeat)
            detail_shares.append(round(share, 3))
            maps["chosen"] = np.where(near[:, None], share * maps["detail"] + (1 - share) * maps["smooth"], maps["smooth"])
        for name, probabilities in maps.items():
            found[name].append(real_data.scores(codes[held], probabilities, len(names)))
    means = {name: np.mean(scores, axis=0).round(4).tolist() for name, scores in found.items()}
    return dataset, kind, means, near_shares, detail_shares, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="clmfires", help="A dataset of benchmarks/real_data.py, by its whole name.")
    parser.add_argument("--kinds", default="random,block", help="Fold kinds, comma-separated.")
    parser.add_argument("--repeat", type=int, default=0, help="Which of the benchmark's fold draws (and seed).")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=8.0, help="The detail's Fourier scale (cycles per standard deviation).")
    parser.add_argument("--quantile", type=float, default=0.9, help="Of the inner folds' distances: the reach called near.")
    parser.add_argument("--inner", action="store_true", help="Also the 'chosen' map: the detail's share fitted on inner folds.")
    args = parser.parse_args()
    from real_data import variants

    mapped = [name for name, (_, _, _, use_xy) in variants().items() if use_xy]  # the detail is a location encoding
    if args.dataset not in mapped:
        parser.error(f"no dataset mapped from x, y named {args.dataset!r}; choose from {'; '.join(mapped)}")
    jobs = [(args.dataset, kind, args.repeat, args.folds, args.scale, args.quantile, args.inner) for kind in args.kinds.split(",")]
    with ProcessPoolExecutor(len(jobs)) as pool:
        for dataset, kind, means, near_shares, detail_shares, seconds in pool.map(run, jobs):
            fitted = f"; the detail's fitted share per fold {detail_shares}" if detail_shares else ""
            print(f"{dataset} ({kind}), repeat {args.repeat}, {seconds:.0f} s; near share per fold {near_shares}{fitted}")
            for name, (accuracy, f1, loss) in means.items():
                print(f"  {name:7s} {accuracy:.3f} / {f1:.3f} / {loss:.3f}")


if __name__ == "__main__":
    main()
