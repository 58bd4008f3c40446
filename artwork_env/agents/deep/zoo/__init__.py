"""Hyperparameters for RL Baselines3 Zoo, in its python conf-file format: one module per
algorithm (`artwork_env.agents.deep.zoo.ppo`, `artwork_env.agents.deep.zoo.a2c`) with a
`hyperparams` dict keyed by env id.

    pip install rl_zoo3
    python -m rl_zoo3.train --algo ppo --env ArtworkBandit-v0 --gym-packages artwork_env \\
        --conf-file artwork_env.agents.deep.zoo.ppo

The values are the project's own (each agent's configuration with the per-env overrides of
`artwork_env/agents/hyperparams.yaml`, what `scripts/train.py` uses)
with the policy the deep agents use: `MultiInputPolicy` reading the page through
`CandidateScorer` (plain `MlpPolicy`, the zoo's fallback, cannot take a Dict observation).
The zoo steps its own `DummyVecEnv` of single envs, so its numbers are not bit-identical
to `scripts/train.py`'s native vector env, and its budget is decisions (= visits here).
"""

from __future__ import annotations

from typing import Any

from artwork_env import ENV_IDS
from artwork_env.agents.hyperparams import tuned_hyperparameters

ZOO_ENVS = ENV_IDS  # every registered environment


def zoo_hyperparameters(algo: str, n_timesteps: int = 50_000,
                        n_envs: int = 16) -> dict[str, dict[str, Any]]:
    """{env id: the zoo's hyperparameters of `algo`} (`policy`, `n_timesteps`, `n_envs`,
    the algorithm's keywords, `policy_kwargs` with the candidate scorer)."""
    from artwork_env.agents.deep.networks import CandidateScorer
    from artwork_env.agents.deep.sb3 import A2CAgent, PPOAgent

    agent = {"ppo": PPOAgent, "a2c": A2CAgent}[algo]
    table = {}
    for env_id in ZOO_ENVS:
        config = agent.config_class.from_kwargs(**tuned_hyperparameters(algo, env_id))
        table[env_id] = {
            "policy": "MultiInputPolicy", "n_timesteps": n_timesteps, "n_envs": n_envs,
            **config.algorithm_kwargs(),
            "policy_kwargs": {"features_extractor_class": CandidateScorer,
                              "features_extractor_kwargs": config.scorer(),
                              "net_arch": agent.net_arch},
        }
    return table
