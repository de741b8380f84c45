"""Area and accuracy estimates with 95% confidence intervals from a reference sample, as good practice asks.

A class map's pixel counts are biased areas: every error moves area between classes.
Olofsson et al. (2014, Remote Sensing of Environment 148, 42-57) give the estimators for
a sample stratified by map class: the error matrix becomes area proportions
p_ij = W_i n_ij / n_i. (W_i: the map share of class i), whose column sums are the
error-adjusted areas. Their variances give the intervals of the areas, user's and
producer's accuracies and overall accuracy. A simple random sample is the case where the
weights are the sample's own map shares (what `evaluate` has).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z_95 = 1.959963984540054  # the standard normal's 97.5% quantile: a two-sided 95% interval


@dataclass(frozen=True)
class StratifiedEstimate:
    """Estimates and 95% half-widths, per class in the matrix's order; NaN where the sample cannot give one
    (a map class with fewer than 2 reference points, a class never mapped or never found)."""

    proportions: np.ndarray  # error-adjusted share of the area of each class (reference, columns)
    proportions_ci: np.ndarray
    users: np.ndarray  # user's accuracy of each map class
    users_ci: np.ndarray
    producers: np.ndarray  # producer's accuracy of each reference class
    producers_ci: np.ndarray
    overall: float
    overall_ci: float


def stratified_estimate(counts, weights, z: float = Z_95) -> StratifiedEstimate:
    """Olofsson et al.'s (2014) estimators for `counts` (rows: map class, columns: reference class) of a sample
    stratified by map class, whose strata are `weights` of the mapped area (W_i, summing to 1).

    Equations 2-9 of the paper: p_ij = W_i n_ij / n_i.; the area share of class j is the
    column sum; user's accuracy p_ii / p_i., producer's p_jj / p_.j, overall sum p_ii.
    """
    n = np.asarray(counts, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if n.ndim != 2 or n.shape[0] != n.shape[1] or weights.shape != (n.shape[0],):
        raise ValueError("counts must be a square matrix with one weight per row")
    row_totals = n.sum(axis=1)
    sampled = row_totals > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(sampled[:, None], n / row_totals[:, None], 0.0)  # n_ij / n_i.
        # each stratum's variance term; a stratum of one point has no variance estimate (NaN spreads to what uses it)
        spread = np.where(sampled[:, None], share * (1 - share) / (row_totals[:, None] - 1), 0.0)
        p = weights[:, None] * share
        proportions = p.sum(axis=0)
        proportions_var = (weights[:, None] ** 2 * spread).sum(axis=0)

        diagonal = np.diag(share)
        users = np.where(sampled, diagonal, np.nan)
        users_var = np.where(sampled, diagonal * (1 - diagonal) / (row_totals - 1), np.nan)

        producers = np.diag(p) / proportions
        # eq. 7: N_.j, the estimated reference count of class j, in map-stratum units (W_i / n_i. per point)
        mapped = weights  # N_i. in area shares: the equation is unchanged by the common factor
        reference_totals = (mapped[:, None] * share).sum(axis=0)
        off_diagonal = (mapped[:, None] ** 2 * spread).sum(axis=0) - mapped**2 * np.diag(spread)
        producers_var = (
            mapped**2 * (1 - producers) ** 2 * users * (1 - users) / (row_totals - 1) + producers**2 * off_diagonal
        ) / reference_totals**2

        overall = float(np.trace(p))
        overall_var = float(np.nansum(np.where(sampled, weights**2 * users_var, 0.0)))
    unsampled = weights > 0
    unsampled &= ~sampled
    if unsampled.any():  # a mapped class without reference points leaves the areas and overall accuracy unknown
        proportions = np.full_like(proportions, np.nan)
        overall = overall_var = float("nan")
    return StratifiedEstimate(
        proportions=proportions, proportions_ci=z * np.sqrt(proportions_var),
        users=users, users_ci=z * np.sqrt(users_var),
        producers=producers, producers_ci=z * np.sqrt(producers_var),
        overall=overall, overall_ci=z * float(np.sqrt(overall_var)),
    )
