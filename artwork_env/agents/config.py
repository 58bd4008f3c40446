"""Typed hyperparameters: each agent's one home of its defaults, as `ModelConfig` is the
model's.

An agent with a configuration names it (`config_class`); `Agent.__init__` builds it from
the keywords it is given (`from_kwargs`: an unknown keyword is refused by name), and the
frozen dataclass validates itself (`check`, errors naming the field). What reads an
agent's hyperparameters reads the dataclass: `Agent.hyperparameters` (logged with every
run and saved with the agent), the registry's check of `--grid` keys, and the CLI's list
of an agent's parameters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

Config = TypeVar("Config", bound="AgentConfig")


@dataclass(frozen=True)
class AgentConfig:
    """Base of the agents' hyperparameter dataclasses: frozen, validated on creation."""

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise `ValueError` naming the first invalid field (each configuration's own)."""

    @classmethod
    def names(cls) -> list[str]:
        """The hyperparameters, in declaration order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def from_kwargs(cls: type[Config], **kwargs: Any) -> Config:
        """The configuration with these keywords over the defaults; unknown ones raise
        `ValueError` naming them and the known ones."""
        unknown = sorted(set(kwargs) - set(cls.names()))
        if unknown:
            raise ValueError(f"unknown hyperparameter(s) {unknown}; known: {cls.names()}")
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The hyperparameters as a plain dict."""
        return asdict(self)
