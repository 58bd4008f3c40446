"""Contextual linear bandits: hybrid LinUCB and linear Thompson sampling.

The reward model of a candidate is Li et al.'s (2010) hybrid linear model: shared
coefficients beta over the candidate's features z (`artwork_env.agents.features`), plus a per-arm
intercept theta_a for each (title, artwork), which learns the image's intrinsic appeal:

    r = z . beta + theta_a + noise.

`HybridLinearModel` keeps the sufficient statistics and is usable on its own (features
and arm ids in, scores out). The posterior of beta has precision
A0 = lambda I + sum z z^T - sum_a B_a B_a^T / A_a (the Schur complement that integrates the
intercepts out), with A_a = lambda_a + n_a and B_a = sum of z over arm a's observations.
Each update touches only the arms observed; the correction sum is refreshed exactly every
`refresh_every` updates so rounding never accumulates, and A0 is factorised by Cholesky.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from artwork_env.agents import linear_kernels
from artwork_env.agents.base import Agent, Observation, ProblemSpec, slot_feedback
from artwork_env.agents.config import AgentConfig
from artwork_env.agents.features import candidate_features, n_features
from artwork_env.arrays import gather_chosen, masked_argmax
from artwork_env.validation import check_positive, check_real


class HybridLinearModel:
    """Ridge regression with shared features and per-arm intercepts (Li et al. 2010)."""

    def __init__(self, n_features: int, n_arms: int, ridge: float = 1.0,
                 arm_ridge: float = 1.0, refresh_every: int = 256) -> None:
        if ridge <= 0 or arm_ridge <= 0:
            raise ValueError(f"ridge and arm_ridge must be > 0, got {ridge}, {arm_ridge}")
        self.d, self.n_arms = n_features, n_arms
        self.ridge, self.arm_ridge, self.refresh_every = ridge, arm_ridge, refresh_every
        self.gram = ridge * np.eye(n_features)  # lambda I + sum z z^T
        self.moment = np.zeros(n_features)  # sum r z
        self.arm_count = np.full(n_arms, arm_ridge)  # A_a
        self.arm_features = np.zeros((n_arms, n_features))  # B_a
        self.arm_reward = np.zeros(n_arms)  # b_a
        self.updates = 0
        self._refresh()

    def _arm_terms(self, arms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """sum over `arms` of B_a B_a^T / A_a and B_a b_a / A_a."""
        features = self.arm_features[arms] / np.sqrt(self.arm_count[arms])[:, None]
        return features.T @ features, (self.arm_features[arms].T
                                       @ (self.arm_reward[arms] / self.arm_count[arms]))

    def _refresh(self) -> None:
        """Recompute the arm corrections over all arms and factorise A0, exactly."""
        self.correction, self.correction_moment = self._arm_terms(np.arange(self.n_arms))
        precision = self.gram - self.correction
        chol_inv = np.linalg.inv(np.linalg.cholesky((precision + precision.T) / 2))
        self.covariance = chol_inv.T @ chol_inv  # A0^{-1}
        self._solve_beta()

    def _solve_beta(self) -> None:
        self.beta = self.covariance @ (self.moment - self.correction_moment)

    def update(self, features: np.ndarray, arms: np.ndarray, rewards: np.ndarray) -> None:
        """Add observations: (P, d) features, (P,) arm ids, (P,) rewards.

        A0 changes by rank <= P + 2 (touched arms); small batches update the covariance by
        Sherman-Morrison, large ones refactorise; every `refresh_every` updates everything
        is recomputed from the sufficient statistics, so rounding never accumulates.
        """
        if len(arms) == 0:
            return
        touched = np.unique(arms) if len(arms) > 1 else np.asarray(arms)
        self.updates += 1
        if self.updates % self.refresh_every == 0 or len(arms) + 2 * len(touched) > self.d // 2:
            np.add.at(self.arm_count, arms, 1.0)
            np.add.at(self.arm_features, arms, features)
            np.add.at(self.arm_reward, arms, rewards)
            self.gram += features.T @ features
            self.moment += features.T @ rewards
            self._refresh()
            return
        linear_kernels.update(
            np.ascontiguousarray(features, dtype=np.float64), np.asarray(arms, dtype=np.int64),
            np.asarray(rewards, dtype=np.float64), np.asarray(touched, dtype=np.int64),
            self.gram, self.moment, self.arm_count, self.arm_features, self.arm_reward,
            self.correction, self.correction_moment, self.covariance, self.beta)

    def arm_means(self, arms: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """theta_a given beta: (b_a - B_a . beta) / A_a (beta (d,) or broadcastable (..., d))."""
        return (self.arm_reward[arms] - np.sum(self.arm_features[arms] * beta, axis=-1)) \
            / self.arm_count[arms]

    def mean_and_width(self, features: np.ndarray, arms: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard-deviation factor of z . beta + theta_a per candidate.

        width^2 = w^T A0^{-1} w + 1 / A_a with w = z - B_a / A_a (Li et al., Algorithm 2).
        """
        flat = np.ascontiguousarray(features, dtype=np.float64).reshape(-1, self.d)
        mean, width = np.empty(len(flat)), np.empty(len(flat))
        linear_kernels.mean_and_width(flat, np.asarray(arms, dtype=np.int64).reshape(-1),
                                      self.beta, self.covariance, self.arm_features,
                                      self.arm_count, self.arm_reward, mean, width)
        return mean.reshape(np.shape(arms)), width.reshape(np.shape(arms))

    def sample_scores(self, features: np.ndarray, arms: np.ndarray, scale: float,
                      gen: np.random.Generator) -> np.ndarray:
        """Thompson scores: beta ~ N(beta_hat, scale^2 A0^{-1}) per row of `features`
        (axis 0), then theta_a | beta ~ N((b_a - B_a beta) / A_a, scale^2 / A_a)."""
        n = features.shape[0]
        factor = np.linalg.cholesky((self.covariance + self.covariance.T) / 2)
        beta = self.beta + scale * gen.standard_normal((n, self.d)) @ factor.T
        beta = beta.reshape((n,) + (1,) * (features.ndim - 2) + (self.d,))
        theta = self.arm_means(arms, beta) + scale * gen.standard_normal(arms.shape) \
            / np.sqrt(self.arm_count[arms])
        return np.sum(features * beta, axis=-1) + theta

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Sufficient statistics."""
        return {"gram": self.gram, "moment": self.moment, "arm_count": self.arm_count,
                "arm_features": self.arm_features, "arm_reward": self.arm_reward,
                "updates": np.array(self.updates)}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the sufficient statistics and refactorise."""
        self.gram, self.moment = arrays["gram"], arrays["moment"]
        self.arm_count, self.arm_features = arrays["arm_count"], arrays["arm_features"]
        self.arm_reward, self.updates = arrays["arm_reward"], int(arrays["updates"])
        self._refresh()


def arm_ids(title_ids: np.ndarray, n_artworks: int) -> np.ndarray:
    """(..., M) arm id of every candidate artwork of `title_ids`: title * M + artwork."""
    return title_ids[..., None] * n_artworks + np.arange(n_artworks)


@dataclass(frozen=True)
class LinearConfig(AgentConfig):
    """The hybrid linear model's regularisation (both contextual agents)."""

    ridge: float = 1.0
    """ridge of the shared coefficients"""
    arm_ridge: float = 1.0
    """ridge of each arm's own offset"""

    def check(self) -> None:
        """Ridges > 0, exploration >= 0."""
        check_positive("ridge", self.ridge)
        check_positive("arm_ridge", self.arm_ridge)
        for name in ("alpha", "scale"):
            if hasattr(self, name):
                check_real(name, getattr(self, name), low=0.0)


@dataclass(frozen=True)
class LinUCBConfig(LinearConfig):
    """LinUCB's hyperparameters."""

    alpha: float = 0.4
    """width of the upper confidence bound, in posterior standard deviations"""


@dataclass(frozen=True)
class LinTSConfig(LinearConfig):
    """Linear Thompson sampling's hyperparameters."""

    scale: float = 0.2
    """scale of the posterior draw"""


class LinearBanditAgent(Agent):
    """Shared plumbing of the contextual agents: features, arms, cascading updates."""

    config: LinearConfig

    def __init__(self, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        self.model = HybridLinearModel(n_features(spec), spec.n_titles * spec.n_artworks,
                                       self.config.ridge, self.config.arm_ridge)

    def arms(self, title_ids: np.ndarray) -> np.ndarray:
        """(N, K, M) arm id of every candidate: title * M + artwork."""
        return arm_ids(title_ids, self.spec.n_artworks)

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Regress each observed slot's target on the chosen candidate's features."""
        target, observed = slot_feedback(self.spec, info)
        features = candidate_features(self.spec, obs)
        chosen = gather_chosen(features, actions)
        arms = gather_chosen(self.arms(obs["title_ids"]), actions)
        self.model.update(chosen[observed], arms[observed], target[observed])

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The model's sufficient statistics."""
        return self.model.state_arrays()

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the model."""
        self.model.load_state_arrays(arrays)

    def greedy_scores(self, obs: Observation) -> np.ndarray:
        """(N, K, M) posterior mean reward of every candidate."""
        return self.model.mean_and_width(candidate_features(self.spec, obs),
                                         self.arms(obs["title_ids"]))[0]


class LinUCBAgent(LinearBanditAgent):
    """Hybrid LinUCB (Li et al. 2010): mean + alpha * width, per slot."""

    name = "linucb"
    config_class = LinUCBConfig
    config: LinUCBConfig

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The candidate with the highest upper confidence bound in each slot."""
        features = candidate_features(self.spec, obs)
        mean, width = self.model.mean_and_width(features, self.arms(obs["title_ids"]))
        scores = mean + self.config.alpha * width if explore else mean
        return masked_argmax(scores, obs["action_mask"])


class LinTSAgent(LinearBanditAgent):
    """Linear Thompson sampling on the hybrid model: one posterior draw per member."""

    name = "lints"
    config_class = LinTSConfig
    config: LinTSConfig

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The candidate with the best posterior draw in each slot (greedy: the mean)."""
        if not explore:
            return masked_argmax(self.greedy_scores(obs), obs["action_mask"])
        features = candidate_features(self.spec, obs)
        scores = self.model.sample_scores(features, self.arms(obs["title_ids"]), self.config.scale,
                                          self.rng)
        return masked_argmax(scores, obs["action_mask"])
