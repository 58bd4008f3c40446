"""The tuned hyperparameters of `agents/hyperparams.yaml`, one block per env id and agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HYPERPARAMS_FILE = Path(__file__).with_name("hyperparams.yaml")


def tuned_hyperparameters(agent: str, env_id: str) -> dict[str, Any]:
    """The block of `agents/hyperparams.yaml` for an agent on an env id ({} if none)."""
    table = yaml.safe_load(HYPERPARAMS_FILE.read_text())
    return dict(table.get(env_id, {}).get(agent, {}))


class TunedPerEnv:
    """Mixin of the agents configured per env id by `agents/hyperparams.yaml`; they run on a
    torch device."""

    name: str

    @classmethod
    def default_hyperparameters(cls, env_id: str, device: str) -> dict[str, Any]:
        """The yaml block of this agent on `env_id`, and the device."""
        return {**tuned_hyperparameters(cls.name, env_id), "device": device}
