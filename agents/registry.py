"""Agent names and where their classes live: the one place agents are looked up by name.

Classes are imported on first use, so looking up a bandit (or listing names) never imports
torch or stable-baselines3.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from agents.base import Agent, ProblemSpec

# name -> (module:class, family); the family only groups names for listings
_AGENTS: dict[str, tuple[str, str]] = {
    "random": ("agents.reference:RandomAgent", "reference"),
    "oracle": ("agents.reference:OracleAgent", "reference"),
    "global_best": ("agents.reference:GlobalBestAgent", "reference"),
    "egreedy": ("agents.bandits:EpsilonGreedyAgent", "bandit"),
    "ucb": ("agents.bandits:UCBAgent", "bandit"),
    "thompson": ("agents.bandits:ThompsonAgent", "bandit"),
    "linucb": ("agents.linear:LinUCBAgent", "bandit"),
    "lints": ("agents.linear:LinTSAgent", "bandit"),
    "neural_bandit": ("agents.neural:NeuralBanditAgent", "bandit"),
    "ppo": ("agents.deep:PPOAgent", "deep"),
    "a2c": ("agents.deep:A2CAgent", "deep"),
    "maskable_ppo": ("agents.deep:MaskablePPOAgent", "deep"),
    "recurrent_ppo": ("agents.deep:RecurrentPPOAgent", "deep"),
    "dqn": ("agents.deep:DQNAgent", "deep"),
}
FAMILIES = ("reference", "bandit", "deep")
SLOW_AGENTS = ("recurrent_ppo", "dqn")  # minutes each at the default budget on 2 cores


def agent_names(family: str | None = None) -> list[str]:
    """Every available agent name (references first), or those of one family: `reference`
    (uniform random and the cheating references), `bandit` (learn from every visit's
    feedback) or `deep` (stable-baselines3, learn from their own rollouts)."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown agent family {family!r}; families: {', '.join(FAMILIES)}")
    return [name for name, (_, kind) in _AGENTS.items() if family in (None, kind)]


def default_agents() -> list[str]:
    """The default comparison: every agent but the two slow deep ones (add them by name)."""
    return [name for name in _AGENTS if name not in SLOW_AGENTS]


def agent_class(name: str) -> type[Agent]:
    """The class of an agent name (imported now); unknown names raise `ValueError`."""
    if name not in _AGENTS:
        raise ValueError(f"unknown agent {name!r}; available: {', '.join(_AGENTS)}")
    module, _, cls = _AGENTS[name][0].partition(":")
    return getattr(import_module(module), cls)


def make_agent(name: str, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> Agent:
    """An agent by name; unknown names raise `ValueError` listing the available ones."""
    return agent_class(name)(spec, seed, **hyperparameters)
