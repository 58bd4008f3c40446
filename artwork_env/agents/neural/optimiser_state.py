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
    checkpoint from before they were saved) the optimiser starts afresh. Raises
    `ValueError` for an entry that does not fit a parameter (an unknown index, a moment of
    another shape, a step that is not a non-negative scalar)."""
    parameters = [p for group in optimiser.param_groups for p in group["params"]]
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in arrays.items():
        if key.startswith(prefix):
            index, _, name = key[len(prefix):].partition(".")
            if not index.isdigit() or int(index) >= len(parameters):
                raise ValueError(f"{key}: no such parameter in the optimiser")
            value = np.asarray(value)
            shape = tuple(parameters[int(index)].shape)
            if name == "step" and (value.shape != () or not value >= 0):
                raise ValueError(f"{key}: a step count must be a scalar >= 0")
            if name != "step" and value.shape != shape:
                raise ValueError(f"{key}: shape {value.shape}, its parameter's is {shape}")
            state.setdefault(int(index), {})[name] = torch.as_tensor(value)
    optimiser.load_state_dict({"state": state,
                               "param_groups": optimiser.state_dict()["param_groups"]})
