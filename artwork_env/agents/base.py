"""The one agent interface, shared by bandits and deep RL agents alike.

Every agent is batched over N members: `act` takes an observation whose arrays have the
members on axis 0 and returns (N, K) artwork indices; `update` learns from the visit that
followed; `learn` trains for a budget of visits in an env (bandits: act, step, update in
the one rollout loop, `training_visits`, which yields each visit to `learn` and so to the
harness's report between visits; deep agents: their library's own loop, reporting from its
callback); `acting_in(env)` attaches the agent to an env for a block and back to the one it
acted in before (an evaluation between training visits); `save(dir)` / `load(dir)`
keep what was learned. The harness calls these and never asks what kind an agent is.
The observation an agent sees is the environment's `Dict` observation plus `title_ids`
(N, K), the ids of the titles in each row, which Netflix knows and which the env reports
in `info["row_titles"]`, and `episode_start` (`agent_observation`, defined by the env).
"""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env.agents.config import AgentConfig
from artwork_env.envs.env import Observation
from artwork_env.envs.rollout import Visit, visit_stream
from artwork_env.envs.vector_env import make_vector
from artwork_env.errors import Refused, short
from artwork_env.model.config import DEVICE_NAMES, ModelConfig
from artwork_env.model.layout import ObservationLayout
from artwork_env.model.rewards import slot_rewards
from artwork_env.model.rng import spawn_seeds

VisitReport = Callable[[np.ndarray, np.ndarray, dict[str, Any]], bool]
"""Called by `Agent.learn` after every batched training visit with (reward (N,), ended (N,),
info); returning False stops the training."""


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

    @classmethod
    def of(cls, env_id: str, env_kwargs: dict[str, Any] | None = None) -> ProblemSpec:
        """The spec of an env id with these model parameters."""
        return cls.from_env(gym.make(env_id, **(env_kwargs or {})))

    @property
    def n_devices(self) -> int:
        """Number of device types in the member observation."""
        return len(DEVICE_NAMES)

    @cached_property
    def layout(self) -> ObservationLayout:
        """Which observation columns hold what (the env writes with the same layout)."""
        return ObservationLayout.of(self.n_genres, self.n_actors, self.n_regions,
                                    self.n_visual, self.n_slots, self.n_artworks)


@dataclass(frozen=True)
class TrainingEnv:
    """Where an agent trains: the env id and its model parameters, the members stepped
    together, the run's seed, the visits already trained (a resumed run), and a folder for
    the agent's own logs.

    The N member streams come from the seed through `rng.spawn_seeds` (64 bits): runs with
    different seeds share no member. A run resumed after `visits_done` visits starts every
    stream at episode `visits_done // N`: in the one-visit bandit env exactly the members
    an uninterrupted run would have met next; in the lifetime env fresh members (or the
    one that had just arrived).
    """

    env_id: str
    num_envs: int
    seed: int
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    log_dir: str | None = None
    visits_done: int = 0

    def make(self) -> Any:
        """The native vector env (`ArtworkVectorEnv`) of N members."""
        return make_vector(self.env_id, self.num_envs, **self.env_kwargs)

    @property
    def member_seeds(self) -> list[int]:
        """The seeds of the N member streams."""
        return spawn_seeds(self.seed, self.num_envs, bits=64)

    @property
    def reset_options(self) -> dict[str, int]:
        """The reset options that start the streams where the run left off."""
        return {"episode": self.visits_done // self.num_envs}


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
    target = slot_rewards(spec.reward, spec.bounce_penalty, info["clicks"], plays)
    observed = (np.cumsum(plays, axis=1) - plays) == 0
    if "feedback_mask" in info:
        observed &= np.asarray(info["feedback_mask"], dtype=bool)
    return target, observed


STATE_FILE = "state.npz"


def check_state_arrays(arrays: dict[str, np.ndarray], own: dict[str, np.ndarray],
                       where: str) -> None:
    """Raise `Refused` unless the saved `arrays` can be this agent's state, `own` being
    what the agent saves now: every array numeric and finite, integer ones >= 0; an array
    the agent has already must keep its dtype kind and shape, except along an axis of
    length 0 in `own` (a buffer that fills as the agent learns). Arrays the agent has not
    made yet (weights of a network fitted later, an optimiser's moments) are checked by
    what loads them."""
    for key, value in arrays.items():
        if value.dtype.kind not in "biuf":
            raise Refused(f"{where}: {key} must be numeric, got dtype {value.dtype}")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise Refused(f"{where}: {key} holds NaN or infinite values")
        if value.dtype.kind == "i" and value.size and value.min() < 0:
            raise Refused(f"{where}: {key} holds negative values (counts and indices)")
        mine = own.get(key)
        if mine is None:
            continue
        mine = np.asarray(mine)
        kinds = {value.dtype.kind, mine.dtype.kind}
        if len(kinds) > 1 and not kinds <= {"i", "u"}:
            raise Refused(f"{where}: {key} must be of dtype {mine.dtype}, got {value.dtype}")
        if value.ndim != mine.ndim or any(
                a != b and b != 0 for a, b in zip(value.shape, mine.shape)):
            raise Refused(f"{where}: {key} must have shape {mine.shape}, got {value.shape}")


class Agent(ABC):
    """Base class: `act`, `update`, `learn`, `save`/`load`, `name`; batched over members."""

    name: ClassVar[str]
    reference: ClassVar[bool] = False
    """True for cheating references that read the simulator's ground truth."""
    config_class: ClassVar[type[AgentConfig] | None] = None
    """The agent's typed hyperparameters (`artwork_env.agents.config`), built from the keywords
    given to `__init__` into `self.config`; None for an agent that takes its keywords itself."""

    @classmethod
    def default_hyperparameters(cls, env_id: str, device: str) -> dict[str, Any]:
        """Keyword arguments this agent takes by default on `env_id` with a torch `device`
        (agents tuned per env id read `artwork_env/agents/hyperparams.yaml`); none by default."""
        return {}

    def __init__(self, spec: ProblemSpec, seed: int = 0, **hyperparameters: Any) -> None:
        self.spec = spec
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        if self.config_class is not None:
            self.config = self.config_class.from_kwargs(**hyperparameters)
        elif hyperparameters:
            raise TypeError(f"{type(self).__name__} takes no hyperparameter(s) "
                            f"{sorted(hyperparameters)}")

    def attach(self, env: Any) -> None:  # noqa: B027  (a hook; most agents need nothing)
        """Called with the env the agent is about to act in (references read its truth);
        callers use `acting_in`, which also attaches back afterwards."""

    @contextmanager
    def acting_in(self, env: Any) -> Iterator[None]:
        """Attach the agent to `env` for the block, then again to the env it was acting
        in before, if any: an evaluation between two training visits leaves the training's
        env attached, without the training loop attaching it on every visit."""
        previous = getattr(self, "_acting_in", None)
        self._acting_in = env
        self.attach(env)
        try:
            yield
        finally:
            self._acting_in = previous
            if previous is not None:
                self.attach(previous)

    @abstractmethod
    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """(N, K) artwork indices for the rows in `obs`; greedy when `explore` is False."""

    def update(self, obs: Observation, actions: np.ndarray,  # noqa: B027
               reward: np.ndarray, info: dict[str, Any]) -> None:
        """Learn from the visit that followed `act(obs)`. Default: nothing to learn.

        Agents that can only learn from their own rollouts raise `NotImplementedError`."""

    def prepare(self, env: TrainingEnv) -> None:  # noqa: B027  (a hook; bandits need nothing)
        """Get ready to act and learn in `env` (deep agents build their model on it)."""

    def training_visits(self, env: TrainingEnv, visits: int) -> Iterator[Visit]:
        """Up to `visits` training visits on the native vector env of `env`: act
        (exploring), step, `update`, then yield the visit; the caller may stop early by
        no longer asking. The env is made at the first visit and closed with the
        generator."""
        if visits <= 0:
            return
        venv = env.make()
        done = 0
        stream = visit_stream(venv, lambda obs: self.act(obs, explore=True),
                              seed=env.member_seeds, options=env.reset_options)
        try:
            with self.acting_in(venv), closing(stream):
                for visit in stream:
                    self.update(visit.obs, visit.actions, visit.reward, visit.info)
                    done += len(visit.reward)
                    yield visit
                    if done >= visits:
                        return
        finally:
            venv.close()

    def learn(self, env: TrainingEnv, visits: int, report: VisitReport) -> None:
        """Train for `visits` more visits in `env`, calling `report` after every batched
        visit (it may stop the training early).

        Default: `training_visits`, each visit reported between two of the loop's steps
        (the loop is suspended while `report` runs, so an evaluation in `report` runs
        beside it, not inside it).
        """
        with closing(self.training_visits(env, visits)) as stream:
            for visit in stream:
                if not report(visit.reward, visit.ended, visit.info):
                    break

    def hyperparameters(self) -> dict[str, Any]:
        """The agent's hyperparameters (logged with every run): its configuration, or for
        an agent without one, its constructor's keyword arguments read back from the
        attributes of the same name."""
        if self.config_class is not None:
            return self.config.to_dict()
        named = [p.name for p in inspect.signature(type(self).__init__).parameters.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        return {name: getattr(self, name) for name in named
                if name not in ("self", "spec", "seed") and hasattr(self, name)}

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Learned state as named arrays (what `save` writes)."""
        return {}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:  # noqa: B027
        """Restore learned state written by `state_arrays`."""

    def save(self, path: str | Path) -> None:
        """Write the learned state, hyperparameters and random state into the folder `path`
        (`state.npz`; every agent saves to and loads from a folder)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {"name": self.name, "seed": self.seed, "spec": asdict(self.spec),
                "hyperparameters": self.hyperparameters(),
                "rng_state": self.rng.bit_generator.state}
        tmp = path / "state.tmp.npz"
        np.savez(tmp, __meta__=np.array(json.dumps(meta)), **self.state_arrays())
        tmp.replace(path / STATE_FILE)  # atomic: an interrupted save never leaves half a file

    def load(self, path: str | Path) -> None:
        """Restore what `save` wrote into the folder `path`; name and problem must match.

        A saved state may come from anyone: every array is checked against this agent's own
        (`check_state_arrays`) and the random state against its generator's kind before any
        is used, and a bad one raises `Refused` naming the file and the array."""
        path = Path(path) / STATE_FILE
        if not path.is_file():
            raise ValueError(f"{path.parent}: no saved {self.name} agent ({STATE_FILE})")
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["__meta__"]))
                arrays = {k: data[k] for k in data.files if k != "__meta__"}
        except (OSError, ValueError, KeyError, RecursionError, EOFError) as error:
            raise Refused(f"{path}: not a saved agent ({type(error).__name__}: "
                          f"{short(str(error))})") from None
        if not isinstance(meta, dict) or not {"name", "spec", "rng_state"} <= set(meta):
            raise Refused(f"{path}: __meta__ must hold name, spec and rng_state")
        if meta["name"] != self.name:
            raise Refused(f"{path} holds a {meta['name']!r} agent, not {self.name!r}")
        if meta["spec"] != asdict(self.spec):
            raise Refused(f"{path} was trained on another problem: {short(meta['spec'])}")
        check_state_arrays(arrays, self.state_arrays(), str(path))
        rng = self.rng.bit_generator
        kind = type(rng).__name__
        state = meta["rng_state"]
        if not isinstance(state, dict) or state.get("bit_generator") != kind:
            raise Refused(f"{path}: rng_state must be a {kind} state, got {short(state)}")
        try:
            self.load_state_arrays(arrays)
            rng.state = state  # the same draws as the saved agent
        except (KeyError, ValueError, TypeError, RuntimeError, IndexError,
                np.linalg.LinAlgError) as error:
            raise Refused(f"{path}: the saved state does not fit a {self.name} agent "
                          f"({type(error).__name__}: {short(str(error), 200)})") from None
