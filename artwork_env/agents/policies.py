"""Policies with known action probabilities: what logging and offline evaluation need.

An `Agent` says which artworks to show; offline evaluation also needs the probability of
every choice. A `Policy` gives `action_distribution(obs)`, the (N, K, M) probability of each
artwork in each slot (every policy here chooses slots independently given the page, so the
page's probability is the product over slots), and `sample(obs)`, the artworks shown with
the propensity of each choice:

- `UniformPolicy`: uniform over the allowed artworks (Netflix's randomised logging);
- `GreedyPolicy(agent)`: the agent's greedy choice, deterministic;
- `EpsilonGreedyPolicy(agent, epsilon)`: the agent's greedy choice, or with probability
  epsilon a uniformly random allowed artwork ("egreedy over any agent");
- `ThompsonPolicy(agent)`: Beta-Bernoulli Thompson sampling
(`artwork_env.agents.bandits.multi_armed.ThompsonAgent`);
  its propensities are the probabilities that each arm's posterior draw is the largest,
  computed by quadrature (`beta_win_probabilities`), not by Monte Carlo.

A policy wrapping an agent learns when `update` is called (the logger of a learning
bandit); its propensities are those in force when each choice was made.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from scipy import special

from artwork_env.agents.bandits.multi_armed import ThompsonAgent
from artwork_env.agents.base import Agent, Observation, ProblemSpec
from artwork_env.agents.registry import make_agent
from artwork_env.arrays import uniform_over_allowed
from artwork_env.ope.estimators import draw

POLICY_NAMES = ("uniform", "greedy", "egreedy", "thompson")


class Policy(ABC):
    """Per-slot action probabilities and draws from them; `update` forwards to a learner."""

    name: str

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def action_distribution(self, obs: Observation) -> np.ndarray:
        """(N, K, M) probability of each artwork per slot (0 where not allowed)."""

    def sample(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        """(N, K) artworks drawn from the distribution and (N, K) propensity of each."""
        dist = self.action_distribution(obs)
        return draw(self.rng, dist)

    def update(self, obs: Observation, actions: np.ndarray,  # noqa: B027
               reward: np.ndarray, info: dict[str, Any]) -> None:
        """Learn from a visit (policies without a learner ignore it)."""

    def describe(self) -> dict[str, Any]:
        """Name and parameters, written into a dataset's metadata."""
        return {"name": self.name}


def one_hot(actions: np.ndarray, n_artworks: int) -> np.ndarray:
    """(N, K, M) point masses on `actions` (N, K)."""
    return np.eye(n_artworks)[actions]


class UniformPolicy(Policy):
    """Uniform over the allowed artworks of every slot."""

    name = "uniform"

    def action_distribution(self, obs: Observation) -> np.ndarray:
        """1 / (allowed artworks) on each allowed artwork."""
        return uniform_over_allowed(obs["action_mask"])


class AgentPolicy(Policy):
    """A policy built on an agent, which it updates when `learn` is True."""

    def __init__(self, agent: Agent, seed: int = 0, learn: bool = True) -> None:
        super().__init__(seed)
        self.agent, self.learn = agent, learn

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Let the agent learn from the visit (when `learn`). An agent that learns only from
        its own rollouts (`update` not supported) logs frozen: `learn` becomes False, and
        `describe` says so."""
        if self.learn:
            try:
                self.agent.update(obs, actions, reward, info)
            except NotImplementedError:
                self.learn = False

    def describe(self) -> dict[str, Any]:
        """Name, the wrapped agent and its hyperparameters."""
        return {"name": self.name, "agent": self.agent.name, "learn": self.learn,
                "agent_hyperparameters": self.agent.hyperparameters()}


class GreedyPolicy(AgentPolicy):
    """The agent's greedy choice (`act(obs, explore=False)`): a point mass per slot."""

    name = "greedy"

    def action_distribution(self, obs: Observation) -> np.ndarray:
        """Probability one on the agent's greedy artwork."""
        return one_hot(self.agent.act(obs, explore=False), obs["action_mask"].shape[-1])


class EpsilonGreedyPolicy(AgentPolicy):
    """The agent's greedy artwork with probability 1 - epsilon, else a uniform allowed one."""

    name = "egreedy"

    def __init__(self, agent: Agent, epsilon: float = 0.1, seed: int = 0,
                 learn: bool = True) -> None:
        super().__init__(agent, seed, learn)
        if not 0.0 < epsilon <= 1.0:
            raise ValueError(f"epsilon must be in (0, 1] (propensities must be > 0), "
                             f"got {epsilon}")
        self.epsilon = epsilon

    def action_distribution(self, obs: Observation) -> np.ndarray:
        """(1 - epsilon) on the greedy artwork plus epsilon spread over the allowed ones."""
        mask = obs["action_mask"]
        greedy = one_hot(self.agent.act(obs, explore=False), mask.shape[-1])
        return (1.0 - self.epsilon) * greedy + self.epsilon * uniform_over_allowed(mask)

    def describe(self) -> dict[str, Any]:
        """Name, epsilon and the wrapped agent."""
        return {**super().describe(), "epsilon": self.epsilon}


class ThompsonPolicy(AgentPolicy):
    """Thompson sampling with exact propensities: P(an arm's Beta draw is the largest)."""

    name = "thompson"

    def __init__(self, agent: ThompsonAgent, seed: int = 0, learn: bool = True,
                 n_quantiles: int = 64) -> None:
        if not isinstance(agent, ThompsonAgent):
            raise TypeError(f"ThompsonPolicy needs a ThompsonAgent, got {type(agent).__name__}")
        super().__init__(agent, seed, learn)
        self.n_quantiles = n_quantiles

    def action_distribution(self, obs: Observation) -> np.ndarray:
        """Win probabilities of each allowed arm's posterior draw, per slot."""
        titles, mask = obs["title_ids"], obs["action_mask"] > 0
        # the posterior depends on the title only: compute once per distinct (title, mask)
        keys = np.concatenate([titles.reshape(-1, 1), mask.reshape(-1, mask.shape[-1])], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        a, b = self.agent.posterior(unique[:, 0])
        wins = beta_win_probabilities(a, b, unique[:, 1:] > 0, self.n_quantiles)
        return wins[inverse.ravel()].reshape(mask.shape)

    def sample(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
        """One posterior draw per arm (the agent's own `act`), with its exact propensity."""
        actions = self.agent.act(obs, explore=True)
        pscore = np.take_along_axis(self.action_distribution(obs), actions[..., None],
                                    axis=-1)[..., 0]
        return actions, pscore


def beta_win_probabilities(a: np.ndarray, b: np.ndarray, allowed: np.ndarray,
                           n_quantiles: int = 64) -> np.ndarray:
    """(R, M) probability that each allowed arm's Beta(a, b) draw is the largest of its row.

    P(arm i wins) = integral of f_i(x) prod_{j != i} F_j(x) dx, by the trapezoid rule on a
    grid made of `n_quantiles` quantiles of every arm's posterior (so a sharp posterior is
    never missed), then normalised. Accurate to about 1e-4 with the default grid.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    allowed = np.asarray(allowed, dtype=bool)
    rows, n_arms = a.shape
    levels = (np.arange(n_quantiles) + 0.5) / n_quantiles
    grid = special.betaincinv(a[..., None], b[..., None], levels)  # (R, M, Q)
    grid = np.where(allowed[..., None], grid, 0.0).reshape(rows, -1)
    grid = np.sort(np.concatenate([np.zeros((rows, 1)), grid, np.ones((rows, 1))], axis=1),
                   axis=1)
    cdf = special.betainc(a[..., None], b[..., None], grid[:, None, :])  # (R, M, P)
    cdf = np.where(allowed[..., None], cdf, 1.0)  # an absent arm never beats anybody
    wins = np.zeros((rows, n_arms))
    for arm in range(n_arms):
        others = np.prod(np.delete(cdf, arm, axis=1), axis=1)  # (R, P)
        mass = np.diff(cdf[:, arm], axis=1)
        wins[:, arm] = np.sum(mass * 0.5 * (others[:, 1:] + others[:, :-1]), axis=1)
    wins = np.where(allowed, wins, 0.0)
    return wins / wins.sum(axis=1, keepdims=True)


def make_policy(name: str, spec: ProblemSpec, seed: int = 0, agent: str | Agent | None = None,
                epsilon: float = 0.1, learn: bool = True) -> Policy:
    """A policy by name (`POLICY_NAMES`); `agent` (a name or an agent) for greedy/egreedy."""
    if name not in POLICY_NAMES:
        raise ValueError(f"unknown policy {name!r}; available: {', '.join(POLICY_NAMES)}")
    if name == "uniform":
        return UniformPolicy(seed)
    if name == "thompson":
        base = agent if isinstance(agent, Agent) else make_agent(agent or "thompson", spec, seed)
        return ThompsonPolicy(base, seed, learn)  # type: ignore[arg-type]
    if agent is None:
        raise ValueError(f"policy {name!r} wraps an agent: name one (e.g. agent='linucb')")
    base = agent if isinstance(agent, Agent) else make_agent(agent, spec, seed)
    if name == "greedy":
        return GreedyPolicy(base, seed, learn)
    return EpsilonGreedyPolicy(base, epsilon, seed, learn)
