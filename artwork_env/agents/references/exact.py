"""Reference agents: uniform random, and two cheating references that read ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from artwork_env.agents.base import Agent, Observation, ProblemSpec
from artwork_env.agents.config import AgentConfig
from artwork_env.arrays import random_allowed
from artwork_env.planning import best_fixed_price, plan
from artwork_env.reference import best_nonpersonalised_artworks
from artwork_env.validation import check_integer


class RandomAgent(Agent):
    """Uniform over the allowed artworks of each slot."""

    name = "random"

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """A random allowed artwork per slot."""
        return random_allowed(self.rng, obs["action_mask"])


class SimulatorReference(Agent):
    """Base of the references that read the attached env's hidden members: `attach`
    remembers the env, `_env_attached` returns it (or says to attach first)."""

    reference = True

    def __init__(self, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        self._env: Any = None

    def attach(self, env: Any) -> None:
        """Remember the env whose ground truth `act` reads."""
        self._env = env.unwrapped if hasattr(env, "unwrapped") else env

    def _env_attached(self) -> Any:
        if self._env is None:
            raise RuntimeError(f"the {self.name} reads ground truth: attach(env) first")
        return self._env


class OracleAgent(SimulatorReference):
    """CHEATING REFERENCE: the myopic oracle, read from the simulator's hidden members.

    Shows for every page the row with the best exact expected reward this visit. No real
    system can do this; it bounds what any myopic policy can reach.
    """

    name = "oracle"

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The oracle's row for every member of the attached env."""
        actions = self._env_attached().oracle()[1]
        return actions.reshape(obs["action_mask"].shape[:2])


@dataclass(frozen=True)
class PlannerConfig(AgentConfig):
    """The planner's hyperparameters."""

    n_rollouts: int = 8
    """rollouts per member and candidate policy at every decision"""

    def check(self) -> None:
        """A positive number of rollouts."""
        check_integer("n_rollouts", self.n_rollouts)


@dataclass(frozen=True)
class GlobalBestConfig(AgentConfig):
    """The best non-personalised artwork's hyperparameters."""

    n_members: int = 20_000
    """fresh members whose exact expected gains choose each title's artwork"""

    def check(self) -> None:
        """A positive number of members."""
        check_integer("n_members", self.n_members)


class PlannerAgent(SimulatorReference):
    """CHEATING REFERENCE: the lifetime-aware planner over the exact model.

    For every member, rollouts from their hidden state choose among the myopic oracle and
    policies that price oversold clicks (`artwork_env.planning.plan`, policy switching),
    keeping the world's best fixed price (`best_fixed_price`, found once when attached)
    unless another does better. Its return per lifetime minus the oracle's is a world's
    sequential headroom. Each decision simulates `n_rollouts` x 5 imagined lifetimes per
    member: use small budgets.
    """

    name = "planner"
    config_class = PlannerConfig
    config: PlannerConfig

    def __init__(self, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        self.default: float | None = None

    def attach(self, env: Any) -> None:
        """Remember the env, and find its world's best fixed price (once)."""
        super().attach(env)
        if self.default is None:
            self.default = best_fixed_price(self._env.config)

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The planner's row for every member of the attached env."""
        sim = self._env_attached().sim
        actions = plan(sim, self.config.n_rollouts, default=self.default or 0.0)[0]
        return actions.reshape(obs["action_mask"].shape[:2])


class GlobalBestAgent(Agent):
    """CHEATING REFERENCE: the best non-personalised artwork per title, from ground truth.

    What a per-title A/B test would find with unlimited traffic: one image per title for
    everybody ("the winning image regardless of the context").
    """

    name = "global_best"
    reference = True
    config_class = GlobalBestConfig
    config: GlobalBestConfig

    def __init__(self, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        self.best: np.ndarray | None = None

    def attach(self, env: Any) -> None:
        """Compute the best artwork per title of the env's world (once)."""
        if self.best is None:
            inner = env.unwrapped if hasattr(env, "unwrapped") else env
            self.best = best_nonpersonalised_artworks(inner.config, self.config.n_members,
                                                      self.seed)

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The best artwork of each title in the rows."""
        if self.best is None:
            raise RuntimeError("global_best reads ground truth: attach(env) first")
        return self.best[obs["title_ids"]]

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The best artwork per title."""
        return {} if self.best is None else {"best": self.best}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the best artwork per title."""
        if "best" in arrays:
            self.best = arrays["best"]
