"""The linear bandits' feature map as part of a deep agent's observation.

`CandidateFeatureVecEnv` wraps an SB3 page VecEnv and adds `features` (K, M, d): the
feature vector `artwork_env.agents.features` builds for every candidate (the crosses of member
history, title and artwork that the linear bandits learn with), so the policy's
`CandidateScorer` reads them beside the raw columns instead of having to discover each
cross from a page-level reward.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from artwork_env.agents.base import Observation, ProblemSpec
from artwork_env.agents.features import candidate_features, n_features


def with_features(spec: ProblemSpec, obs: Observation) -> Observation:
    """`obs` (batched) plus `features` (N, K, M, d) float32."""
    return {**obs, "features": candidate_features(spec, obs).astype(np.float32)}


class CandidateFeatureVecEnv(VecEnvWrapper):
    """Adds `features` to every observation of a page VecEnv (terminal ones too)."""

    def __init__(self, venv: VecEnv, spec: ProblemSpec) -> None:
        self.spec = spec
        shape = (spec.n_slots, spec.n_artworks, n_features(spec))
        space = spaces.Dict({**venv.observation_space.spaces, "features": spaces.Box(
            -np.inf, np.inf, shape, dtype=np.float32)})
        super().__init__(venv, observation_space=space)

    def reset(self) -> Observation:
        """The wrapped env's reset observation with features."""
        return with_features(self.spec, self.venv.reset())

    def step_wait(self) -> tuple[Observation, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """The wrapped env's step with features in the observation and terminal ones."""
        obs, reward, done, infos = self.venv.step_wait()
        ended = np.flatnonzero(done)
        if ended.size:  # one batched call: on the bandit env every member ends every step
            finals = [infos[i]["terminal_observation"] for i in ended]
            batch = {key: np.stack([final[key] for final in finals]) for key in finals[0]}
            features = with_features(self.spec, batch)["features"]
            for row, i in enumerate(ended):
                infos[i]["terminal_observation"] = {**finals[row], "features": features[row]}
        return with_features(self.spec, obs), reward, done, infos
