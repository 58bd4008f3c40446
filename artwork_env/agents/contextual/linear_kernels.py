"""Compiled per-decision path of the hybrid linear model
(`artwork_env.agents.contextual.linear.HybridLinearModel`):
scoring candidates and the rank-one update, as numba loops, so a decision for one member is
not bound by numpy's per-call overhead. Same formulas as the numpy methods they replace."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def mean_and_width(features, arms, beta, covariance, arm_features, arm_count, arm_reward,
                   mean, width):
    """Per row r: mean z.beta + (b_a - B_a.beta) / A_a and width
    sqrt(w^T A0^{-1} w + 1 / A_a) with w = z - B_a / A_a (Li et al. 2010, Algorithm 2)."""
    rows, d = features.shape
    w = np.empty(d)
    for r in range(rows):
        a = arms[r]
        count = arm_count[a]
        zb = 0.0
        bb = 0.0
        for k in range(d):
            zb += features[r, k] * beta[k]
            bb += arm_features[a, k] * beta[k]
            w[k] = features[r, k] - arm_features[a, k] / count
        spread = 0.0
        for k in range(d):
            row = 0.0
            for m in range(d):
                row += w[m] * covariance[m, k]
            spread += row * w[k]
        mean[r] = zb + (arm_reward[a] - bb) / count
        width[r] = np.sqrt(max(spread, 0.0) + 1.0 / count)


@njit(cache=True)
def _rank_one(covariance, u, sign, cu):
    """Sherman-Morrison: A0 <- A0 + sign u u^T, applied to the covariance A0^{-1}."""
    d = u.shape[0]
    for k in range(d):
        acc = 0.0
        for m in range(d):
            acc += covariance[k, m] * u[m]
        cu[k] = acc
    ucu = 0.0
    for k in range(d):
        ucu += u[k] * cu[k]
    scale = sign / (1.0 + sign * ucu)
    for k in range(d):
        for m in range(d):
            covariance[k, m] -= scale * cu[k] * cu[m]


@njit(cache=True)
def _arm_terms(touched, arm_features, arm_count, arm_reward, out, out_moment, sign):
    """out += sign sum_a B_a B_a^T / A_a, out_moment += sign sum_a B_a b_a / A_a."""
    d = out.shape[0]
    for a in touched:
        for k in range(d):
            out_moment[k] += sign * arm_features[a, k] * (arm_reward[a] / arm_count[a])
            for m in range(d):
                out[k, m] += sign * arm_features[a, k] * arm_features[a, m] / arm_count[a]


@njit(cache=True)
def update(features, arms, rewards, touched, gram, moment, arm_count, arm_features,
           arm_reward, correction, correction_moment, covariance, beta):
    """Add P observations and move the covariance by rank-one updates: + z z^T for each
    observation, + the touched arms' old B B^T / A and - their new ones."""
    rows, d = features.shape
    old_scaled = np.empty((touched.shape[0], d))
    for j in range(touched.shape[0]):
        a = touched[j]
        for k in range(d):
            old_scaled[j, k] = arm_features[a, k] / np.sqrt(arm_count[a])
    _arm_terms(touched, arm_features, arm_count, arm_reward, correction, correction_moment,
               -1.0)
    for r in range(rows):
        a = arms[r]
        arm_count[a] += 1.0
        arm_reward[a] += rewards[r]
        for k in range(d):
            arm_features[a, k] += features[r, k]
            moment[k] += features[r, k] * rewards[r]
            for m in range(d):
                gram[k, m] += features[r, k] * features[r, m]
    _arm_terms(touched, arm_features, arm_count, arm_reward, correction, correction_moment,
               1.0)
    cu = np.empty(d)
    for r in range(rows):
        _rank_one(covariance, features[r], 1.0, cu)
    for j in range(touched.shape[0]):
        _rank_one(covariance, old_scaled[j], 1.0, cu)
    new_scaled = np.empty(d)
    for j in range(touched.shape[0]):
        a = touched[j]
        for k in range(d):
            new_scaled[k] = arm_features[a, k] / np.sqrt(arm_count[a])
        _rank_one(covariance, new_scaled, -1.0, cu)
    for k in range(d):
        acc = 0.0
        for m in range(d):
            acc += covariance[k, m] * (moment[m] - correction_moment[m])
        beta[k] = acc
