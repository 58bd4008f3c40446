"""An optimiser's state (Adam's moments and step counts) as named arrays, so the torch
bandits save it beside their weights and a resumed run takes the same steps as one that
never stopped."""

from __future__ import annotations

import numpy as np
import torch

PREFIX = "optimiser."


def optimiser_arrays(optimiser: torch.optim.Optimizer,
                     prefix: str = PREFIX) -> dict[str, np.ndarray]:
    """Every per-parameter state entry as `{prefix}{i}.{name}`, i the parameter's place in
    the optimiser's order (the hyperparameters are rebuilt with the agent, not saved); an
    agent with two optimisers gives each its own prefix."""
    return {f"{prefix}{i}.{name}": (value.cpu().numpy() if torch.is_tensor(value)
                                    else np.asarray(value))
            for i, entries in optimiser.state_dict()["state"].items()
            for name, value in entries.items()}


def load_optimiser_arrays(optimiser: torch.optim.Optimizer, arrays: dict[str, np.ndarray],
                          prefix: str = PREFIX) -> None:
    """Restore what `optimiser_arrays` wrote under `prefix`; without such arrays (a
    checkpoint from before they were saved) the optimiser starts afresh."""
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in arrays.items():
        if key.startswith(prefix):
            index, name = key[len(prefix):].split(".", 1)
            state.setdefault(int(index), {})[name] = torch.as_tensor(value)
    optimiser.load_state_dict({"state": state,
                               "param_groups": optimiser.state_dict()["param_groups"]})
