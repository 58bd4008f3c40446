"""The member's state, declared once: every per-member array, its dtype, its shape per
member and its value before a member is drawn.

Both cores hold their N members' state as one `MemberState` (a named tuple of arrays,
members on axis 0) made by `allocate`; the numpy specification reads and writes its arrays
by name, and the compiled kernels take the whole state as one argument, `tuple(state)` (a
plain tuple: numba dispatches it in C, a named tuple through Python), and read each array
at its place, which `artwork_env.compiled.kernels` looks up here by name, so no call site writes
out an order of arrays. Copying members (`take`), checkpointing, and the tests
that compare the two cores all go through `MEMBER_STATE`. Adding a state array is one line
here, plus the equations that read and write it.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, NamedTuple

import numpy as np


class StateArray(NamedTuple):
    """One per-member array: `shape` names the sizes of the axes after the member axis
    (`state_sizes`), `fill` is its value before a member is drawn."""

    name: str
    dtype: Any
    shape: tuple[str, ...]
    fill: float | int
    meaning: str


MEMBER_STATE: tuple[StateArray, ...] = (
    StateArray("keys", np.uint64, (), 0, "the member's random stream key"),
    StateArray("visit", np.uint64, (), 0, "visits made so far"),
    StateArray("theta", np.float64, ("genres",), 0, "genre taste (hidden)"),
    StateArray("psi", np.float64, ("actors_and_none",), 0,
               "cast taste; the last entry (no face) is 0 (hidden)"),
    StateArray("nu", np.float64, ("visual",), 0, "visual taste (hidden)"),
    StateArray("beta", np.float64, (), 0, "base click logit (hidden)"),
    StateArray("patience", np.float64, (), 0, "probability of looking one slot further"),
    StateArray("kappa", np.float64, (), 0, "sensitivity to a changed artwork (hidden)"),
    StateArray("device", np.int64, (), 0, "device index"),
    StateArray("region", np.int64, (), 0, "region index"),
    StateArray("trust", np.float64, (), 1, "trust in the artwork, 1 when drawn (hidden)"),
    StateArray("rel", np.float32, ("titles",), 0, "relevance of every title (hidden)"),
    StateArray("history", np.int64, ("history",), 0, "viewing history, a ring of titles"),
    StateArray("history_pos", np.int64, (), 0, "the history ring's next place"),
    StateArray("history_count", np.uint8, ("titles",), 0, "times each title is in history"),
    StateArray("genre_hist", np.float64, ("genres",), 0, "genre histogram of the history"),
    StateArray("cast_exposure", np.float64, ("actors",), 0, "cast counts of the history"),
    StateArray("clicked_before", np.bool_, ("titles",), False, "clicked a title before"),
    StateArray("played", np.bool_, ("titles",), False, "played a title (it leaves the pool)"),
    StateArray("title_shown", np.uint8, ("titles",), 0, "times a title was shown"),
    StateArray("seen_count", np.uint8, ("titles", "artworks"), 0,
               "times each artwork of a title was shown"),
    StateArray("last_shown", np.int16, ("titles",), -1, "artwork last shown for a title"),
    StateArray("last_seen", np.int16, ("titles",), -1, "artwork last examined for a title"),
    StateArray("streak", np.uint8, ("titles",), 0,
               "examinations of the same artwork without a click"),
    StateArray("empty_streak", np.int64, (), 0, "visits in a row without a play"),
    StateArray("last_bounces", np.int64, (), 0, "bounces of the last visit"),
    StateArray("plays_total", np.int64, (), 0, "quality plays so far"),
    StateArray("titles", np.int64, ("slots",), 0, "the row of the next visit"),
)
STATE_NAMES: tuple[str, ...] = tuple(array.name for array in MEMBER_STATE)

MemberState = namedtuple("MemberState", STATE_NAMES)  # type: ignore[misc]
MemberState.__doc__ = "N members' state: one array per `MEMBER_STATE` entry, by name."
MemberState.__module__ = __name__  # (importable by name: numba's cache pickles the type)


def state_sizes(world: Any, history_length: int, n_slots: int) -> dict[str, int]:
    """The sizes `MEMBER_STATE`'s shapes name, for a world and page."""
    return {"genres": world.n_genres, "actors": world.n_actors,
            "actors_and_none": world.n_actors + 1, "visual": world.n_visual,
            "titles": world.n_titles, "history": history_length,
            "artworks": world.max_artworks, "slots": n_slots}


def allocate(n: int, sizes: dict[str, int]) -> MemberState:
    """The state of n members before any is drawn (each array at its `fill`)."""
    return MemberState(*(np.full((n, *(sizes[axis] for axis in array.shape)), array.fill,
                                 dtype=array.dtype) for array in MEMBER_STATE))


def take(state: MemberState, index: np.ndarray) -> MemberState:
    """A copy of the members `index` (in that order, repeats allowed), contiguous."""
    return MemberState(*(np.ascontiguousarray(values[index]) for values in state))
