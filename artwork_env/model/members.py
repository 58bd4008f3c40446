"""The hidden member population (docs/model.md, section 2).

Members come from `n_communities` taste communities with mixed membership
(logistic-normal weights, shifted by region). A member has a genre taste theta, a cast
affinity psi, a visual preference nu that depends on the device, a base propensity beta,
a patience (probability of looking at the next slot), a sensitivity kappa to changed
artwork, and a viewing history drawn from theta. All draws come from the member's
counter-based key (`artwork_env.model.rng`), so they are batch-size independent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from artwork_env.model import rng
from artwork_env.model.config import DEVICE_NAMES, ModelConfig
from artwork_env.model.elementary import exp_batch
from artwork_env.model.world import World

# Device effect on visual taste (brightness, close-up, expressive, crowded, text-heavy):
# text and crowds read badly on a small phone screen, close-ups read well (assumption).
DEVICE_VISUAL = np.array([
    [0.3, -0.2, 0.2, 0.4, 0.0],    # tv
    [0.0, 0.8, 0.3, -0.9, -1.3],   # phone
    [0.0, 0.0, 0.0, 0.0, 0.3],     # desktop
])


@dataclass(frozen=True, eq=False)
class Population:
    """Community-level parameters, fixed per world (generated from `world_seed`)."""

    community_taste: np.ndarray  # (C, G)
    community_cast: np.ndarray  # (C, A)
    community_visual: np.ndarray  # (C, V)
    region_bias: np.ndarray  # (R, C) shift of the community logits by region
    device_cdf: np.ndarray  # (D,)


@dataclass(frozen=True, eq=False)
class Members:
    """A batch of freshly drawn members: every array has the members on axis 0."""

    theta: np.ndarray  # (N, G) genre taste, centred over genres
    psi: np.ndarray  # (N, A + 1) cast affinity, centred; last column (no face) is 0
    nu: np.ndarray  # (N, V) visual preference including the device effect
    beta: np.ndarray  # (N,) base click logit
    patience: np.ndarray  # (N,) probability of examining the next slot
    kappa: np.ndarray  # (N,) sensitivity to a changed artwork
    device: np.ndarray  # (N,) int
    region: np.ndarray  # (N,) int
    history: np.ndarray  # (N, H) title ids, most recent last
    relevance: np.ndarray  # (N, T) float32 <theta, g_t>


def build_population(config: ModelConfig, world: World) -> Population:
    """The communities of a world, drawn from `world_seed` (cached: envs share one copy)."""
    key = (config.world_seed, config.n_communities, config.n_regions, config.device_probs,
           world.n_genres, world.n_actors, world.n_visual)
    return _cached_population(key)


@lru_cache(maxsize=8)
def _cached_population(key: tuple) -> Population:
    world_seed, n_comm, n_regions, device_probs, n_genres, n_actors, n_visual = key
    gen = np.random.default_rng([world_seed, 1])

    def centred(scale: float, width: int) -> np.ndarray:
        # centred over communities: what everyone likes is the artwork's appeal b_a
        table = gen.normal(0.0, scale, (n_comm, width))
        return table - table.mean(axis=0) if n_comm > 1 else table

    return Population(
        community_taste=centred(1.0, n_genres),
        community_cast=centred(1.0, n_actors),
        community_visual=centred(0.6, n_visual),
        region_bias=gen.normal(0.0, 1.0, (n_regions, n_comm)),
        device_cdf=np.cumsum(device_probs),
    )


def relevance(theta: np.ndarray, world: World) -> np.ndarray:
    """(N, T) float32 <theta, g_t> for every title, summed in a batch-independent order."""
    index, weight = world.sparse_genres
    theta32 = theta.astype(np.float32)
    out = np.take(theta32, index[:, 0], axis=1) * weight[:, 0].astype(np.float32)
    for j in range(1, index.shape[1]):  # <= 3 genres a title; no BLAS, so rows never depend on N
        out += np.take(theta32, index[:, j], axis=1) * weight[:, j].astype(np.float32)
    return out


def top_k(score: np.ndarray, k: int) -> np.ndarray:
    """(N, k) indices of the k largest scores per row, largest first (score is overwritten).

    k rounds of argmax: much faster than `argpartition` for the small k used here; a few
    rows are sorted instead (fewer numpy calls). Both break ties towards the lower index,
    so a member's row never depends on the batch size.
    """
    if score.shape[0] <= 8:
        return np.argsort(-score, axis=1, kind="stable")[:, :k]
    rows = np.arange(score.shape[0])
    out = np.empty((score.shape[0], k), dtype=np.int64)
    for j in range(k):
        best = score.argmax(axis=1)
        out[:, j] = best
        score[rows, best] = -np.inf
    return out


def sample_members(config: ModelConfig, world: World, population: Population,
                   keys: np.ndarray) -> Members:
    """Draw one member per key."""
    n = len(keys)
    n_genres, n_actors, n_visual = world.n_genres, world.n_actors, world.n_visual
    n_comm = config.n_communities
    zero = np.zeros(n, dtype=np.uint64)
    z = rng.normal(keys, zero, rng.MEMBER, n_comm + n_genres + n_actors + n_visual + 2)
    u = rng.uniform(keys, zero, rng.MEMBER + 100, 3)
    z_comm, z_taste, z_cast, z_visual, z_beta, z_patience = np.split(
        z, np.cumsum([n_comm, n_genres, n_actors, n_visual, 1]), axis=1)

    region = np.minimum((u[:, 0] * config.n_regions).astype(np.int64), config.n_regions - 1)
    device = np.minimum(np.searchsorted(population.device_cdf, u[:, 1], side="right"),
                        len(DEVICE_NAMES) - 1)
    logits = config.community_mixing * z_comm + population.region_bias[region]
    weights = exp_batch(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)

    theta = _mix(weights, population.community_taste) + config.taste_noise * z_taste
    theta -= theta.mean(axis=1, keepdims=True)
    psi = np.zeros((n, n_actors + 1))
    psi[:, :n_actors] = _mix(weights, population.community_cast) + config.taste_noise * z_cast
    psi[:, :n_actors] -= psi[:, :n_actors].mean(axis=1, keepdims=True)
    nu = (_mix(weights, population.community_visual) + DEVICE_VISUAL[device][:, :n_visual]
          + config.taste_noise * z_visual)
    beta = config.base_logit + config.base_logit_sd * z_beta[:, 0]
    patience = np.clip(config.position_decay + config.patience_spread * z_patience[:, 0],
                       0.0, 1.0)
    kappa = 2.0 * config.change_sensitivity * u[:, 2]
    rel = relevance(theta, world)
    history = _draw_history(config, world, rel, keys)
    return Members(theta, psi, nu, beta, patience, kappa, device, region, history, rel)


def history_length(config: ModelConfig, world: World) -> int:
    """H actually used: `history_length`, capped at half the catalog (small demo catalog)."""
    return min(config.history_length, max(1, world.n_titles // 2))


def _draw_history(config: ModelConfig, world: World, rel: np.ndarray,
                  keys: np.ndarray) -> np.ndarray:
    """H distinct titles: top of <theta, g_t> + history_noise * uniform (a noisy view of theta)."""
    n_hist = history_length(config, world)
    u = rng.uniform32(keys, np.zeros(len(keys), dtype=np.uint64), rng.HISTORY, world.n_titles)
    score = rel + np.float32(config.history_noise) * u
    return top_k(score, n_hist)[:, ::-1]  # least relevant first: "most recent last"


def _mix(weights: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(N, C) weights times (C, X) table, summed over C in a fixed order (no BLAS)."""
    out = weights[:, 0, None] * table[0]
    for c in range(1, table.shape[0]):
        out += weights[:, c, None] * table[c]
    return out


__all__ = ["Members", "Population", "build_population", "relevance",
           "sample_members"]
