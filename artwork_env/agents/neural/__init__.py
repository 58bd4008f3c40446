"""Neural bandits: the neural bandit (`bandit`), the factored click-and-play bandit
(`factored`) and its lifetime-aware extension `ltv`, with their replay buffer and optimiser
state.

`artwork_env.agents.neural` was one module; its names are still found here, in
`bandit`, imported on first use.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

_OWN = {module.name for module in pkgutil.iter_modules(__path__)}


def __getattr__(name: str) -> Any:
    """A name of `bandit` (this package's module before the families)."""
    if name.startswith("__") or name in _OWN:  # a submodule: imported as one
        raise AttributeError(name)
    return getattr(import_module(f"{__name__}.bandit"), name)
