"""Agent names and where their classes live: the one place agents are looked up by name.

Classes are imported on first use, so looking up a bandit (or listing names) never imports
torch or stable-baselines3. Besides the names below, `module:Class` names a user's own
`Agent` subclass (`python scripts/train.py --agents my_package.agents:MyAgent`;
docs/agents.md).
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from importlib import import_module
from typing import Any

from artwork_env.agents.base import Agent, ProblemSpec

# name -> (module:class, family); the family only groups names for listings
_AGENTS: dict[str, tuple[str, str]] = {
    "random": ("artwork_env.agents.references.exact:RandomAgent", "reference"),
    "oracle": ("artwork_env.agents.references.exact:OracleAgent", "reference"),
    "global_best": ("artwork_env.agents.references.exact:GlobalBestAgent", "reference"),
    "planner": ("artwork_env.agents.references.exact:PlannerAgent", "reference"),
    "ceiling": ("artwork_env.agents.references.ceiling:CeilingAgent", "reference"),
    "egreedy": ("artwork_env.agents.bandits.multi_armed:EpsilonGreedyAgent", "bandit"),
    "ucb": ("artwork_env.agents.bandits.multi_armed:UCBAgent", "bandit"),
    "thompson": ("artwork_env.agents.bandits.multi_armed:ThompsonAgent", "bandit"),
    "linucb": ("artwork_env.agents.contextual.linear:LinUCBAgent", "bandit"),
    "lints": ("artwork_env.agents.contextual.linear:LinTSAgent", "bandit"),
    "neural_bandit": ("artwork_env.agents.neural.bandit:NeuralBanditAgent", "bandit"),
    "factored_bandit": ("artwork_env.agents.neural.factored:FactoredBanditAgent", "bandit"),
    "ltv": ("artwork_env.agents.neural.ltv:LtvAgent", "bandit"),
    "ppo": ("artwork_env.agents.deep.sb3:PPOAgent", "deep"),
    "slot_ppo": ("artwork_env.agents.deep.sb3:SlotPPOAgent", "deep"),
    "a2c": ("artwork_env.agents.deep.sb3:A2CAgent", "deep"),
    "maskable_ppo": ("artwork_env.agents.deep.sb3:MaskablePPOAgent", "deep"),
    "recurrent_ppo": ("artwork_env.agents.deep.sb3:RecurrentPPOAgent", "deep"),
    "dqn": ("artwork_env.agents.deep.sb3:DQNAgent", "deep"),
}
FAMILIES = ("reference", "bandit", "deep")
SLOW_AGENTS = ("planner", "recurrent_ppo", "dqn")  # minutes each at the default budget
# where every title has all its artworks maskable_ppo is ppo (the harness turns ppo into it
# where artworks are missing), so the default comparison leaves it out too; factored_bandit
# pays for its exploration first and leads only past the default budget (docs/results.md)
NOT_BY_DEFAULT = (*SLOW_AGENTS, "maskable_ppo", "factored_bandit", "ltv")


def agent_names(family: str | None = None) -> list[str]:
    """Every available agent name (references first), or those of one family: `reference`
    (uniform random and the cheating references), `bandit` (learn from every visit's
    feedback) or `deep` (stable-baselines3, learn from their own rollouts)."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown agent family {family!r}; families: {', '.join(FAMILIES)}")
    return [name for name, (_, kind) in _AGENTS.items() if family in (None, kind)]


def agent_family(name: str) -> str:
    """The family of a registered agent name (`FAMILIES`); ValueError for any other."""
    if name not in _AGENTS:
        raise ValueError(f"unknown agent {name!r}; available: {', '.join(_AGENTS)}")
    return _AGENTS[name][1]


def default_agents() -> list[str]:
    """The default comparison: every agent but the slow ones and maskable_ppo (add them
    by name)."""
    return [name for name in _AGENTS if name not in NOT_BY_DEFAULT]


def agent_class(name: str) -> type[Agent]:
    """The class of an agent name, or of a `module:Class` path (imported now); anything else
    raises `ValueError` saying why."""
    if name in _AGENTS:
        module, _, cls = _AGENTS[name][0].partition(":")
        return getattr(import_module(module), cls)
    module, sep, cls = name.partition(":")
    if not sep:
        raise ValueError(f"unknown agent {name!r}; available: {', '.join(_AGENTS)}, or "
                         f"module:Class for an agent of your own")
    try:
        found = getattr(_import_from_here(module), cls)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"agent {name!r}: cannot import it ({error})") from None
    if not (isinstance(found, type) and issubclass(found, Agent)):
        raise ValueError(f"agent {name!r} is not a subclass of artwork_env.agents.base.Agent")
    return found


def _import_from_here(module: str) -> Any:
    """Import `module`; one not found on the path is looked for in the current folder too
    (appended to `sys.path`, so nothing installed is shadowed), as `python -m` would: the
    console commands and `python scripts/...` do not put the working folder on the path."""
    try:
        return import_module(module)
    except ModuleNotFoundError as error:
        here = os.getcwd()
        if error.name != module.split(".")[0] or here in sys.path:
            raise
        sys.path.append(here)
        return import_module(module)


_EXTERNAL = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")


def is_agent_name(name: str) -> bool:
    """`name` is a registered agent or has the form `module:Class` (nothing is imported)."""
    return name in _AGENTS or _EXTERNAL.fullmatch(name) is not None


def agent_parameters(cls: type[Agent]) -> list[str]:
    """The keywords an agent class takes: its constructor's own (a torch `device`, say) and
    its configuration's fields."""
    own = [p.name for p in inspect.signature(cls.__init__).parameters.values()
           if p.name not in ("self", "spec", "seed")
           and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return own + (cls.config_class.names() if cls.config_class is not None else [])


def unknown_parameters(cls: type[Agent], kwargs: dict[str, Any]) -> list[str]:
    """The keys of `kwargs` that the agent class does not take."""
    if cls.config_class is not None:
        return [key for key in kwargs if key not in agent_parameters(cls)]
    if cls.__init__ is Agent.__init__:  # (its **hyperparameters are a configuration's)
        return list(kwargs)
    accepted = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        return []
    return [key for key in kwargs if key not in accepted or key in ("self", "spec", "seed")]


def make_agent(name: str, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> Agent:
    """An agent by name; unknown names raise `ValueError` listing the available ones."""
    return agent_class(name)(spec, seed, **hyperparameters)
