"""The observation layout, by name: which columns of `member`, `titles` and `artworks` hold
what. The simulator writes the observation with it; the agents' feature maps and the
logged datasets read with it, so a new feature moves every reader with it.

    layout = ObservationLayout.of(n_genres=12, n_actors=40, n_regions=5, n_visual=5,
                                  n_slots=6, n_artworks=6)
    obs["member"][:, layout.member["device"]]           # (N, 3) device one-hot
    obs["artworks"][..., layout.artwork.index("shown_last")]   # (N, K, M)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from artwork_env.model.config import DEVICE_NAMES, ModelConfig

COUNT_SCALE = 10.0
"""A saturating count feature (times shown, times seen) is divided by this and clipped to 1
in the observation."""
OBSERVATION_DTYPES = {"member": np.dtype(np.float32), "titles": np.dtype(np.float32),
                      "artworks": np.dtype(np.float32), "action_mask": np.dtype(np.int8)}
"""The dtype of each observation array: features in [0, 1] as float32, the mask as int8."""


@dataclass(frozen=True)
class Columns:
    """Named runs of columns along the last axis of one observation array, in order."""

    names: tuple[str, ...]
    sizes: tuple[int, ...]

    def __getitem__(self, name: str) -> slice:
        """The columns of `name` as a slice."""
        if name not in self.names:
            raise KeyError(f"no observation block {name!r}; blocks: {', '.join(self.names)}")
        i = self.names.index(name)
        start = sum(self.sizes[:i])
        return slice(start, start + self.sizes[i])

    def index(self, name: str) -> int:
        """The column of a one-column block."""
        part = self[name]
        if part.stop - part.start != 1:
            raise ValueError(f"block {name!r} has {part.stop - part.start} columns, not one")
        return part.start

    @property
    def width(self) -> int:
        """Number of columns."""
        return sum(self.sizes)


@dataclass(frozen=True)
class ObservationLayout:
    """Named columns of the observation arrays and their per-member shapes.

    member: history genre histogram (G), cast exposure (A), device one-hot, region one-hot
    (R), visit progress, empty-visit streak / `churn_after`, bounces last visit / K, plays
    per visit so far. titles (per slot): genre mix (G), popularity, in the member's
    history, clicked before, times shown / 10. artworks (per slot and candidate): theme
    one-hot (G), face one-hot (A + 1, last = no face), visual attributes (V), times shown
    to this member / 10, shown last time.
    """

    n_slots: int
    n_artworks: int
    member: Columns
    title: Columns
    artwork: Columns

    @classmethod
    def of(cls, n_genres: int, n_actors: int, n_regions: int, n_visual: int, n_slots: int,
           n_artworks: int) -> ObservationLayout:
        """The layout for these sizes."""
        return cls(n_slots, n_artworks,
                   member=Columns(("genre_history", "cast_exposure", "device", "region",
                                   "visit_progress", "empty_streak", "last_bounces",
                                   "play_rate"),
                                  (n_genres, n_actors, len(DEVICE_NAMES), n_regions, 1, 1, 1, 1)),
                   title=Columns(("genres", "popularity", "in_history", "clicked_before",
                                  "times_shown"), (n_genres, 1, 1, 1, 1)),
                   artwork=artwork_columns(n_genres, n_actors, n_visual))

    @classmethod
    def of_world(cls, config: ModelConfig, world: Any) -> ObservationLayout:
        """The layout of a configuration and its `World`."""
        return cls.of(world.n_genres, world.n_actors, config.n_regions, world.n_visual,
                      config.n_slots, world.max_artworks)

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Per-member shapes of the observation arrays."""
        k, m = self.n_slots, self.n_artworks
        return {"member": (self.member.width,), "titles": (k, self.title.width),
                "artworks": (k, m, self.artwork.width), "action_mask": (k, m)}


def artwork_columns(n_genres: int, n_actors: int, n_visual: int) -> Columns:
    """The columns of one candidate artwork: static (theme, face, visual) then per member."""
    return Columns(("theme", "face", "visual", "times_shown", "shown_last"),
                   (n_genres, n_actors + 1, n_visual, 1, 1))


MEMBER_SPECIFIC_ARTWORK_BLOCKS = ("times_shown", "shown_last")
"""The artwork columns that depend on the member (the rest are the world's)."""
