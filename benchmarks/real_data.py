"""Is geoclf's default map as right as the peers a user would pick instead, on field surveys no one here wrote?

    .venv/bin/python benchmarks/real_data.py [--repeats 2] [--folds 5] [--write-readme]

Datasets (benchmarks/real_datasets.py; downloaded once from PyPI and Debian): elapid's
banana-slug presence/background points scored on x, y alone, on their six fields alone
and on both; spatstat's urkiola, ants, btb, clmfires and gorillas on x, y. Folds:
random, and spatial blocks (`geoclf.folds`), drawn anew for each
repeat; every model sees the same folds in the same run. Peers: scikit-learn's random
forest (300 trees), MLP (64, 64) on standardized inputs, k-nearest neighbours with k
chosen by log loss on 3 inner folds, and histogram gradient boosting. Scores: accuracy,
macro F1 and log loss of the held-out samples, mean over folds and repeats. With
--write-readme the table replaces the one between the README's real-data markers.

Every run adds its per-fold scores to benchmarks/results/real_data.json (keyed by dataset,
fold kind, model, number of folds and repeat; folds depend only on those), and the table
is drawn from that store: after a change to geoclf, `--models "geoclf default"` refits
only geoclf and scores it against the peers' stored folds; `--models ""` refits nothing and
only draws the table; `--missing-only` fits only the cells the store lacks (a larger --repeats).
`--fresh` drops the store first.

Below the table, each row's verdict: the default against the best peer by accuracy and by
log loss, and the paired margin over folds of each (the default's score minus the peer's on
the same held-out fold, mean +/- a standard error corrected for folds that share their training
samples, Nadeau and Bengio 2003), which says whether a shortfall stands out
from the spread between folds and seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np

HERE = Path(__file__).resolve().parent
STORE = HERE / "results" / "real_data.json"
MARKERS = ("<!-- real-data table: start -->", "<!-- real-data table: end -->")
FOLD_KINDS = ("random", "block")
PEERS = ("RandomForest", "MLP", "KNN", "HistGradientBoosting")
MODELS = ("geoclf default", *PEERS)
KNN_NEIGHBOURS = (1, 3, 5, 10, 20, 35, 50, 75, 100)
PROBABILITY_FLOOR = 1e-7  # log loss clips probabilities here, for every model alike


def variants() -> dict:
    """name -> (points, label, fields used as inputs, whether x, y are inputs)."""
    sys.path.insert(0, str(HERE))
    from real_datasets import load_all

    out = {}
    for name, (points, label, fields) in load_all().items():
        if fields:
            out[f"{name}: x, y"] = (points, label, (), True)
            out[f"{name}: fields"] = (points, label, fields, False)
            out[f"{name}: x, y + fields"] = (points, label, fields, True)
        else:
            out[name] = (points, label, (), True)
    return out


def _peer(name: str, seed: int, train_size: int):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "RandomForest":
        return RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1)
    if name == "MLP":
        return make_pipeline(StandardScaler(), MLPClassifier((64, 64), max_iter=1000, random_state=seed))
    if name == "HistGradientBoosting":
        return HistGradientBoostingClassifier(random_state=seed)
    neighbours = [k for k in KNN_NEIGHBOURS if k <= train_size * 2 // 3]
    return GridSearchCV(
        make_pipeline(StandardScaler(), KNeighborsClassifier()),
        {"kneighborsclassifier__n_neighbors": neighbours},
        scoring="neg_log_loss",
        cv=StratifiedKFold(3, shuffle=True, random_state=seed),
    )


def scores(truth: np.ndarray, probabilities: np.ndarray, classes: int) -> tuple[float, float, float]:
    """(accuracy, macro F1, log loss) of class codes against probabilities (n, classes)."""
    from sklearn.metrics import accuracy_score, f1_score, log_loss

    p = np.clip(probabilities, PROBABILITY_FLOOR, 1)
    p = p / p.sum(axis=1, keepdims=True)
    guess = p.argmax(axis=1)
    labels = list(range(classes))
    return (
        float(accuracy_score(truth, guess)),
        float(f1_score(truth, guess, labels=labels, average="macro", zero_division=0)),
        float(log_loss(truth, p, labels=labels)),
    )


class FoldDraw(NamedTuple):
    """One dataset on one draw of the benchmark's folds: the same for every model and every script that scores on them."""

    points: object  # GeoDataFrame
    label: str
    inputs: list
    values: np.ndarray  # input values, (samples, inputs)
    names: np.ndarray  # class names, in code order
    codes: np.ndarray  # each sample's class code
    fold_of: np.ndarray  # each sample's fold


def prepared(dataset: str, kind: str, folds: int, repeat: int) -> FoldDraw:
    """The dataset's inputs, classes and folds for one fold kind and repeat."""
    from geoclf.folds import assign_folds
    from geoclf.inputs import describe_inputs
    from geoclf.point_values import coordinates, input_values

    points, label, fields, use_xy = variants()[dataset]
    inputs = describe_inputs(points, use_xy, tuple(fields))
    values, _ = input_values(points, inputs, points.crs, dataset)
    names, codes = np.unique(points[label].astype(str).to_numpy(), return_inverse=True)
    return FoldDraw(points, label, inputs, values, names, codes, assign_folds(coordinates(points), folds, kind, None, repeat))


def geoclf_probabilities(draw: FoldDraw, config, training: np.ndarray, held: np.ndarray) -> np.ndarray:
    """geoclf trained with `config` on the `training` samples: its probabilities of the `held` ones, (held, classes) in
    the order of the draw's class names (a class the training part lacks gets 0)."""
    from geoclf.samples import Samples
    from geoclf.training import train

    fitted = train(Samples(draw.points[training].reset_index(drop=True), draw.label), config, None, draw.inputs)
    probabilities = np.zeros((held.sum(), len(draw.names)))
    probabilities[:, [int(np.flatnonzero(draw.names == c)[0]) for c in fitted.classes]] = fitted.predict_proba(draw.values[held])
    return probabilities


def run_one(job: tuple) -> tuple[str, str, str, int, list[tuple[float, float, float]], float]:
    """One (dataset, fold kind, model, repeat): per-fold (accuracy, macro F1, log loss) and the seconds taken."""
    import warnings

    import torch

    warnings.filterwarnings("ignore")  # convergence and rare-class notes: the scores say what matters here
    torch.set_num_threads(1)
    from geoclf.training import TrainingConfig

    dataset, kind, model, repeat, folds = job
    draw = prepared(dataset, kind, folds, repeat)
    values, names, codes, fold_of = draw.values, draw.names, draw.codes, draw.fold_of
    started = time.perf_counter()
    per_fold = []
    for fold in range(folds):
        train_part, test = fold_of != fold, fold_of == fold
        if model == "geoclf default":
            probabilities = geoclf_probabilities(draw, TrainingConfig(seed=repeat), train_part, test)
        else:
            probabilities = np.zeros((test.sum(), len(names)))
            fitted = _peer(model, repeat, int(train_part.sum())).fit(values[train_part], codes[train_part])
            probabilities[:, fitted.classes_] = fitted.predict_proba(values[test])
        per_fold.append(scores(codes[test], probabilities, len(names)))
    return dataset, kind, model, repeat, per_fold, time.perf_counter() - started


def load_store(fresh: bool) -> dict:
    """"dataset|kind|model|folds|repeat" -> per-fold (accuracy, macro F1, log loss), from earlier runs."""
    if fresh or not STORE.exists():
        return {}
    return json.loads(STORE.read_text())


def save_store(store: dict) -> None:
    """Write the store whole (a temporary file renamed over it), so a killed run never leaves half of it."""
    STORE.parent.mkdir(exist_ok=True)
    partial = STORE.with_suffix(".partial")
    partial.write_text(json.dumps(store, indent=1, sort_keys=True))
    partial.replace(STORE)


def store_key(dataset: str, kind: str, model: str, folds: int, repeat: int) -> str:
    return f"{dataset}|{kind}|{model}|{folds}|{repeat}"


def summary(store: dict, names: list[str], kinds: list[str], folds: int, repeats: int) -> dict:
    """(dataset, kind) -> model -> per-fold (accuracy, macro F1, log loss), (folds x repeats, 3), for rows where every
    model has every repeat; fold i of every model is the same held-out part."""
    rows: dict = {}
    for dataset in names:
        for kind in kinds:
            keys = {m: [store_key(dataset, kind, m, folds, r) for r in range(repeats)] for m in MODELS}
            missing = [m for m, ks in keys.items() if any(k not in store for k in ks)]
            if missing:
                print(f"(no row for {dataset} ({kind}): no stored scores for {', '.join(missing)})")
                continue
            rows[(dataset, kind)] = {m: np.array([f for k in ks for f in store[k]]) for m, ks in keys.items()}
    return rows


def row_means(per_fold: dict) -> dict:
    """model -> mean (accuracy, macro F1, log loss) over a row's folds and repeats."""
    return {model: scores.mean(axis=0) for model, scores in per_fold.items()}


def best_peer(means: dict) -> tuple[str, str]:
    """The peers with the best mean accuracy and with the best mean log loss."""
    return max(PEERS, key=lambda m: means[m][0]), min(PEERS, key=lambda m: means[m][2])


def paired_margin(default: np.ndarray, peer: np.ndarray, column: int, folds: int) -> tuple[float, float]:
    """Mean and standard error over the folds of the default's score minus the peer's on the same fold: how far a
    row's difference stands from the spread between folds.

    The folds of one repeat share their training samples, so their differences are not independent and the plain
    standard error is too small; the error is corrected as Nadeau and Bengio (2003) do for repeated cross-validation,
    its variance scaled by 1/J + n_test/n_train (J differences, n_test/n_train = 1/(folds - 1)) instead of 1/J.
    """
    difference = default[:, column] - peer[:, column]
    if len(difference) < 2:
        return float(difference.mean()), 0.0
    error = difference.std(ddof=1) * np.sqrt(1 / len(difference) + 1 / (folds - 1))
    return float(difference.mean()), float(error)


def table(rows: dict) -> str:
    """Markdown: one row per dataset and fold kind, accuracy / macro F1 / log loss per model; bold: best of the row."""
    lines = ["| dataset | folds | " + " | ".join(MODELS) + " |", "|---|---|" + "---|" * len(MODELS)]
    for (dataset, kind), per_fold in rows.items():
        cells = row_means(per_fold)
        top_accuracy = max(c[0] for c in cells.values())
        top_loss = min(c[2] for c in cells.values())
        row = []
        for model in MODELS:
            accuracy, f1, loss = cells[model]
            a = f"**{accuracy:.3f}**" if accuracy >= top_accuracy - 5e-4 else f"{accuracy:.3f}"
            l = f"**{loss:.3f}**" if loss <= top_loss + 5e-4 else f"{loss:.3f}"
            row.append(f"{a} / {f1:.3f} / {l}")
        lines.append(f"| {dataset} | {kind} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def verdict(rows: dict, folds: int) -> list[str]:
    """Per row: the default against the best peer's accuracy and the best peer's log loss (ties at 3 decimals count),
    with the paired margin over folds of each (mean +/- standard error: negative accuracy, positive log loss are the
    default's shortfall)."""
    lines = []
    for (dataset, kind), per_fold in rows.items():
        cells = row_means(per_fold)
        by_accuracy, by_loss = best_peer(cells)
        default = cells["geoclf default"]
        ok = round(default[0], 3) >= round(cells[by_accuracy][0], 3) and round(default[2], 3) <= round(cells[by_loss][2], 3)
        accuracy = paired_margin(per_fold["geoclf default"], per_fold[by_accuracy], 0, folds)
        loss = paired_margin(per_fold["geoclf default"], per_fold[by_loss], 2, folds)
        lines.append(
            f"{'ok ' if ok else 'LOW'} {dataset} ({kind}): default {default[0]:.3f} / log loss {default[2]:.3f}; "
            f"best peer accuracy {cells[by_accuracy][0]:.3f} ({by_accuracy}), log loss {cells[by_loss][2]:.3f} ({by_loss}); "
            f"paired over {len(per_fold[by_accuracy])} folds (corrected error): accuracy {accuracy[0]:+.3f} +/- {accuracy[1]:.3f}, "
            f"log loss {loss[0]:+.3f} +/- {loss[1]:.3f}"
        )
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="Fold draws (and training seeds) per dataset.")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--first-repeat", type=int, default=0,
                        help="Fit repeats from this one on (the table still summarizes all --repeats).")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--dataset", help="Run these datasets (semicolon-separated names, or texts the names contain).")
    parser.add_argument("--kinds", default=",".join(FOLD_KINDS), help="Fold kinds, comma-separated.")
    parser.add_argument("--models", default=",".join(MODELS), help="Models, comma-separated.")
    parser.add_argument("--write-readme", action="store_true", help="Replace the table between the README's markers.")
    parser.add_argument("--fresh", action="store_true", help="Forget the stored scores of earlier runs.")
    parser.add_argument("--missing-only", action="store_true",
                        help="Fit only the cells the store lacks per fold (more repeats, or a store of means from before).")
    args = parser.parse_args()

    everything = list(variants())
    wanted = args.dataset.split(";") if args.dataset else [""]
    # a text that is a dataset's whole name picks that one ("ariolimax: x, y"), else every name containing it
    names = [name for name in everything if any(text == name or (text in name and text not in everything) for text in wanted)]
    kinds, models = args.kinds.split(","), [m for m in args.models.split(",") if m]
    if unknown := set(models) - set(MODELS):
        parser.error(f"unknown models {sorted(unknown)}; choose from {', '.join(MODELS)}")
    jobs = [(d, k, m, r, args.folds) for d in names for k in kinds for r in range(args.first_repeat, args.repeats) for m in models]
    jobs.sort(key=lambda job: job[2] != "geoclf default")  # the longest first, so the pool ends together
    store = load_store(args.fresh)
    if args.missing_only:
        jobs = [job for job in jobs if len(store.get(store_key(job[0], job[1], job[2], args.folds, job[3]), ())) != args.folds]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for done, (dataset, kind, model, repeat, per_fold, seconds) in enumerate(pool.map(run_one, jobs), 1):
            store[store_key(dataset, kind, model, args.folds, repeat)] = per_fold
            save_store(store)
            mean = np.mean(per_fold, axis=0)
            print(f"[{done}/{len(jobs)}] {dataset} ({kind}) | {model}: {mean[0]:.3f} / {mean[1]:.3f} / {mean[2]:.3f} in {seconds:.0f} s", flush=True)
    rows = summary(store, names, kinds, args.folds, args.repeats)
    text = table(rows)
    stored = STORE.relative_to(HERE.parent)
    source = (
        f"this run refitted {', '.join(models)} in {time.perf_counter() - started:.0f} s on {args.workers} processes, "
        f"the rest from earlier runs in {stored}" if models else f"from earlier runs, stored in {stored}"
    )
    footer = f"Accuracy / macro F1 / log loss, mean over {args.folds} folds x {args.repeats} repeats ({source}); bold: the best of the row."
    print("\n" + text + "\n" + footer + "\n")
    lines = verdict(rows, args.folds)
    print("\n".join(lines))
    if args.write_readme:
        from readme_tables import write_between_markers

        write_between_markers(MARKERS, f"{text}\n\n{footer}\n\n```\n" + "\n".join(lines) + "\n```")


if __name__ == "__main__":
    main()
