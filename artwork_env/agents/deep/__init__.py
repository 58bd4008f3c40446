"""Deep RL agents on stable-baselines3 (`sb3`: PPO, slot-level PPO, A2C, DQN and the
sb3-contrib ones), their candidate-scoring networks (`networks`), the envs they train on
(`feature_obs`, `slot_decisions`), `SlotPPO` and the RL Zoo configurations (`zoo`).

`artwork_env.agents.deep` was one module; its names are still found here, in
`sb3`, imported on first use.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

_OWN = {module.name for module in pkgutil.iter_modules(__path__)}


def __getattr__(name: str) -> Any:
    """A name of `sb3` (this package's module before the families)."""
    if name.startswith("__") or name in _OWN:  # a submodule: imported as one
        raise AttributeError(name)
    return getattr(import_module(f"{__name__}.sb3"), name)
