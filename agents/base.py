"""The one agent interface, shared by bandits and deep RL agents alike.

Every agent is batched over N members: `act` takes an observation whose arrays have the
members on axis 0 and returns (N, K) artwork indices; `update` learns from the visit that
followed. The observation an agent sees is the environment's `Dict` observation plus
`title_ids` (N, K), the ids of the titles in each row, which Netflix knows and which the
env reports in `info["row_titles"]`, and `episode_start` (`agent_observation`, defined by the env).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from artwork_env.config import DEVICE_NAMES, ModelConfig
from artwork_env.core import slot_rewards
from artwork_env.env import Observation


@dataclass(frozen=True)
class ProblemSpec:
    """What an agent may know about the problem: sizes and the reward definition."""

    n_slots: int
    n_artworks: int
    n_titles: int
    n_genres: int
    n_actors: int
    n_visual: int
    n_regions: int
    reward: str
    bounce_penalty: float

    @classmethod
    def from_env(cls, env: Any) -> ProblemSpec:
        """The spec of an `ArtworkEnv` or `ArtworkVectorEnv` (wrapped or not)."""
        inner = env.unwrapped if hasattr(env, "unwrapped") else env
        config: ModelConfig = inner.config
        world = inner.world
        return cls(n_slots=config.n_slots, n_artworks=world.max_artworks,
                   n_titles=world.n_titles, n_genres=world.n_genres, n_actors=world.n_actors,
                   n_visual=world.n_visual, n_regions=config.n_regions, reward=config.reward,
                   bounce_penalty=config.bounce_penalty)

    @property
    def n_devices(self) -> int:
        """Number of device types in the member observation."""
        return len(DEVICE_NAMES)


def slot_feedback(spec: ProblemSpec, info: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Per-slot learning signal from a visit's `info` (batched (N, K) arrays).

    Returns (target, observed): target is the slot's share of the env reward (quality play
    minus `bounce_penalty` x bounce, a play, or a click, by reward variant), so the targets
    of a row sum to the reward; observed is False for slots after the quality play, which
    the cascade never let the member look at (cascading-bandit feedback), and for slots an
    optional `info["feedback_mask"]` (N, K) hides (offline replay passes only the slots
    whose logged artwork the agent chose).
    """
    plays = np.asarray(info["plays"], dtype=bool)
    target = slot_rewards(spec.reward, spec.bounce_penalty, info["clicks"], plays,
                          info["bounces"])
    observed = (np.cumsum(plays, axis=1) - plays) == 0
    if "feedback_mask" in info:
        observed &= np.asarray(info["feedback_mask"], dtype=bool)
    return target, observed


def masked_argmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Argmax over the last axis among allowed entries (mask > 0)."""
    return np.where(mask > 0, scores, -np.inf).argmax(axis=-1)


def random_allowed(gen: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """A uniformly random allowed index over the last axis of `mask`."""
    return masked_argmax(gen.random(mask.shape), mask)


class Agent(ABC):
    """Base class: `act`, `update`, `save`/`load`, `name`; batched over members."""

    name: ClassVar[str]
    reference: ClassVar[bool] = False
    """True for cheating references that read the simulator's ground truth."""
    tuned: ClassVar[bool] = False
    """True for agents configured per env id by `agents/hyperparams.yaml` (they take `device`)."""

    def __init__(self, spec: ProblemSpec, seed: int = 0) -> None:
        self.spec = spec
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def attach(self, env: Any) -> None:  # noqa: B027  (a hook; most agents need nothing)
        """Called with the env the agent is about to act in (references read its truth)."""

    @abstractmethod
    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """(N, K) artwork indices for the rows in `obs`; greedy when `explore` is False."""

    def update(self, obs: Observation, actions: np.ndarray,  # noqa: B027
               reward: np.ndarray, info: dict[str, Any]) -> None:
        """Learn from the visit that followed `act(obs)`. Default: nothing to learn."""

    def hyperparameters(self) -> dict[str, Any]:
        """The agent's hyperparameters (logged with every run)."""
        return {}

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Learned state as named arrays (what `save` writes)."""
        return {}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:  # noqa: B027
        """Restore learned state written by `state_arrays`."""

    def save(self, path: str | Path) -> None:
        """Write the learned state, hyperparameters and random state to `path` (.npz)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"name": self.name, "seed": self.seed, "spec": asdict(self.spec),
                "hyperparameters": self.hyperparameters(),
                "rng_state": self.rng.bit_generator.state}
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, __meta__=np.array(json.dumps(meta)), **self.state_arrays())
        tmp.replace(path)  # atomic: an interrupted save never leaves half a file

    def load(self, path: str | Path) -> None:
        """Restore what `save` wrote; the agent's name and problem must match."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            if meta["name"] != self.name:
                raise ValueError(f"{path} holds a {meta['name']!r} agent, not {self.name!r}")
            if meta["spec"] != asdict(self.spec):
                raise ValueError(f"{path} was trained on another problem: {meta['spec']}")
            self.load_state_arrays({k: data[k] for k in data.files if k != "__meta__"})
        self.rng.bit_generator.state = meta["rng_state"]  # the same draws as the saved agent
