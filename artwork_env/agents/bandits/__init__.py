"""Per-title multi-armed bandits: epsilon-greedy, UCB1 and Beta-Bernoulli Thompson
sampling (`multi_armed`), which learn each title's best artwork for everybody.

`artwork_env.agents.bandits` was one module; its names are still found here, in
`multi_armed`, imported on first use.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

_OWN = {module.name for module in pkgutil.iter_modules(__path__)}


def __getattr__(name: str) -> Any:
    """A name of `multi_armed` (this package's module before the families)."""
    if name.startswith("__") or name in _OWN:  # a submodule: imported as one
        raise AttributeError(name)
    return getattr(import_module(f"{__name__}.multi_armed"), name)
