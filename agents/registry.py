"""Agent names and their classes: the one place `scripts/train.py` looks agents up."""

from __future__ import annotations

from typing import Any

from agents.bandits import EpsilonGreedyAgent, ThompsonAgent, UCBAgent
from agents.base import Agent, ProblemSpec
from agents.deep import A2CAgent, DQNAgent, MaskablePPOAgent, PPOAgent, RecurrentPPOAgent
from agents.linear import LinTSAgent, LinUCBAgent
from agents.neural import NeuralBanditAgent
from agents.reference import GlobalBestAgent, OracleAgent, RandomAgent

AGENTS: dict[str, type[Agent]] = {
    cls.name: cls
    for cls in (RandomAgent, OracleAgent, GlobalBestAgent, EpsilonGreedyAgent, UCBAgent,
                ThompsonAgent, LinUCBAgent, LinTSAgent, NeuralBanditAgent, PPOAgent, A2CAgent,
                MaskablePPOAgent, RecurrentPPOAgent, DQNAgent)
}
DEEP_AGENTS = tuple(name for name, cls in AGENTS.items() if getattr(cls, "deep", False))
SLOW_AGENTS = ("recurrent_ppo", "dqn")  # minutes each at the default budget on 2 cores


def default_agents() -> list[str]:
    """The default comparison: every agent but the two slow deep ones (add them by name)."""
    return [name for name in AGENTS if name not in SLOW_AGENTS]


def agent_names() -> list[str]:
    """Every available agent name, references first."""
    return list(AGENTS)


def make_agent(name: str, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> Agent:
    """An agent by name; unknown names raise `ValueError` listing the available ones."""
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; available: {', '.join(AGENTS)}")
    return AGENTS[name](spec, seed, **hyperparameters)
