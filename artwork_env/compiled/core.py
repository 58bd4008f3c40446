"""The simulator core every env runs: N members, one compiled pass per visit.

`ArtworkSimulator` holds the members' state as the numpy specification does (its sibling
`NumpySimulator` in `artwork_env.model.numpy_core`; both share `artwork_env.simulator`) and runs
the visit path through the numba kernels of `artwork_env.compiled.kernels`: the member draw, the
recommender, the page model, the exact expected reward and myopic oracle, the cascade, the
state update and the observation, each a loop over members with no Python in between. The
single environment is this core with N = 1; the vector environment uses it with N members.

Ground truth is exact: `page_model()` gives every slot's click and play probability for
every artwork choice (and every left neighbour, for salience), from which
`expected_reward` and the myopic `oracle` (a dynamic programme over slots) follow.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

import numpy as np

from artwork_env.compiled import kernels
from artwork_env.model.config import REWARD_CODES, ModelConfig
from artwork_env.model.layout import OBSERVATION_DTYPES
from artwork_env.model.members import DEVICE_VISUAL, Population
from artwork_env.model.page import (
    PageModel,
    VisitOutcome,
    cascade_expected_reward,
    policy_expected_reward,
)
from artwork_env.model.world import World
from artwork_env.simulator import Simulator


@cache
def _one_member(name: str) -> Callable[..., None]:
    """`kernels._{name}_one` for the first member (a C-level partial: no Python frame)."""
    return partial(getattr(kernels, f"_{name}_one"), 0)


def _nothing(*args: Any) -> None:
    """No member to run."""


__all__ = ["ArtworkSimulator", "PageModel", "VisitOutcome", "cascade_expected_reward",
           "policy_expected_reward"]


class ArtworkSimulator(Simulator):
    """N members with their state and the exact page response, run by compiled kernels."""

    def __init__(self, config: ModelConfig, n_members: int, world: World | None = None,
                 population: Population | None = None) -> None:
        super().__init__(config, n_members, world, population)
        w = self.world
        self._p = kernels.parameter_vector(config)
        self._reward = REWARD_CODES[config.reward]
        index, weight = w.sparse_genres
        table = w.salience_table
        if table is None:  # too large to tabulate: the kernels compute it
            table = np.zeros((0, 0, self.n_artworks, self.n_artworks), dtype=np.float32)
        world_page = dict(  # the world's arrays the page model reads, by name
            theme=np.ascontiguousarray(w.artwork_theme),  # (T, M) theme genre
            face_slot=np.ascontiguousarray(w.face_slot),  # (T, M) actor (n_actors: none)
            appeal=w.artwork_appeal,  # (T, M) appeal b_a
            visual_centred=w.visual_centred,  # (V, T, M) visual attributes - 1/2
            visual=np.ascontiguousarray(w.artwork_visual),  # (T, M, V)
            salience=np.ascontiguousarray(table),  # (T, T, M, M), or (0, 0, M, M): computed
            quality=w.title_quality,  # (T,) title quality q_t
            misrepresents=self._misrepresents)  # (T, M) 1.0 where the theme is not a genre
        # a plain tuple in `kernels.WORLD_PAGE` order (a named one dispatches slower)
        self._world_page = tuple(world_page[name] for name in kernels.WORLD_PAGE)
        self._exists = np.ascontiguousarray(w.artwork_exists)
        # (J, T): row j holds the j-th genre of every title (the relevance loop vectorises)
        self._sparse = (np.ascontiguousarray(index.T),
                        np.ascontiguousarray(weight.T, dtype=np.float32))
        self._device_visual = np.ascontiguousarray(DEVICE_VISUAL[:, :w.n_visual])
        lay = self.layout
        self._member_cols = kernels.block_starts(lay.member, kernels.MEMBER_BLOCKS)
        self._title_cols = kernels.block_starts(lay.title, kernels.TITLE_BLOCKS)
        self._artwork_cols = kernels.block_starts(lay.artwork, kernels.ARTWORK_BLOCKS)
        self._shapes = lay.shapes()
        self._everyone = np.arange(n_members)
        self._outcome: VisitOutcome | None = None  # visit_step(reuse=True) writes here

    @staticmethod
    def _kernel(n: int, name: str) -> Callable[..., None]:
        """The kernel `name` over n members: on every core (`prange`) for two or more; for a
        single member its one-member body, which skips the thread pool's start-up (about 50
        us a kernel). Processes that share the cores should set NUMBA_NUM_THREADS=1
        (`artwork_env.experiments.processes.process_map` does)."""
        if n >= 2:
            return getattr(kernels, name)
        return _one_member(name) if n == 1 else _nothing

    # ------------------------------------------------------------------ state
    def reset_members(self, index: np.ndarray, keys: np.ndarray) -> None:
        """Draw fresh members with the given uint64 keys into the batch positions `index`."""
        index = np.ascontiguousarray(index, dtype=np.int64)
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        pop = self.population
        self._kernel(len(index), "draw_members")(
            index, keys, self._p, pop.community_taste, pop.community_cast,
            pop.community_visual, pop.region_bias, pop.device_cdf, self._device_visual,
            *self._sparse, self.world.title_genres, self._cast_counts, self._popularity_score,
            tuple(self.state))
        self._page = None

    def first_invalid(self, actions: np.ndarray) -> int:
        """The first flat (member, slot) index whose artwork is out of range or missing, or
        -1 when every action is allowed."""
        return kernels.first_invalid(actions, self.state.titles, self._exists)

    # ------------------------------------------------------------ page model
    def _compute_page_model(self) -> PageModel:
        n, k, m = self.n, self.n_slots, self.n_artworks
        click = np.empty((n, k, m, m), dtype=np.float32)
        play = np.empty((n, k, m), dtype=np.float32)
        misrep = np.empty((n, k, m))
        self._kernel(n, "page_model")(
            self._p, self._world_page, tuple(self.state), click, play, misrep)
        return PageModel(click, play, self.state.patience.copy(), self._exists[self.state.titles],
                         misrep)

    def expected_reward(self, actions: np.ndarray) -> np.ndarray:
        """(N,) exact expected reward of showing `actions` (N, K) on the current rows."""
        page = self.page_model()
        values = np.empty(self.n)
        self._kernel(self.n, "expected_rewards")(
            self._reward, self.config.bounce_penalty, page.patience, page.click, page.play,
            page.exists, np.ascontiguousarray(actions, dtype=np.int64), values)
        return values

    def oracle(self) -> tuple[np.ndarray, np.ndarray]:
        """The myopic oracle (`NumpySimulator.oracle`, by `kernels.oracle`): (N,) best
        expected reward and (N, K) artworks attaining it."""
        return self._best_row("oracle")

    def worst(self) -> tuple[np.ndarray, np.ndarray]:
        """The worst page (`NumpySimulator.worst`, by `kernels.worst`): (N,) lowest expected
        reward of any row and (N, K) artworks attaining it."""
        return self._best_row("worst")

    def _best_row(self, kernel: str) -> tuple[np.ndarray, np.ndarray]:
        """The row the kernel `oracle` or `worst` picks per member, and its value."""
        page = self.page_model()
        actions = np.empty((self.n, self.n_slots), dtype=np.int64)
        values = np.empty(self.n)
        self._kernel(self.n, kernel)(
            self._reward, self.config.bounce_penalty, page.patience, page.click, page.play,
            page.exists, actions, values)
        return values, actions

    def priced_rows(self, weight: np.ndarray) -> np.ndarray:
        """`NumpySimulator.priced_rows` by `kernels.priced_rows`."""
        page = self.page_model()
        actions = np.empty((self.n, self.n_slots), dtype=np.int64)
        self._kernel(self.n, "priced_rows")(
            self._reward, self.config.bounce_penalty, page.patience, page.click, page.play,
            page.exists, np.ascontiguousarray(weight, dtype=np.float64),
            page.misrepresentation, actions)
        return actions

    # ------------------------------------------------------------------ visit
    def visit_step(self, actions: np.ndarray, reuse: bool = False) -> VisitOutcome:
        """Show `actions` (N, K) on the current rows; the members answer; state moves on.
        With `reuse=True` the outcome's arrays are the simulator's own, overwritten by the
        next `visit_step(reuse=True)` (the single env, which copies what it keeps into
        `info`, saves their allocation)."""
        n = self.n
        out = self._outcome if reuse else None
        if out is None:
            out = VisitOutcome.empty(n, self.n_slots)
            if reuse:
                self._outcome = out
        self._kernel(n, "visit")(
            self._reward, self._p, np.ascontiguousarray(actions, dtype=np.int64),
            self._popularity_score, self._world_page, self._exists, self.world.title_genres,
            self._cast_counts, tuple(self.state), out.reward, out.terminated,
            out.churned, out.clicks, out.plays, out.bounces, out.examined, out.titles,
            out.expected_reward, out.oracle_expected_reward, out.oracle_action)
        self._page = None
        return out

    # ------------------------------------------------------------ observation
    def observe(self, index: np.ndarray | None = None,
                out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Observation arrays (float32 in [0, 1], mask int8) of all members or `index`,
        written by name with `self.layout`: fresh ones, or the first rows of `out`'s
        (`OBSERVATION_DTYPES`), whose views are returned."""
        rows = self._everyone if index is None else np.asarray(index, dtype=np.int64)
        n = len(rows)
        if out is None:
            obs = {name: np.empty((n, *shape), dtype=OBSERVATION_DTYPES[name])
                   for name, shape in self._shapes.items()}
        else:
            for name, shape in self._shapes.items():  # what the kernel was compiled for
                given = out[name]
                if (given.dtype != OBSERVATION_DTYPES[name] or given.shape[1:] != shape
                        or len(given) < n or not given.flags.c_contiguous):
                    raise ValueError(
                        f"out[{name!r}] must be a C-contiguous {OBSERVATION_DTYPES[name]} "
                        f"array of at least ({n}, {', '.join(map(str, shape))}), got "
                        f"{given.dtype} {given.shape}")
            obs = {name: out[name][:n] for name in self._shapes}
        w = self.world
        self._kernel(n, "observe")(
            rows, self._p, float(self.n_slots), float(self.history_length),
            self._member_cols, self._title_cols, self._artwork_cols, w.title_genres,
            w.title_popularity, w.artwork_features, self._exists, tuple(self.state), obs["member"],
            obs["titles"], obs["artworks"], obs["action_mask"])
        return obs
