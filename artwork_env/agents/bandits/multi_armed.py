"""Non-contextual bandits per (title, artwork): epsilon-greedy, UCB1, Thompson sampling.

They find "the winning image regardless of the context", Netflix's system before
personalisation. Each keeps, per (title, artwork), the number of observed impressions and
the sum of the per-slot target (`slot_feedback`): cascading feedback, so slots after a
quality play, which the member never looked at, are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from artwork_env.agents.base import Agent, Observation, ProblemSpec, slot_feedback
from artwork_env.agents.config import AgentConfig
from artwork_env.arrays import masked_argmax
from artwork_env.model.rewards import reward_event
from artwork_env.validation import check_positive, check_real


class PerArtworkBandit(Agent):
    """Shared statistics and update of the per-(title, artwork) bandits."""

    def __init__(self, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        shape = (spec.n_titles, spec.n_artworks)
        self.counts = np.zeros(shape)
        self.sums = np.zeros(shape)
        self.successes = np.zeros(shape)  # quality plays (clicks for reward="click")

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Add each observed slot's outcome to its (title, artwork) statistics."""
        target, observed = slot_feedback(self.spec, info)
        titles = np.asarray(info["titles"])
        arms = (titles[observed], actions[observed])
        np.add.at(self.counts, arms, 1.0)
        np.add.at(self.sums, arms, target[observed])
        hits = reward_event(self.spec.reward, info["clicks"], info["plays"])
        np.add.at(self.successes, arms, hits[observed].astype(np.float64))

    def means(self, title_ids: np.ndarray) -> np.ndarray:
        """(N, K, M) empirical mean target of every candidate (0 where never observed)."""
        counts = self.counts[title_ids]
        return np.divide(self.sums[title_ids], counts, out=np.zeros_like(counts),
                         where=counts > 0)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Counts, target sums and successes per (title, artwork)."""
        return {"counts": self.counts, "sums": self.sums, "successes": self.successes}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the per-(title, artwork) statistics."""
        self.counts, self.sums, self.successes = (arrays["counts"], arrays["sums"],
                                                  arrays["successes"])

    def _tie_break(self, shape: tuple[int, ...]) -> np.ndarray:
        return 1e-9 * self.rng.random(shape)

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The best score per slot: the mean (ties broken at random), or when exploring the
        subclass's `explore_scores`."""
        mask, titles = obs["action_mask"], obs["title_ids"]
        scores = self.means(titles) + self._tie_break(mask.shape)
        if explore:
            scores = self.explore_scores(titles, mask, scores)
        return masked_argmax(scores, mask)

    def explore_scores(self, titles: np.ndarray, mask: np.ndarray,
                       greedy: np.ndarray) -> np.ndarray:
        """Exploring scores of every candidate from the greedy ones. Default: greedy."""
        return greedy


@dataclass(frozen=True)
class EpsilonGreedyConfig(AgentConfig):
    """Epsilon-greedy's hyperparameters."""

    epsilon: float = 0.1
    """probability of a random allowed artwork in a slot"""

    def check(self) -> None:
        """epsilon in [0, 1]."""
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)


class EpsilonGreedyAgent(PerArtworkBandit):
    """With probability epsilon a random allowed artwork, else the best mean so far.

    Never-tried artworks count as best (optimistic start), so each is tried once.
    """

    name = "egreedy"
    config_class = EpsilonGreedyConfig
    config: EpsilonGreedyConfig

    def explore_scores(self, titles: np.ndarray, mask: np.ndarray,
                       greedy: np.ndarray) -> np.ndarray:
        """Untried artworks first; with probability epsilon per slot, random scores."""
        scores = np.where(self.counts[titles] == 0, np.inf, greedy)
        return np.where(self.rng.random(mask.shape[:2] + (1,)) < self.config.epsilon,
                        self.rng.random(mask.shape), scores)


@dataclass(frozen=True)
class UCBConfig(AgentConfig):
    """UCB1's hyperparameters."""

    c: float = 0.15
    """scale of the exploration bonus (to the reward's range)"""

    def check(self) -> None:
        """c >= 0."""
        check_real("c", self.c, low=0.0)


class UCBAgent(PerArtworkBandit):
    """UCB1: mean + c * sqrt(2 ln n_title / n_arm); `c` scales the bonus to the reward range."""

    name = "ucb"
    config_class = UCBConfig
    config: UCBConfig

    def explore_scores(self, titles: np.ndarray, mask: np.ndarray,
                       greedy: np.ndarray) -> np.ndarray:
        """Upper confidence bounds (untried artworks first)."""
        counts = self.counts[titles]
        total = np.maximum(counts.sum(axis=-1, keepdims=True), 1.0)
        bonus = self.config.c * np.sqrt(2.0 * np.log(total) / np.maximum(counts, 1e-12))
        return np.where(counts == 0, np.inf, greedy + bonus)


@dataclass(frozen=True)
class ThompsonConfig(AgentConfig):
    """Beta-Bernoulli Thompson sampling's prior."""

    alpha: float = 1.0
    """prior successes"""
    beta: float = 30.0
    """prior failures"""

    def check(self) -> None:
        """alpha, beta > 0."""
        check_positive("alpha", self.alpha)
        check_positive("beta", self.beta)


class ThompsonAgent(PerArtworkBandit):
    """Beta-Bernoulli Thompson sampling on the quality-play (or click) probability.

    Posterior Beta(alpha + plays, beta + impressions - plays) per (title, artwork); a draw
    per candidate, the best draw wins. Greedy: the posterior mean.
    """

    name = "thompson"
    config_class = ThompsonConfig
    config: ThompsonConfig

    def posterior(self, title_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beta posterior parameters (a, b), each (..., M), of every artwork of `title_ids`."""
        a = self.config.alpha + self.successes[title_ids]
        return a, self.config.beta + self.counts[title_ids] - self.successes[title_ids]

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """A posterior draw (greedy: mean) per candidate; the best wins."""
        mask = obs["action_mask"]
        a, b = self.posterior(obs["title_ids"])
        scores = self.rng.beta(a, b) if explore else a / (a + b) + self._tie_break(mask.shape)
        return masked_argmax(scores, mask)
