"""How smooth a map from coordinates alone, or a smooth response to covariates, should be: chosen on inner folds.

Generated data is clean, and a network that follows every sample (no weight decay)
maps it best. Field surveys are not: mapped trees of two species mix over metres, and
the same network then draws islands around single points that a neighbour of the
other species contradicts (benchmarks/real_data.py). No one weight decay suits both,
so training tries a ladder of them on INNER_FOLDS stratified folds of the training
samples and keeps the one whose networks give the lowest log loss on the samples they
left out. The decay shrinks the weights and the hidden layers' biases together, so a
ReLU unit's kink stays where it is while its slope shrinks (decaying the weights alone
would also push the kinks outward: when the two were compared, btb's spatial blocks
scored 0.795 that way against 0.820). The output layer's biases do not decay, so the
strongest rung comes close to the class frequencies, the honest map when location says
nothing; close, not there (AdamW holds a weight of the strongest rung near 1/decay, and
on the 77 ant nests of a benchmark fold it scored 0.680 on the inner folds where the
class frequencies scored 0.621, and 0.612 on the held-out fold where they scored 0.572).
So the ladder's limit, the class frequencies themselves (FREQUENCIES), is one more rung
of a map from coordinates alone, chosen (or blended) as the others are; it trains nothing.
A smooth response to covariates and fields (response.py) chooses its decay on the same
ladder, for the same reason: with a fixed decay of 2 the default scored 0.942 on the
banana slugs' six fields, with the decay chosen 0.955 (random folds).

The ladder's networks, every rung on every inner fold and on all the samples, train
side by side as one stack (network_stack.py); the chosen rung's all-samples network is
the model, nothing is refitted.

Or several rungs' networks together, for a map from coordinates alone. A survey can hold
detail at one scale and noise at another, and the ladder's rungs then each get part of it
right: averaging their class probabilities, with shares fitted to the same left-out
samples (a super learner, van der Laan et al. 2007), mapped btb 0.816 -> 0.826 and its
log loss 0.502 -> 0.484 under spatial blocks (benchmarks/real_data.py). Shares fitted to
few samples fit their noise (ants' 97 nests lost 0.006 in log loss), so the blend must
earn its place: its shares are fitted on two inner folds' left-out samples and scored on
the third's, against the single rung chosen the same way, and the blend is kept only
when it wins by more than one standard error of the per-sample difference. A response to
covariates keeps one rung (config.may_blend). Where training weighs the classes (balanced
weights, presence-only records), each left-out sample counts by its class's weight here
too, here and for the detail near the samples (near_detail.py): fitted unweighted, the
detail's share undid the weighting, and a presence-only map's suitability where its species
was found fell below 0.5 (0.46 in tests/core/test_background.py).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from .config import INNER_FOLDS
from .network import Architecture, Blend
from .network_stack import InnerFoldFit, Rung

DECAYS = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # decoupled weight decay per rung, as AdamW's
LADDER = tuple(Rung(weight_decay=decay) for decay in DECAYS)
FREQUENCIES = Rung(weight_decay=math.inf)  # the ladder's limit: no weight left, the output layer's biases alone
SMALLEST_SHARE = 0.01  # a rung with less is left out of the blend (the rest renormalized): it would cost a map its time
BLEND_SAMPLES = 20_000  # left-out samples the shares and their test use at most (0.2 s): 7 numbers need no more,
# and a million samples took 42 s


def blend_shares(probabilities: torch.Tensor, iterations: int = 300, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Shares (summing to 1) over the rungs that maximize the mean log of sum_r share_r x p_r, where
    `probabilities` (rungs, samples) is each rung's probability of each sample's own class (the mean weighted by
    each sample's class weight, where training weighted its loss so).

    The problem is convex; EM climbs it monotonically: each share becomes the (weighted)
    mean of its rung's part in every sample's blended probability.
    """
    shares = torch.full((len(probabilities),), 1.0 / len(probabilities), dtype=probabilities.dtype)
    for _ in range(iterations):
        parts = shares.unsqueeze(1) * probabilities
        parts = parts / parts.sum(0, keepdim=True).clamp_min(1e-30)
        shares = parts.mean(1) if weights is None else (parts * weights).sum(1) / weights.sum()
    return shares


def cross_fitted_gain(probabilities: torch.Tensor, folds: np.ndarray, baseline: int | None = None,
                      weights: torch.Tensor | None = None) -> tuple[float, float]:
    """Mean and standard error, over samples (weighted by `weights`, the samples' class weights, when given), of the
    blend's log loss minus the single best rung's (or the `baseline` rung's), each fitted on the other inner folds'
    samples and scored on the sample's own fold: negative where the blend is better."""
    given = weights is not None
    weights = weights.to(probabilities.dtype) if given else torch.ones(probabilities.shape[1], dtype=probabilities.dtype)
    differences, kept = [], []
    for fold in range(INNER_FOLDS):
        fit, score = torch.from_numpy(folds != fold), torch.from_numpy(folds == fold)
        if not score.any() or not fit.any():
            continue
        shares = blend_shares(probabilities[:, fit], weights=weights[fit] if given else None)
        mean_log = (probabilities[:, fit].clamp_min(1e-30).log() * weights[fit]).sum(1)
        best = baseline if baseline is not None else int(mean_log.argmax())
        blended = (shares.unsqueeze(1) * probabilities[:, score]).sum(0)
        differences.append(probabilities[best, score].clamp_min(1e-30).log() - blended.clamp_min(1e-30).log())
        kept.append(weights[score])
    if not differences:
        return 0.0, 0.0
    difference, weight = torch.cat(differences), torch.cat(kept)
    if len(difference) < 2:
        return float(difference.mean()), 0.0
    if not given:
        return float(difference.mean()), float(difference.std() / len(difference) ** 0.5)
    mean = (difference * weight).sum() / weight.sum()
    effective = weight.sum() ** 2 / (weight ** 2).sum()  # Kish's effective sample size: n for equal weights
    spread = ((weight * (difference - mean) ** 2).sum() / weight.sum() * len(difference) / (len(difference) - 1)).sqrt()
    return float(mean), float(spread / effective ** 0.5)


def choose_blend(fitted: InnerFoldFit, class_weights: torch.Tensor | None = None) -> tuple[dict[Rung, float], dict]:
    """The rungs the model blends and their shares (the chosen rung alone unless the blend earns its place), and the
    evidence: the blend's log loss minus the best single rung's on samples its shares never saw, and its standard
    error. With `class_weights` (balanced training) each sample counts by its class's weight, as in training."""
    logits, codes, folds = fitted.out_of_fold.detach().cpu(), fitted.codes.cpu(), fitted.folds
    if len(folds) > BLEND_SAMPLES:  # a fixed draw: the same samples for the same survey
        drawn = np.sort(np.random.default_rng(0).choice(len(folds), BLEND_SAMPLES, replace=False))
        logits, codes, folds = logits[:, torch.from_numpy(drawn)], codes[torch.from_numpy(drawn)], folds[drawn]
    probabilities = rungs_own_class(logits, codes)
    weights = None if class_weights is None else class_weights.cpu().double()[codes]
    gain, error = cross_fitted_gain(probabilities, folds, weights=weights)
    evidence = {"log_loss_change": round(gain, 5), "standard_error": round(error, 5)}
    if gain + error >= 0:
        return {fitted.chosen: 1.0}, evidence
    return kept_shares(fitted.networks, blend_shares(probabilities, weights=weights)), evidence


def kept_shares(rungs, shares: torch.Tensor) -> dict[Rung, float]:
    """The rungs whose share is SMALLEST_SHARE or more, their shares renormalized to sum to 1."""
    kept = {rung: float(share) for rung, share in zip(rungs, shares) if share >= SMALLEST_SHARE}
    total = sum(kept.values())
    return {rung: share / total for rung, share in kept.items()}


def with_class_frequencies(fitted: InnerFoldFit, y: torch.Tensor, architecture: Architecture,
                           class_weights: torch.Tensor | None = None) -> InnerFoldFit:
    """The fit with the ladder's limit as one more rung: the class frequencies (each class counted by its weight, as
    training weighs it), from each inner fold's training part for the samples it left out, and from all the samples
    as a network of the architecture whose weights are all 0 and whose output biases are their logs (so the map
    runs on the fast paths as any other); its history, the loss of those frequencies, flat."""
    codes = y.cpu()
    weights = torch.ones(len(codes), dtype=torch.float64) if class_weights is None else class_weights.cpu().double()[codes]
    classes = fitted.out_of_fold.shape[-1]

    def log_frequencies(kept: torch.Tensor) -> torch.Tensor:
        counts = torch.bincount(codes[kept], weights=weights[kept], minlength=classes)
        return (counts / counts.sum()).clamp_min(1e-12).log()

    inner = torch.from_numpy(fitted.inner)
    by_fold = torch.stack([log_frequencies(inner != fold) for fold in range(INNER_FOLDS)])
    left_out = by_fold[torch.from_numpy(fitted.folds).long()].to(fitted.out_of_fold)
    network = architecture.build()
    linears = [module for module in network if isinstance(module, nn.Linear)]
    with torch.no_grad():
        for linear in linears:
            linear.weight.zero_()
            linear.bias.zero_()
        everywhere = log_frequencies(torch.ones(len(codes), dtype=torch.bool))
        linears[-1].bias.copy_(everywhere)
    loss = float(-(weights * everywhere[codes]).sum() / weights.sum())  # as training's (weighted) cross-entropy
    epochs = len(next(iter(fitted.history.values())))
    return replace(fitted, networks={**fitted.networks, FREQUENCIES: network.eval()},
                   history={**fitted.history, FREQUENCIES: [{"epoch": epoch + 1, "loss": loss} for epoch in range(epochs)]},
                   out_of_fold=torch.cat([fitted.out_of_fold, left_out.unsqueeze(0)]))


def rung_label(rung: Rung) -> str:
    """How the record and the report name a rung: its decay, or 'class frequencies'."""
    return "class frequencies" if rung == FREQUENCIES else f"{rung.weight_decay:g}"


def blended_network(fitted: InnerFoldFit, blend: dict[Rung, float], architecture: Architecture):
    """The network the blend describes, and its architecture: one rung's network as it is, several as a Blend."""
    if len(blend) == 1:
        return fitted.networks[next(iter(blend))], architecture
    front = architecture.encoders()  # computed once, in front of the members, which keep what follows them
    bodies = [torch.nn.Sequential(*list(fitted.networks[rung])[len(front):]) for rung in blend]
    shares = torch.tensor(list(blend.values()), dtype=torch.float32)
    return Blend(front, bodies, shares).eval(), replace(architecture, members=len(blend))


def rungs_own_class(logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """(rungs, samples) float64: each rung's probability of each sample's own class, from its logits (rungs, samples,
    classes)."""
    probabilities = torch.softmax(logits.double(), -1)
    return probabilities.gather(-1, codes.view(1, -1, 1).expand(len(logits), -1, 1)).squeeze(-1)


def own_class_probabilities(fitted: InnerFoldFit, blend: dict[Rung, float]) -> torch.Tensor:
    """(scored samples,) float64: the blend's probability of each left-out sample's own class, from the inner
    networks that left it out."""
    shares = torch.tensor([blend.get(rung, 0.0) for rung in fitted.networks], dtype=torch.float64)
    return shares @ rungs_own_class(fitted.out_of_fold.detach().cpu(), fitted.codes.cpu())


def smoothness_choice(fitted: InnerFoldFit, blend: dict[Rung, float], evidence: dict | None) -> dict:
    """What the model file records of the ladder's choice: the decay, each rung's evidence, the blend and its
    evidence, the batch, the cost."""
    choice = {
        "weight_decay": fitted.chosen.weight_decay if fitted.chosen != FREQUENCIES else None,
        "inner_folds": INNER_FOLDS,
        "log_loss": {rung_label(rung): round(loss, 5) for rung, loss in fitted.losses.items()},
        "networks": fitted.trained,
        "batch_size": fitted.batch_size,
        "seconds": fitted.seconds,
    }
    if evidence is not None:  # a response to covariates keeps one rung (config.may_blend)
        choice["blend_test"] = evidence
    if len(blend) > 1:
        choice["blend"] = {rung_label(rung): round(share, 4) for rung, share in blend.items()}
    return choice


def describe_smoothness(choice: dict) -> str:
    """'weight decay 0.3, chosen by log loss on 3 inner folds (28 networks side by side, 12.0 s): 0 0.4100, 0.03 0.4000, ...',
    then the blend when there is one."""
    losses = ", ".join(f"{decay} {loss:.4f}" for decay, loss in choice["log_loss"].items())
    chosen = "the class frequencies" if choice["weight_decay"] is None else f"weight decay {choice['weight_decay']:g}"
    text = (
        f"{chosen}, chosen by log loss on {choice['inner_folds']} inner folds "
        f"({choice['networks']} networks side by side, {choice['seconds']:.1f} s): {losses}"
    )
    test = choice.get("blend_test")
    if test is None:  # a response to covariates, or a model from before blends
        return text
    change = f"{test['log_loss_change']:+.4f} +/- {test['standard_error']:.4f}"
    if "blend" in choice:
        shares = ", ".join(f"{decay} {share:.2f}" for decay, share in choice["blend"].items())
        return text + (f"; the map blends the networks of decays {shares} (log loss {change} against the best single "
                       "rung, where its shares were not fitted)")
    return text + (f"; one network: a blend of rungs changed the log loss by {change} where its shares were not fitted, "
                   "not below one standard error")
