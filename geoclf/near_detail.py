"""Detail near the samples, the smooth map away from them: a map from x, y that random and spatial folds both accept.

A survey's samples cluster. Random folds test a map where it has samples close by, and
reward detail at the scale of the clusters; spatial blocks test it where it has none, and
punish that detail (README, Real field data: a Fourier encoding lifted clmfires under
random folds, 0.530 -> 0.539, and sank it under blocks, 0.508 -> 0.481). The inner
folds that choose the smoothness are drawn at random, so they can vouch for detail only
as far from the samples as their left-out samples lie. So a map from coordinates alone
also trains a sharper model (x, y through random Fourier features, DETAIL_SCALE cycles
per standard deviation, on the same ladder and inner folds) and mixes it in only there:
within the REACH_QUANTILE of the distances from the inner folds' left-out samples to
the samples they trained on. Its share in that mix is fitted to those left-out samples,
by EM as the blend's shares are, and must earn its place as the blend must
(smoothness.py): fitted on two inner folds and scored on the third, it has to lower the
log loss against the smooth map alone by more than one standard error, or the share is 0
and the model is the smooth map alone. A noisy survey (ants, gorillas) keeps it so.

benchmarks/detail_near_samples.py measured this before it was built in: with the share
fitted on inner folds, clmfires under random folds 0.530 / 1.077 -> 0.540 / 1.067
(accuracy / log loss; gradient boosting 0.537 / 1.087), the banana slugs 0.960 / 0.104 ->
0.969 / 0.090, spatial blocks within 0.002 of the smooth map. Measured since (fold draw 0
of the slugs' x, y under random folds, the default with each setting): 16 -> 64 Fourier
directions 0.9686 / 0.0900 -> 0.9710 / 0.0874 (128: 0.9718 / 0.0879, slower; the forest
0.9696 / 0.0869); a scale of 4 or 16 instead of 8, 0.9681 / 0.0887 and 0.9649 / 0.0931;
a reach at the 0.99 quantile, 0.9692 / 0.0896.

A map from x, y and covariates gets the same detail after its response is chosen on inner
folds (training.py), for the winning response alone, the covariates binned as the winner
bins them: the banana slugs' x, y + fields under random folds 0.958 / 0.107 -> 0.968 / 0.090.

A map of covariates and fields alone knows no distance on the ground, but a cell whose
values repeat a training sample's lies in that sample's covariate cell. Samples often
share one: the banana slugs' sightings cluster, and 1,278 of their 6,585 points repeat
another's six fields exactly. On random folds a forest keeps such a cell's class (0.99 of
those test samples, log loss 0.04-0.06) where each response alone said 0.96-0.99 and
0.10-0.14, and that was most of the forest's lead: on the samples with new values the
smooth response scored 0.951 against the forest's 0.953, log loss 0.125 against 0.133
(fold draw 0, means of its 5 folds; benchmarks/repeated_values.py). So there the detail is a network that sees every
input in REPEAT_BINS quantile bins with no weight decay, which keeps the classes of the
values it was trained on, mixed in where a cell's values repeat a training sample's
(within REPEAT_REACH in the scaled inputs) at the share the inner folds' repeated samples
fit and test, as above; fields that never repeat train no detail. The slugs' fields under
random folds: 0.954 / 0.127 -> 0.957 / 0.115 (3 repeats; the forest 0.960 / 0.115).

Beyond the reach, a blend of several rungs weighs them as inner folds of whole spatial
blocks say (fit_far_blend), when that beats its own shares there: random inner folds
give the rung without weight decay most of a blend, and far from the samples that rung
draws a different map for every seed (the banana slugs' block 0: 0.35 to 0.94 by seed).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from .config import INNER_FOLDS, RESPONSE_SETTINGS, TrainingConfig
from .encoding import Binning, Encoding
from .folds import assign_folds
from .inputs import InputSpec
from .network import Architecture, Blend, NearDetail
from .network_stack import InnerFoldFit, Rung, fit_on_inner_folds
from .smoothness import (FREQUENCIES, LADDER, SMALLEST_SHARE, blend_shares, blended_network, cross_fitted_gain,
                         kept_shares, own_class_probabilities, rung_label, rungs_own_class, with_class_frequencies)

DETAIL_FREQUENCIES = 64  # random Fourier directions of the detail's encoding, for a map from x, y alone
DETAIL_FREQUENCIES_WITH_COVARIATES = 16  # with covariates: 64 took training on 2,000 slugs to 30.4 s, over budget
DETAIL_SCALE = 8.0  # their typical frequency, cycles per standard deviation: the probe's (scale 8 on clmfires and the slugs)
REACH_QUANTILE = 0.9  # of the left-out samples' distances to the samples their inner networks trained on
REPEAT_REACH = 1e-6  # without x, y: a sample's input values repeated (within float rounding, scaled), its covariate cell
REPEAT_BINS = 128  # quantile bins of each input for the repeats' detail, fine enough to tell the cells apart
FAR_BLOCKS = 9  # spatial blocks the far fit's inner folds leave out, three to a fold


def adds_detail(config: TrainingConfig, inputs: list[InputSpec], crs, inner_folds: bool = False) -> bool:
    """Whether training tries the detail: a map whose fit is scored on inner folds (its smoothness chosen there, or
    its response: `inner_folds`), with no location encoding asked for; from x, y (with other inputs or not) in a
    projected CRS (on lon/lat the encoding would need its own scaling), or from covariates and fields alone (repeats)."""
    coordinates = sorted(spec.name for spec in inputs if spec.kind == "coordinate")
    geographic = crs is not None and crs.is_geographic
    scored = config.chooses_smoothness(inputs) or (inner_folds and config.trains_as_stack())
    located = not geographic and coordinates == ["x", "y"]
    return config.near_detail and scored and config.encoding == "none" and (located or not coordinates)


def detail_follows_response(config: TrainingConfig, inputs: list[InputSpec], crs) -> bool:
    """Whether a response chosen on inner folds is followed by its detail, one fit more: whichever response wins
    (each trains as a stack and would take it), so the progress bar can count it from the start."""
    return config.chooses_response(inputs) and all(
        adds_detail(config.settled(inputs, response), inputs, crs, inner_folds=True) for response in RESPONSE_SETTINGS)


def repeats_only(inputs: list[InputSpec]) -> bool:
    """Whether near means a repeat of a training sample's input values: for a map of covariates and fields alone,
    where no distance on the ground is known, but a cell whose values repeat a sample's lies in its covariate cell."""
    return not any(spec.kind == "coordinate" for spec in inputs)


def near_columns(inputs: list[InputSpec]) -> list[int]:
    """The input columns in which nearness is measured: x, y where the map sees them, else every input (repeats)."""
    if repeats_only(inputs):
        return list(range(len(inputs)))
    return [i for i, spec in enumerate(inputs) if spec.kind == "coordinate"]


def detail_architecture(architecture: Architecture, inputs: list[InputSpec], seed: int,
                        scaled: np.ndarray | None = None) -> Architecture:
    """The sharper map's architecture: the smooth map's with x, y expanded into random Fourier features, other inputs
    binned as its; without x, y, every input binned REPEAT_BINS-fine (bins fitted to the `scaled` training values)."""
    if repeats_only(inputs):
        return replace(architecture, binning=Binning.fit(scaled, tuple(range(len(inputs))), REPEAT_BINS), members=1)
    columns = tuple(i for i, spec in enumerate(inputs) if spec.kind == "coordinate")
    frequencies = DETAIL_FREQUENCIES if len(columns) == len(inputs) else DETAIL_FREQUENCIES_WITH_COVARIATES
    encoding = Encoding("fourier", frequencies, DETAIL_SCALE, columns, False, 1.0, seed)
    return Architecture(architecture.inputs, architecture.hidden, architecture.outputs, architecture.activation, encoding,
                        binning=architecture.binning)


def detail_rungs(inputs: list[InputSpec]) -> tuple[Rung, ...]:
    """The settings the detail's stack tries: the ladder for x, y; for repeats one network without weight decay or
    lasso, that keeps each repeated sample's class (the ladder would choose by every left-out sample, most of them
    no repeat, and pick a smooth rung that keeps none)."""
    return (Rung(0.0, 0.0),) if repeats_only(inputs) else LADDER


def left_out_gaps(points: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """For each sample an inner fold left out (inner >= 0, in sample order), the distance to the nearest sample
    that fold's networks trained on."""
    from scipy.spatial import cKDTree

    gaps = np.full(len(points), np.nan)
    for fold in range(INNER_FOLDS):
        held, kept = inner == fold, inner != fold
        if held.any() and kept.any():
            gaps[held] = cKDTree(points[kept]).query(points[held])[0]
    return gaps[inner >= 0]


def near_left_out(points: np.ndarray, inner: np.ndarray, repeats: bool = False) -> tuple[float, np.ndarray, str | None]:
    """The reach, which of the inner folds' left-out samples (in sample order) lie within it of the samples their
    fold trained on, and why none do (None when some do): the samples the detail is tested on, known before it trains.

    `points` are the training samples' scaled x, y, and the reach the REACH_QUANTILE of
    the left-out samples' distances; with `repeats`, all their scaled inputs, and near
    means a sample's values repeated (REPEAT_REACH)."""
    gaps = left_out_gaps(points, inner)
    if len(gaps) == 0:
        return 0.0, np.zeros(0, dtype=bool), "no inner fold could leave a sample out"
    reach = REPEAT_REACH if repeats else float(np.quantile(gaps, REACH_QUANTILE))
    near = gaps <= reach
    return reach, near, None if near.any() else "no left-out sample repeats a training sample's values"


def choose_detail(smooth: InnerFoldFit, smooth_blend: dict[Rung, float], detail: InnerFoldFit,
                  detail_blend: dict[Rung, float], reach: float, near: np.ndarray,
                  class_weights: torch.Tensor | None = None, repeats: bool = False) -> tuple[float, dict]:
    """The detail's share near the samples (0: the smooth map alone), and the evidence.

    `near` marks the left-out samples within `reach` (near_left_out, `repeats` its kind);
    both fits share their inner folds (the same seed and classes draw the same plan).
    With `class_weights` (balanced training, presence-only records) each sample counts
    by its class's weight, as in training.
    """
    own = torch.stack([own_class_probabilities(smooth, smooth_blend), own_class_probabilities(detail, detail_blend)])
    near = torch.from_numpy(near)
    own, folds = own[:, near], smooth.folds[near.numpy()]
    weights = None if class_weights is None else class_weights.cpu().double()[smooth.codes.cpu()][near]
    gain, error = cross_fitted_gain(own, folds, baseline=0, weights=weights)
    share = float(blend_shares(own, weights=weights)[1]) if gain + error < 0 else 0.0
    share = share if share >= SMALLEST_SHARE else 0.0
    evidence = {"share": round(share, 4), "reach": reach if repeats else round(reach, 5), "near_samples": int(near.sum()),
                "log_loss_change": round(gain, 5), "standard_error": round(error, 5), **({"repeats": True} if repeats else {})}
    return share, evidence


def fit_far_blend(x: torch.Tensor, y: torch.Tensor, classes: int, architecture: Architecture, config: TrainingConfig,
                  blend: dict[Rung, float], coordinates: np.ndarray, class_weights: torch.Tensor | None = None,
                  on_epoch=None) -> tuple[dict[Rung, float], dict]:
    """The blend's shares beyond the samples' reach, and the evidence.

    The smooth stack's inner folds are drawn at random, so they weigh the blend's rungs
    for cells near the samples; far from them a rung without weight decay may extrapolate
    differently for every seed (README). So the blend's rungs train once more on inner
    folds that each leave out whole spatial blocks of the samples (FAR_BLOCKS, on their
    raw `coordinates`), and the shares are refitted by EM to those left-out samples. They
    must earn their place as the blend does: fitted on two such folds and scored on the
    third, they have to lower the log loss against the blend's own shares by more than
    one standard error, or the far shares are the blend's.
    """
    blocks = assign_folds(coordinates, FAR_BLOCKS, "block", None, config.seed)
    if len(np.unique(blocks)) < INNER_FOLDS:
        return dict(blend), {"reason": f"the samples fill fewer than {INNER_FOLDS} spatial blocks"}
    single = replace(architecture, members=1)
    rungs = tuple(rung for rung in blend if rung != FREQUENCIES)
    fitted = fit_on_inner_folds(x, y, classes, single, config, rungs, on_epoch, None, blocks)
    if FREQUENCIES in blend:
        fitted = with_class_frequencies(fitted, y, single, class_weights)
    order = list(fitted.networks)
    own = rungs_own_class(fitted.out_of_fold.detach().cpu(), fitted.codes.cpu())[[order.index(rung) for rung in blend]]
    as_near = torch.tensor(list(blend.values()), dtype=own.dtype) @ own
    weights = None if class_weights is None else class_weights.cpu().double()[fitted.codes.cpu()]
    gain, error = cross_fitted_gain(torch.cat([own, as_near.unsqueeze(0)]), fitted.folds, baseline=len(blend),
                                    weights=weights)
    evidence = {"blocks": FAR_BLOCKS, "log_loss_change": round(gain, 5), "standard_error": round(error, 5)}
    if gain + error >= 0:
        return dict(blend), evidence
    far = kept_shares(blend, blend_shares(own, weights=weights))
    evidence["shares"] = {rung_label(rung): round(share, 4) for rung, share in far.items()}
    return far, evidence


def near_samples(network, architecture: Architecture, columns, points: np.ndarray, reach: float,
                 blend: dict[Rung, float], far: dict[Rung, float], detail=None, share: float = 0.0):
    """The smooth network told where the samples are (`points`, its scaled input `columns`), and its architecture:
    within `reach` of them mixed with the detail (an InnerFoldFit, its blend and architecture) at `share`; beyond it a
    blend averaged with the `far` shares."""
    smooth, shares = network, {}
    if far != blend:
        shares = {"far_shares": True}
        tensor = torch.tensor([far.get(rung, 0.0) for rung in blend], dtype=torch.float32)
        smooth = Blend(list(network.front), list(network.members), network.log_shares.exp(), tensor)
    detail_network, detail_arch = blended_network(*detail) if detail is not None else (None, None)
    points = np.unique(points, axis=0)  # nearness asks for the set of places: a repeated one is kept once
    gated = NearDetail(smooth, detail_network, columns, len(points))
    with torch.no_grad():
        gated.points.copy_(torch.from_numpy(np.ascontiguousarray(points, dtype=np.float64)))
        gated.reach.fill_(reach)
        gated.share.fill_(share)
    return gated.eval(), replace(architecture, detail=detail_arch, detail_points=len(points), near_columns=tuple(columns),
                                 **shares)


def describe_detail(record: dict) -> str:
    """'a Fourier-encoded map at share 0.34 within 0.0712 of a training sample (scaled x, y), the smooth map
    elsewhere (log loss -0.0123 +/- 0.0040 against the smooth map alone on 1234 left-out samples, ...)', or why none."""
    if "reason" in record:
        return f"none ({record['reason']})"
    change = f"log loss {record['log_loss_change']:+.4f} +/- {record['standard_error']:.4f} against the smooth map alone"
    if record.get("repeats"):
        what, where = "a finely binned map of every input", "where a training sample's input values repeat"
    else:
        what, where = "a Fourier-encoded map", f"within {record['reach']:.3g} of a training sample (scaled x, y)"
    far = ""
    if "shares" in record.get("far_blend", {}):
        evidence = record["far_blend"]
        shares = ", ".join(f"{rung} ({share:.2f})" for rung, share in evidence["shares"].items())
        far = (f"; beyond it the blend's rungs {shares}, refitted on folds of {evidence['blocks']} spatial blocks (log loss "
               f"{evidence['log_loss_change']:+.4f} +/- {evidence['standard_error']:.4f} against its own shares)")
    if record["share"] > 0:
        return (f"{what} at share {record['share']:.2f} {where}, the smooth map elsewhere ({change} on "
                f"{record['near_samples']} left-out samples, where its share was not fitted){far}")
    return (f"none: {what} mixed in {where} gave {change} on {record['near_samples']} left-out "
            f"samples, not below one standard error{far}")
