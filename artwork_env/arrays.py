"""Array primitives shared by the simulator, the agents and the estimators, defined once.

- `sigmoid`: the logistic function (numpy, for the world's generation);
- `masked_argmax`, `uniform_over_allowed`, `random_allowed`: choices over the allowed
  artworks of a (..., M) mask (the uniform random policy, as a distribution and as draws);
- `gather_chosen`: the entry of the chosen artwork of every slot, from any (N, K, M, ...)
  array of candidates.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)) in numpy, for the world's generation (the page
    model's float32 sigmoid is `elementary.sigmoid32`, shared by both cores)."""
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives exactly 0
        return 1.0 / (1.0 + np.exp(-x))


def masked_argmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Argmax over the last axis among allowed entries (mask > 0)."""
    return np.where(mask > 0, scores, -np.inf).argmax(axis=-1)


def uniform_over_allowed(mask: np.ndarray) -> np.ndarray:
    """(..., M) uniform probabilities over the allowed entries of `mask` (the random policy)."""
    allowed = (np.asarray(mask) > 0).astype(np.float64)
    return allowed / allowed.sum(axis=-1, keepdims=True)


def random_allowed(gen: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """A uniformly random allowed index over the last axis of `mask` (one draw per entry)."""
    return masked_argmax(gen.random(mask.shape), mask)


def gather_chosen(candidates: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """(N, K, ...) the chosen artwork's entry of (N, K, M, ...) `candidates`, for (N, K)
    `actions`."""
    index = np.asarray(actions).reshape(actions.shape + (1,) * (candidates.ndim - 2))
    return np.take_along_axis(candidates, index, axis=2)[:, :, 0]
