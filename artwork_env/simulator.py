"""What the two simulator cores share: the protocol every env and tool calls, and the
plumbing that is not an equation.

`NumpySimulator` (the numpy specification, `artwork_env.model.numpy_core`) and `ArtworkSimulator`
(the compiled core the envs run, `artwork_env.compiled.core`) are siblings: each implements the
protocol's equations its own way, and neither inherits the other. What they share lives
here: the world and member population, the sizes, the observation layout, the members'
state (`artwork_env.model.state`), the current rows and the cached page model.

The protocol, as the envs, the planner and the references use it:
`reset_members(index, keys)` draws fresh members; `page_model()` gives the exact click and
play probabilities of the current rows; `expected_reward(actions)`, `oracle()`, `worst()`
and `priced_rows(weight)` are the ground truth over them; `visit_step(actions)` shows a
row and moves the state on; `observe(index)` writes the agents' observation;
`first_invalid(actions)` finds a missing artwork; `copy_members(index)` copies members for
the planner to imagine with.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TypeVar

import numpy as np

from artwork_env.model.config import ModelConfig
from artwork_env.model.layout import ObservationLayout
from artwork_env.model.members import Population, build_population, history_length
from artwork_env.model.page import PageModel, VisitOutcome
from artwork_env.model.state import allocate, state_sizes, take
from artwork_env.model.world import World, build_world

Self = TypeVar("Self", bound="Simulator")


class Simulator(ABC):
    """N members, their state and the exact page response (a core implements the
    abstract methods: the model's equations)."""

    def __init__(self, config: ModelConfig, n_members: int, world: World | None = None,
                 population: Population | None = None) -> None:
        self.config = config
        self.world = world if world is not None else build_world(config)
        self.population = population or build_population(config, self.world)
        self.n = n_members
        self.n_slots = config.n_slots
        self.n_artworks = self.world.max_artworks
        self.history_length = history_length(config, self.world)
        self.layout = ObservationLayout.of_world(config, self.world)
        w = self.world
        self._misrepresents = w.misrepresents.astype(np.float64)
        self._cast_counts = w.title_cast.astype(np.float64)
        self._popularity_score = (config.recommender_popularity_weight
                                  * w.title_popularity).astype(np.float32)
        self.state = allocate(n_members, state_sizes(w, self.history_length, self.n_slots))
        self._page: PageModel | None = None

    # ------------------------------------------------------------------ members
    def copy_members(self: Self, index: np.ndarray) -> Self:
        """A simulator of the same class and world holding copies of members `index` (in
        that order, repeats allowed) in their current state: what the planner imagines."""
        index = np.asarray(index, dtype=np.int64)
        copy = type(self)(self.config, len(index), self.world, self.population)
        copy.state = take(self.state, index)
        return copy

    @abstractmethod
    def reset_members(self, index: np.ndarray, keys: np.ndarray) -> None:
        """Draw fresh members with the given uint64 keys into the batch positions `index`."""

    # ------------------------------------------------------------------ rows
    def set_rows(self, titles: np.ndarray) -> None:
        """Replace the rows the recommender chose with (N, K) distinct titles per member."""
        titles = np.asarray(titles, dtype=np.int64)
        if titles.shape != self.state.titles.shape:
            raise ValueError(f"titles must have shape {self.state.titles.shape}, got "
                             f"{titles.shape}")
        self.state.titles[:] = titles
        self._page = None

    def candidates(self) -> np.ndarray:
        """(N, K, M) bool: which artworks exist in each slot of the current rows."""
        return self.world.artwork_exists[self.state.titles]

    @abstractmethod
    def first_invalid(self, actions: np.ndarray) -> int:
        """The first flat (member, slot) index whose artwork is out of range or missing, or
        -1 when every action is allowed."""

    # ------------------------------------------------------------------ ground truth
    def page_model(self) -> PageModel:
        """Exact response probabilities of the current rows (cached until the state changes)."""
        if self._page is None:
            self._page = self._compute_page_model()
        return self._page

    @abstractmethod
    def _compute_page_model(self) -> PageModel:
        """The page model of the current rows and state."""

    @abstractmethod
    def expected_reward(self, actions: np.ndarray) -> np.ndarray:
        """(N,) exact expected reward of showing `actions` (N, K) on the current rows."""

    @abstractmethod
    def oracle(self) -> tuple[np.ndarray, np.ndarray]:
        """The myopic oracle: (N,) best expected reward and (N, K) artworks attaining it."""

    @abstractmethod
    def worst(self) -> tuple[np.ndarray, np.ndarray]:
        """The worst page: (N,) lowest expected reward of any row and (N, K) artworks
        attaining it (the floor of `eval/pct_of_oracle`)."""

    @abstractmethod
    def priced_rows(self, weight: np.ndarray) -> np.ndarray:
        """(N, K) the rows that maximise E[R - weight x the misrepresentation the clicks
        uncover] (weight (N,) >= 0; 0 gives the oracle's row): the planner's base policies."""

    # ------------------------------------------------------------------ visit
    @abstractmethod
    def visit_step(self, actions: np.ndarray, reuse: bool = False) -> VisitOutcome:
        """Show `actions` (N, K) on the current rows; the members answer; state moves on."""

    @abstractmethod
    def observe(self, index: np.ndarray | None = None,
                out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Observation arrays (float32 in [0, 1], mask int8) of all members or `index`,
        fresh ones or written into the first rows of `out`'s."""
