"""The ended members' last observations for `info["final_obs"]`, in buffers used again.

Gymnasium's SAME_STEP autoreset hands back each ended member's last observation as a dict
of that member's own arrays. At N = 1024 in the one-visit bandit env every member ends
every step, and making 1,024 dicts of four fresh array views (and freeing them a step
later) was most of the vector env's own Python. So the (N, ...) buffers, the views of
their rows and the per-member dicts are kept and written again (`keep` sets at most; the
vector env's `final_obs_buffers`).

A set is written again only when nothing outside holds any part of it: every buffer,
view and dict must have the reference count it had when the set was made (an `info`, the
`final_obs` array, a kept dict, a view or a slice of one each hold a reference) and every
dict its four keys. Otherwise a fresh set is made, so what a caller keeps never changes
under it. A loop that drops each `info` at the next step alternates between two sets.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from artwork_env.layout import OBSERVATION_DTYPES

OBSERVATION_NAMES = ("member", "titles", "artworks", "action_mask")  # the dicts' keys


class _BufferSet:
    """(N, ...) observation buffers, a dict of row views for each member, and (`kept`)
    the reference counts that say nobody else holds any of them."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], n: int, kept: bool = True) -> None:
        self.arrays = {name: np.empty((n, *shapes[name]), dtype=OBSERVATION_DTYPES[name])
                       for name in OBSERVATION_NAMES}
        self.dicts = np.empty(n, dtype=object)
        # a dict display: three times faster than dict(zip(names, views))
        self.dicts[:] = [{"member": member, "titles": titles, "artworks": artworks,
                          "action_mask": mask}
                         for member, titles, artworks, mask in zip(*self.arrays.values())]
        self._objects: list[object] = []
        if kept:
            self._objects = [*self.arrays.values(), *self.dicts,
                             *(view for member in self.dicts for view in member.values())]
        self._counts = self._reference_counts()

    def _reference_counts(self) -> list[int]:
        return list(map(sys.getrefcount, self._objects))

    def unused(self) -> bool:
        """Whether nobody outside holds a buffer, a view or a dict of this set, and no dict
        lost or gained a key."""
        return (self._reference_counts() == self._counts
                and sum(map(len, self.dicts)) == len(OBSERVATION_NAMES) * len(self.dicts))


class FinalObservations:
    """`info["final_obs"]` for the ended members: `observe(index, out=...)` writes them
    into a set nobody holds (`_BufferSet.unused`), or a fresh one; at most `keep` sets are
    kept (0: none, new arrays for the ended members every step)."""

    def __init__(self, observe: Callable[..., dict[str, np.ndarray]],
                 shapes: dict[str, tuple[int, ...]], n: int, keep: int = 2) -> None:
        if sorted(shapes) != sorted(OBSERVATION_NAMES):
            raise ValueError(f"observation arrays {sorted(shapes)} are not "
                             f"{sorted(OBSERVATION_NAMES)}")
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise ValueError(f"keep must be a non-negative int, got {keep!r}")
        self._observe, self._shapes, self._n = observe, shapes, n
        self._keep = keep
        self._sets: list[_BufferSet] = []  # least recently used first

    def _free_set(self, m: int) -> _BufferSet:
        """A kept set nobody holds, or a fresh one (which replaces the least recently used
        kept set when `keep` are kept); it becomes the most recently used. With `keep` = 0,
        a set of m rows, not kept."""
        if self._keep == 0:
            return _BufferSet(self._shapes, m, kept=False)
        for i, candidate in enumerate(self._sets):
            if candidate.unused():
                self._sets.append(self._sets.pop(i))
                return candidate
        fresh = _BufferSet(self._shapes, self._n)
        self._sets = [*self._sets[max(0, len(self._sets) - self._keep + 1):], fresh]
        return fresh

    def __call__(self, ended: np.ndarray) -> np.ndarray:
        """(N,) object array: the last observation of each member in `ended` (a dict of its
        arrays), None for the others."""
        buffers = self._free_set(len(ended))
        self._observe(ended, out=buffers.arrays)
        final = np.full(self._n, None, dtype=object)
        final[ended] = buffers.dicts[:len(ended)]
        return final
