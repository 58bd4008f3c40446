"""Ground truth for offline evaluation: what the real world cannot tell you.

`true_value`: a fixed policy's exact expected reward per visit on fresh members (the member
distribution the bandit logs come from), from the simulator's page model. The study that
compares the estimators with it lives in the harness (`artwork_env.experiments.ope_study`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from artwork_env.compiled.core import policy_expected_reward
from artwork_env.envs.env import agent_observation
from artwork_env.model.config import ModelConfig
from artwork_env.ope.estimators import check_distribution
from artwork_env.reference import fresh_members

TRUTH_SEED = 7_777  # members for the truth: a stream no collection seed uses


def true_value(policy: Any, config: ModelConfig, n_members: int = 100_000,
               seed: int = TRUTH_SEED, batch_size: int = 4096) -> tuple[float, float]:
    """(value, standard error): a fixed policy's exact expected reward per visit.

    Averaged over `n_members` fresh members on their first visit; each member's value is
    exact (`policy_expected_reward` over the policy's per-slot distribution), so the only
    noise is which members were drawn (the standard error says how much).
    """
    if n_members < 2:
        raise ValueError(f"n_members must be >= 2, got {n_members}")
    fn = getattr(policy, "action_distribution", policy)
    values = []
    for first in range(0, n_members, batch_size):
        sim = fresh_members(config, min(batch_size, n_members - first), seed, first)
        obs = agent_observation(sim.observe(), {"row_titles": sim.state.titles})
        dist = np.asarray(fn(obs), dtype=np.float64)
        check_distribution(dist, obs["action_mask"])
        values.append(policy_expected_reward(config, sim.page_model(), dist))
    value = np.concatenate(values)
    return float(value.mean()), float(value.std(ddof=1) / np.sqrt(len(value)))
