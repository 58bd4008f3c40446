"""The per-env overrides of `artwork_env/agents/hyperparams.yaml` (one block per env id and agent)
and RL Zoo's `lin_<start>` schedules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from stable_baselines3.common.utils import LinearSchedule

HYPERPARAMS_FILE = Path(__file__).with_name("hyperparams.yaml")


def tuned_hyperparameters(agent: str, env_id: str) -> dict[str, Any]:
    """The block of `artwork_env/agents/hyperparams.yaml` for an agent on an env id ({} if none)."""
    table = yaml.safe_load(HYPERPARAMS_FILE.read_text())
    return dict(table.get(env_id, {}).get(agent, {}))


SCHEDULED = ("learning_rate", "clip_range")
"""The SB3 hyperparameters that may be written as RL Zoo's `lin_<start>` schedule."""


def parse_schedule(key: str, value: str) -> float:
    """The start of RL Zoo's `lin_<start>` schedule `value` of `key`; ValueError naming the
    key for anything else or a start not above 0."""
    head, _, start = value.partition("_")
    try:
        if head != "lin":
            raise ValueError
        initial = float(start)
    except ValueError:
        raise ValueError(f"{key} must be a number or 'lin_<start>' (RL Zoo's linear "
                         f"schedule), got {value!r}") from None
    if not initial > 0:
        raise ValueError(f"{key}: the schedule must start above 0, got {value!r}")
    return initial


def with_schedules(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` with RL Zoo's `lin_<start>` strings (in `SCHEDULED`) made SB3 schedules:
    the value falls linearly from `start` at the first step to 0 at the end of the budget
    given to `learn` (SB3's `progress_remaining` x start, as the zoo's `linear_schedule`)."""
    out = dict(kwargs)
    for key in SCHEDULED:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = LinearSchedule(parse_schedule(key, value), 0.0, 1.0)
    return out


class TunedPerEnv:
    """Mixin of the agents configured per env id by `artwork_env/agents/hyperparams.yaml`; they run
    on a torch device."""

    name: str

    @classmethod
    def default_hyperparameters(cls, env_id: str, device: str) -> dict[str, Any]:
        """The yaml block of this agent on `env_id`, and the device."""
        return {**tuned_hyperparameters(cls.name, env_id), "device": device}
